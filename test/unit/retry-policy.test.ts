import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import { decideRetry } from '../../src/domain/messaging/retry-policy';

const policy = { maxAttempts: 5, baseDelayMs: 1_000, maxDelayMs: 10_000 };

describe('retry policy', () => {
  test('delays grow exponentially between half and all of the ceiling', () => {
    assert.deepEqual(
      decideRetry(policy, 1, () => 0),
      { retry: true, delayMs: 500 },
    );
    assert.deepEqual(
      decideRetry(policy, 1, () => 1),
      { retry: true, delayMs: 1_000 },
    );
    assert.deepEqual(
      decideRetry(policy, 3, () => 0),
      { retry: true, delayMs: 2_000 },
    );
    assert.deepEqual(
      decideRetry(policy, 3, () => 1),
      { retry: true, delayMs: 4_000 },
    );
  });

  test('the ceiling is capped at maxDelayMs', () => {
    assert.deepEqual(
      decideRetry(policy, 5, () => 1),
      { retry: true, delayMs: 10_000 },
    );
  });

  test('past maxAttempts the message is not retried', () => {
    assert.deepEqual(decideRetry(policy, 6), { retry: false });
    assert.deepEqual(decideRetry({ ...policy, maxAttempts: 0 }, 1), { retry: false });
  });
});
