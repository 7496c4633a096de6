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

  test('a replayed call (it sent nothing) is withdrawn: the next start is judged against the real one', () => {
    const judge = new StartGapJudge();
    const bounds = { pacingMs: 100, throughputMs: 0 };
    judge.judge('n', 1_000, bounds);
    const previous = judge.lastStartOf('n');
    judge.judge('n', 1_150, bounds); // a lane taking over re-sends the dead worker's call: a replay
    judge.withdraw('n', 1_150, previous);
    assert.equal(judge.judge('n', 1_210, bounds), null, '210 ms after the last real start');
    // A later start noted before the withdrawal stays.
    judge.judge('n', 1_400, bounds);
    judge.judge('n', 1_500, bounds);
    judge.withdraw('n', 1_400, 1_210);
    assert.deepEqual(judge.judge('n', 1_550, bounds), { gapMs: 50, requiredMs: 100 });
    // The first call of a number withdrawn leaves nothing to judge against.
    judge.judge('m', 0, bounds);
    judge.withdraw('m', 0, undefined);
    assert.equal(judge.judge('m', 10, bounds), null);
  });
});
