import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import { sendOffsetMs } from '../../bench/baseline/plan-delays';
import { findViolations, IDLE_LANE } from '../../src/domain/pacing/pacing-rule';
import { DEFAULT_PACING } from '../../src/domain/pacing/pacing-settings';
import { planSendTimes } from '../../src/domain/pacing/send-planner';

const fast = { messageIntervalMs: 100, longerIntervalAfter: 3, greaterIntervalMs: 500 };

// The Bull baseline (bench/baseline) must be a fair stand-in for the seed: a campaign alone on its
// number is planned exactly as Disparo plans it, so any violation it shows comes from planning per campaign.
describe('baseline per-campaign plan', () => {
  test('a campaign alone on an idle number gets the times Disparo plans', () => {
    for (const settings of [fast, DEFAULT_PACING]) {
      const offsets = Array.from({ length: 50 }, (_, index) => sendOffsetMs(index, settings));
      assert.deepEqual(offsets, planSendTimes(settings, 0, IDLE_LANE, 50));
      assert.deepEqual(findViolations(offsets, settings), []);
    }
  });

  test('two campaigns planned apart on one number break the rule where they overlap', () => {
    const first = Array.from({ length: 10 }, (_, index) => sendOffsetMs(index, fast));
    const second = first.map((at) => at + 150);
    const merged = [...first, ...second].sort((a, b) => a - b);
    assert.ok(findViolations(merged, fast).length > 0);
  });
});
