import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import {
  averageSendsPerMinute,
  bucketCounts,
  countByReason,
  failureReason,
  finishedShare,
  pendingOf,
  sendsPerMinute,
} from '../../src/domain/campaigns/campaign-progress';
import { laneState } from '../../src/domain/pacing/lane-view';

const counters = { audience: 10, sent: 4, failed: 1, cancelled: 0, missing: 1 };

describe('campaign progress figures', () => {
  test('pending and the finished share count sent, failed and cancelled against the planned contacts still there', () => {
    assert.equal(pendingOf(counters), 4);
    assert.equal(finishedShare(counters), 5 / 9);
    assert.equal(finishedShare({ ...counters, audience: 0, missing: 0 }), 0, 'nothing planned yet: 0, not NaN');
    assert.equal(pendingOf({ ...counters, sent: 20 }), 0, 'never negative');
  });

  test('average pace since the start, one decimal; none before the start', () => {
    assert.equal(averageSendsPerMinute(30, 0, 120_000), 15);
    assert.equal(averageSendsPerMinute(1, 0, 100), 60, 'the first second counts as a second');
    assert.equal(averageSendsPerMinute(5, null, 1_000), 0);
  });

  test('send times fall into fixed buckets; outside the window they are left out', () => {
    assert.deepEqual(bucketCounts([0, 999, 1_000, 2_500, 2_999, 3_000, -1], 0, 3_000, 1_000), [2, 1, 2]);
    assert.deepEqual(bucketCounts([], 0, 2_500, 1_000), [0, 0, 0]);
  });

  test('failure reasons group without the per-occurrence trace id, most frequent first', () => {
    const a = failureReason('131026: cloud-api: Message undeliverable; fbtrace_id A34b83e1458544724bc1735');
    const b = failureReason('131026: cloud-api: Message undeliverable; fbtrace_id Aba6d66a5f1ba4aa3862cd2');
    assert.equal(a, '131026: cloud-api: Message undeliverable');
    assert.equal(a, b);
    assert.equal(failureReason(null), 'unknown');
    assert.deepEqual(countByReason([a, 'x', b, 'w']), [
      { reason: a, count: 2 },
      { reason: 'w', count: 1 },
      { reason: 'x', count: 1 },
    ]);
  });
});

describe('lane state', () => {
  const idle = {
    halted: false,
    coolDownUntil: null,
    inFlight: false,
    queued: 0,
    dispatchers: 1,
    nextAllowedAt: null,
    queueMissing: false,
  };
  test('the most pressing state wins', () => {
    assert.equal(laneState({ ...idle, halted: true, inFlight: true }, 0), 'halted');
    assert.equal(laneState({ ...idle, coolDownUntil: 10, inFlight: true }, 5), 'cooling-down');
    assert.equal(laneState({ ...idle, coolDownUntil: 10 }, 15), 'idle', 'a cool-down that ended no longer counts');
    assert.equal(laneState({ ...idle, inFlight: true }, 0), 'sending');
    assert.equal(laneState({ ...idle, queueMissing: true, queued: null }, 0), 'no-queue');
    assert.equal(laneState({ ...idle, queued: null }, 0), 'unknown');
    assert.equal(laneState({ ...idle, queued: 3, dispatchers: 0 }, 0), 'no-dispatcher');
    assert.equal(laneState({ ...idle, queued: 3, nextAllowedAt: 100 }, 50), 'pacing');
    assert.equal(laneState({ ...idle, queued: 3, nextAllowedAt: 100 }, 150), 'waiting');
  });
});

describe('sends per minute: one definition for the API, the page and the terminal', () => {
  const started = 1_000_000;
  test('while running: sends since the start', () => {
    const running = {
      sent: 6,
      status: 'running' as const,
      startedAt: started,
      lastActivityAt: null,
      completedAt: null,
    };
    assert.equal(sendsPerMinute(running, started + 30_000), 12);
  });
  test('once finished: sends over the span it sent in, the same whenever it is read', () => {
    const finished = {
      sent: 4,
      status: 'completed' as const,
      startedAt: started,
      lastActivityAt: started + 20_000,
      completedAt: started + 25_000,
    };
    const readings = [started + 25_000, started + 60_000, started + 3_600_000].map((now) =>
      sendsPerMinute(finished, now),
    );
    assert.deepEqual(readings, [12, 12, 12]);
    assert.equal(sendsPerMinute({ ...finished, status: 'cancelled' }, started + 999_999), 12);
    assert.equal(sendsPerMinute({ ...finished, lastActivityAt: null }, started + 999_999), 9.6, 'to completion');
    assert.equal(sendsPerMinute({ ...finished, startedAt: null }, started), 0, 'never started');
  });
});
