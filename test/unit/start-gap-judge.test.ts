import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import { StartGapJudge } from '../../src/infrastructure/gateways/sandbox/start-gap-judge';

describe('the sandbox’s start-gap judge', () => {
  test('1/throughput is exact: 12.5 ms at 80/s, 1 ms at 1,000/s', () => {
    const judge = new StartGapJudge();
    const bounds = { pacingMs: 1, throughputMs: 12.5 };
    assert.equal(judge.judge('n', 1_000, bounds), null, 'the first start has nothing to be judged against');
    assert.equal(judge.judge('n', 1_012.5, bounds), null);
    assert.deepEqual(judge.judge('n', 1_024.9, bounds), { gapMs: 12.4, requiredMs: 12.5 });
    const fast = { pacingMs: 1, throughputMs: 1 };
    assert.equal(judge.judge('m', 0, fast), null);
    assert.equal(judge.judge('m', 1, fast), null);
    assert.deepEqual(judge.judge('m', 1.5, fast), { gapMs: 0.5, requiredMs: 1 });
  });

  test('the pacing gap allows the millisecond a whole-millisecond clock can be early by', () => {
    const judge = new StartGapJudge();
    const bounds = { pacingMs: 100, throughputMs: 0 };
    judge.judge('n', 1_000.9, bounds);
    assert.equal(judge.judge('n', 1_100.0, bounds), null, 'sent at floor(last) + 100 on a whole-ms clock');
    assert.deepEqual(judge.judge('n', 1_198.5, bounds), { gapMs: 98.5, requiredMs: 100 });
  });

  test('numbers are judged apart, and a start is judged against the latest one before it', () => {
    const judge = new StartGapJudge();
    const bounds = { pacingMs: 1, throughputMs: 10 };
    judge.judge('a', 0, bounds);
    assert.equal(judge.judge('b', 1, bounds), null);
    assert.deepEqual(judge.judge('a', 5, bounds), { gapMs: 5, requiredMs: 10 });
    assert.equal(judge.judge('a', 15, bounds), null);
  });
});
