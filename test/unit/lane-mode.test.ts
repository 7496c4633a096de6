import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import { DEFAULT_WINDOW_MAX_GAP_MS, laneMode } from '../../src/domain/pacing/lane-mode';
import { findViolations } from '../../src/domain/pacing/pacing-rule';
import { DEFAULT_PACING } from '../../src/domain/pacing/pacing-settings';
import { StartScheduler } from '../../src/domain/pacing/start-scheduler';

describe('lane mode (from data alone)', () => {
  test('no throughput: one at a time, whatever the pacing', () => {
    assert.equal(laneMode({ messageIntervalMs: 1 }, null), 'one-at-a-time');
    assert.equal(laneMode({ messageIntervalMs: 1 }, 0), 'one-at-a-time');
  });
  test('the anti-ban default with a throughput: one at a time', () => {
    assert.equal(laneMode(DEFAULT_PACING, 80), 'one-at-a-time');
    assert.equal(laneMode(DEFAULT_PACING, 1_000), 'one-at-a-time');
  });
  test('a throughput and a gap shorter than the bound: throughput mode', () => {
    assert.equal(laneMode({ messageIntervalMs: 1 }, 80), 'throughput');
    assert.equal(laneMode({ messageIntervalMs: 1 }, 1_000), 'throughput');
    assert.equal(laneMode({ messageIntervalMs: 249 }, 80), 'throughput');
  });
  test('the gap is max(messageInterval, 1/throughput), against the bound', () => {
    assert.equal(laneMode({ messageIntervalMs: 250 }, 80), 'one-at-a-time', 'at the bound: not shorter');
    assert.equal(laneMode({ messageIntervalMs: 1 }, 4), 'one-at-a-time', '1/4 s = 250 ms');
    assert.equal(laneMode({ messageIntervalMs: 1 }, 5), 'throughput', '200 ms');
    assert.equal(laneMode({ messageIntervalMs: 1 }, 5, 150), 'one-at-a-time', 'a tighter bound');
    assert.equal(DEFAULT_WINDOW_MAX_GAP_MS, 250);
  });
});

describe('start scheduler (injected clock)', () => {
  const fast = { messageIntervalMs: 1, longerIntervalAfter: 100_000, greaterIntervalMs: 60_000 };

  /** Starts `count` sends as soon as the scheduler allows, on a clock that advances only by waiting. */
  function drive(scheduler: StartScheduler, pacing: typeof fast, count: number, from = 0): number[] {
    let now = from;
    const starts: number[] = [];
    for (let i = 0; i < count; i++) {
      now += scheduler.waitBeforeStart(pacing, now);
      scheduler.recordStart(pacing, now);
      starts.push(now);
    }
    return starts;
  }

  test('starts 1/throughput apart (12.5 ms at 80/s, fractional), never closer', () => {
    const scheduler = new StartScheduler();
    scheduler.configure(80);
    const starts = drive(scheduler, fast, 81);
    for (let i = 1; i < starts.length; i++) assert.ok(starts[i]! - starts[i - 1]! >= 12.5 - 1e-9);
    assert.equal(starts.at(-1), 1_000);
  });

  test('runs: after longerIntervalAfter starts the greater interval, counted from the starts', () => {
    const pacing = { messageIntervalMs: 10, longerIntervalAfter: 5, greaterIntervalMs: 1_000 };
    const scheduler = new StartScheduler();
    scheduler.configure(1_000);
    const starts = drive(scheduler, pacing, 12);
    assert.deepEqual(findViolations(starts, pacing), []);
    assert.equal(starts[5]! - starts[4]!, 1_000);
    assert.equal(starts[10]! - starts[9]!, 1_000);
  });

  test('a state loaded at takeover continues the run (in-flight starts counted)', () => {
    const pacing = { messageIntervalMs: 10, longerIntervalAfter: 5, greaterIntervalMs: 1_000 };
    const scheduler = new StartScheduler({ lane: { lastSentAt: 500, runLength: 4 } });
    scheduler.configure(1_000);
    assert.equal(scheduler.earliestStart(pacing, 505), 510);
    scheduler.recordStart(pacing, 510);
    assert.equal(scheduler.earliestStart(pacing, 511), 1_510, 'the fifth of the run: a greater interval follows');
  });

  test('130429 lowers the rate once per drop, recovers after the cool-down', () => {
    const scheduler = new StartScheduler();
    scheduler.configure(100);
    drive(scheduler, fast, 10);
    assert.equal(scheduler.rateLimited(80, 100), true);
    assert.equal(scheduler.rateAt(100), 50);
    assert.equal(scheduler.rateLimited(90, 101), false, 'started before the drop: no second drop');
    assert.equal(scheduler.waitBeforeStart(fast, 100), 20 - 10, '1/50 s after the last start (90)');
    assert.equal(scheduler.rateAt(100 + 60_000), 100, 'back to the configured rate');
  });

  test('a cool-down holds every start; a throughput change applies at once', () => {
    const scheduler = new StartScheduler();
    scheduler.configure(10);
    scheduler.coolDown(5_000);
    assert.equal(scheduler.earliestStart(fast, 0), 5_000);
    scheduler.recordStart(fast, 5_000);
    assert.equal(scheduler.earliestStart(fast, 5_000), 5_100);
    scheduler.configure(1_000);
    assert.equal(scheduler.earliestStart(fast, 5_000), 5_001);
    scheduler.configure(null);
    assert.equal(scheduler.rateAt(0), null);
  });
});
