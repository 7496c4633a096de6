import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import {
  earliestNextSend,
  findViolations,
  IDLE_LANE,
  recordSend,
  requiredGap,
  waitBeforeSend,
} from '../../src/domain/pacing/pacing-rule';
import { DEFAULT_PACING, effectivePacing } from '../../src/domain/pacing/pacing-settings';
import { planSendTimes, SendPlanner } from '../../src/domain/pacing/send-planner';

const fast = { messageIntervalMs: 100, longerIntervalAfter: 3, greaterIntervalMs: 500 };

describe('pacing rule', () => {
  test('an idle lane may send at once', () => {
    assert.equal(waitBeforeSend(IDLE_LANE, fast, 1_000), 0);
  });

  test('consecutive sends are messageInterval apart, and every longerIntervalAfter-th gap is greaterInterval', () => {
    const times = planSendTimes(fast, 0, IDLE_LANE, 8);
    assert.deepEqual(times, [0, 100, 200, 700, 800, 900, 1_400, 1_500]);
  });

  test('with the defaults: 20 sends 20 s apart, then a 60 s gap', () => {
    const times = planSendTimes(DEFAULT_PACING, 0, IDLE_LANE, 22);
    assert.equal(times[19], 19 * 20_000);
    assert.equal(times[20]! - times[19]!, 60_000);
    assert.equal(times[21]! - times[20]!, 20_000);
  });

  test('a long enough pause ends the run', () => {
    let state = recordSend(IDLE_LANE, fast, 0);
    state = recordSend(state, fast, 100);
    state = recordSend(state, fast, 700); // 600 ms idle ≥ greaterInterval: a new run
    assert.equal(state.runLength, 1);
    assert.equal(requiredGap(state, fast), 100);
  });

  test('waitBeforeSend counts from the last real send', () => {
    const state = recordSend(IDLE_LANE, fast, 1_000);
    assert.equal(earliestNextSend(state, fast), 1_100);
    assert.equal(waitBeforeSend(state, fast, 1_030), 70);
    assert.equal(waitBeforeSend(state, fast, 1_200), 0);
  });

  test('findViolations flags sends that came too early, including after a run', () => {
    assert.deepEqual(findViolations([0, 100, 200, 700, 800], fast), []);
    assert.deepEqual(findViolations([0, 99], fast), [{ index: 1, gapMs: 99, requiredMs: 100 }]);
    assert.deepEqual(findViolations([0, 100, 200, 350], fast), [{ index: 3, gapMs: 150, requiredMs: 500 }]);
  });

  test('the planner continues from a lane state (a second campaign on a busy number)', () => {
    const first = new SendPlanner(fast, 0, IDLE_LANE);
    [first.next(), first.next()];
    const second = planSendTimes(fast, 50, first.horizon, 2);
    assert.deepEqual(second, [200, 700]);
  });

  test('a campaign can slow its number down but never speed it up', () => {
    assert.deepEqual(
      effectivePacing(fast, { messageIntervalMs: 10, greaterIntervalMs: 900, longerIntervalAfter: 10 }),
      {
        messageIntervalMs: 100,
        greaterIntervalMs: 900,
        longerIntervalAfter: 3,
      },
    );
    assert.deepEqual(effectivePacing(fast), fast);
  });
});
