import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import {
  CLOUD_API_DEFAULT_THROUGHPUT_PER_SEC,
  effectiveThroughput,
  throughputProblem,
} from '../../src/domain/connections/throughput';
import { IDLE_LANE, type LaneState, recordSend } from '../../src/domain/pacing/pacing-rule';
import { DEFAULT_PACING, type PacingSettings } from '../../src/domain/pacing/pacing-settings';
import {
  afterRateLimit,
  DEFAULT_RATE_ADAPTATION,
  type RateState,
  rateAt,
  recoveredAt,
  steadyRate,
} from '../../src/domain/pacing/rate-adaptation';
import { estimateFinish } from '../../src/domain/pacing/send-planner';
import {
  earliestNextStart,
  minStartGapMs,
  pacingWithThroughput,
  RoundTripMeter,
  sendWindow,
  waitBeforeStart,
  windowSize,
} from '../../src/domain/pacing/send-window';

/** Company pacing of a fast number: 1 ms between sends, runs so long they never end in these tests. */
const FAST: PacingSettings = { messageIntervalMs: 1, longerIntervalAfter: 1_000_000, greaterIntervalMs: 60_000 };

describe('connection throughput', () => {
  test('Cloud API numbers default to 80 per second, the sandbox to none, WhatsApp Web never has one', () => {
    assert.equal(effectiveThroughput('cloud-api', undefined), CLOUD_API_DEFAULT_THROUGHPUT_PER_SEC);
    assert.equal(effectiveThroughput('cloud-api', null), 80);
    assert.equal(effectiveThroughput('cloud-api', 1_000), 1_000);
    assert.equal(effectiveThroughput('sandbox', null), null);
    assert.equal(effectiveThroughput('sandbox', 250), 250);
    assert.equal(effectiveThroughput('whatsapp-web', 80), null);
  });

  test('only integers 1..1000, and never on WhatsApp Web', () => {
    assert.equal(throughputProblem('cloud-api', 1), null);
    assert.equal(throughputProblem('sandbox', 1_000), null);
    assert.equal(throughputProblem('cloud-api', null), null);
    assert.match(throughputProblem('cloud-api', 0)!, /integer from 1 to 1000/);
    assert.match(throughputProblem('cloud-api', 1_001)!, /integer from 1 to 1000/);
    assert.match(throughputProblem('sandbox', 2.5)!, /integer/);
    assert.match(throughputProblem('whatsapp-web', 80)!, /not allowed when gateway is whatsapp-web/);
  });
});

describe('send window', () => {
  test('the start gap is the pacing gap, or 1/throughput when that is longer', () => {
    assert.equal(minStartGapMs(FAST, 80), 12.5);
    assert.equal(minStartGapMs(FAST, 1_000), 1);
    assert.equal(minStartGapMs(FAST, null), 1);
    assert.equal(minStartGapMs(DEFAULT_PACING, 80), 20_000);
    assert.equal(minStartGapMs({ messageIntervalMs: 50 }, 1_000), 50);
  });

  test('the anti-ban default keeps one send at a time, whatever the throughput', () => {
    assert.deepEqual(sendWindow({ pacing: DEFAULT_PACING, throughputPerSec: 80, roundTripMs: 150 }), {
      gapMs: 20_000,
      size: 1,
    });
    assert.equal(windowSize(150, 150), 1, 'a gap equal to the round trip needs no overlap');
    assert.equal(windowSize(200, 150), 1);
  });

  test('a gap shorter than the round trip overlaps ceil(roundTrip / gap) calls and one spare, bounded', () => {
    assert.equal(sendWindow({ pacing: FAST, throughputPerSec: 80, roundTripMs: 150 }).size, 13);
    assert.equal(sendWindow({ pacing: FAST, throughputPerSec: 1_000, roundTripMs: 150 }).size, 64);
    assert.equal(sendWindow({ pacing: FAST, throughputPerSec: 1_000, roundTripMs: 150, maxInFlight: 200 }).size, 151);
    assert.equal(windowSize(12.5, 151), 14);
    assert.equal(windowSize(100, 150), 3);
    assert.equal(windowSize(0, 150, 10), 10);
    assert.equal(windowSize(10, 0), 1, 'no round trip measured yet: one at a time');
  });

  test('the next start waits for the gap after the last START, and for the longer gap after a full run', () => {
    const pacing = { messageIntervalMs: 1, longerIntervalAfter: 3, greaterIntervalMs: 500 };
    let state: LaneState = IDLE_LANE;
    assert.equal(earliestNextStart(state, pacing, 80), Number.NEGATIVE_INFINITY);
    state = recordSend(state, pacing, 1_000);
    assert.equal(earliestNextStart(state, pacing, 80), 1_012.5);
    assert.equal(waitBeforeStart(state, pacing, 80, 1_010), 2.5);
    state = recordSend(recordSend(state, pacing, 1_012.5), pacing, 1_025);
    assert.equal(earliestNextStart(state, pacing, 80), 1_525, 'after 3 sends, greaterInterval');
  });

  test('plans and estimates pace a number at its provider rate when that is slower than its pacing', () => {
    assert.equal(pacingWithThroughput(DEFAULT_PACING, 80), DEFAULT_PACING, 'the anti-ban gap is slower already');
    assert.deepEqual(pacingWithThroughput(FAST, 80), { ...FAST, messageIntervalMs: 12.5 });
    assert.deepEqual(pacingWithThroughput({ ...FAST, messageIntervalMaxMs: 5 }, 80), {
      ...FAST,
      messageIntervalMs: 12.5,
      messageIntervalMaxMs: 12.5,
    });
    // 100,000 sends at 80/s: about 21 minutes, as WhatsApp allows (not 100 s at the 1 ms pacing gap).
    const finish = estimateFinish(pacingWithThroughput(FAST, 80), IDLE_LANE, 0, 100_000)!;
    // (beyond 10,000 simulated sends the estimate spreads a share of the run's longer gap: within 1 %)
    assert.ok(Math.abs(finish - 100_000 * 12.5) < 0.01 * 100_000 * 12.5, `${finish}`);
  });

  test('the round-trip meter follows the calls it is shown', () => {
    const meter = new RoundTripMeter(150, 0.5);
    meter.observe(250);
    assert.equal(meter.ms, 200);
    meter.observe(Number.NaN);
    meter.observe(-5);
    assert.equal(meter.ms, 200);
  });
});

describe('rate adaptation (130429)', () => {
  test('halves, holds for the cool-down, then climbs back step by step', () => {
    const s = DEFAULT_RATE_ADAPTATION;
    const lowered = afterRateLimit(steadyRate(80), 1_000, 1_100);
    assert.equal(rateAt(lowered, 1_100), 40);
    assert.equal(rateAt(lowered, 1_100 + s.coolDownMs - 1), 40);
    assert.equal(rateAt(lowered, 1_100 + s.coolDownMs), 48);
    assert.equal(rateAt(lowered, 1_100 + s.coolDownMs + s.stepMs), 56);
    assert.equal(rateAt(lowered, 1_100 + s.coolDownMs + 10 * s.stepMs), 80);
    assert.equal(recoveredAt(lowered), 1_100 + s.coolDownMs + 4 * s.stepMs);
    assert.equal(rateAt(lowered, recoveredAt(lowered)!), 80);
  });

  test('calls in flight when the rate dropped do not lower it again; a later call does', () => {
    const once = afterRateLimit(steadyRate(80), 1_000, 1_100);
    const inFlight = afterRateLimit(once, 1_050, 1_140);
    assert.equal(inFlight, once, 'started before the drop: nothing changes');
    const again = afterRateLimit(once, 1_200, 1_300);
    assert.equal(rateAt(again, 1_300), 20);
    let floor: RateState = steadyRate(2);
    for (let t = 0; t < 10; t++) floor = afterRateLimit(floor, t * 1_000, t * 1_000 + 1);
    assert.equal(rateAt(floor, 9_001), 1, 'never below minPerSec');
  });
});

/**
 * A lane on an injected clock: a window of calls in flight, each start gated by the rule, each call
 * answered a round trip later by a provider that refuses (130429) past `providerPerSec` accepted in
 * any 1 s (sliding window). Returns every start and how many calls were refused.
 */
function simulate(options: {
  pacing: PacingSettings;
  configuredPerSec: number;
  providerPerSec: number;
  roundTripMs: (index: number) => number;
  durationMs: number;
}) {
  const meter = new RoundTripMeter(150);
  let lane: LaneState = IDLE_LANE;
  let rate = steadyRate(options.configuredPerSec);
  const starts: Array<{ at: number; gapRequired: number }> = [];
  const accepted: number[] = [];
  let refused = 0;
  type Call = { startedAt: number; answerAt: number; ok: boolean };
  let inFlight: Call[] = [];
  let now = 0;
  // The provider decides when a call arrives (its start), the lane learns it a round trip later.
  const arrive = (at: number) => {
    const ok = accepted.filter((t) => t > at - 1_000).length < options.providerPerSec;
    if (ok) accepted.push(at);
    return ok;
  };
  const answer = (call: Call) => {
    meter.observe(call.answerAt - call.startedAt);
    if (!call.ok) {
      refused++;
      rate = afterRateLimit(rate, call.startedAt, call.answerAt);
    }
  };
  while (now < options.durationMs) {
    for (const call of inFlight.filter((c) => c.answerAt <= now).sort((a, b) => a.answerAt - b.answerAt)) answer(call);
    inFlight = inFlight.filter((c) => c.answerAt > now);
    const perSec = rateAt(rate, now);
    const { size } = sendWindow({ pacing: options.pacing, throughputPerSec: perSec, roundTripMs: meter.ms });
    const startAt = earliestNextStart(lane, options.pacing, perSec);
    if (inFlight.length < size && startAt <= now) {
      starts.push({ at: now, gapRequired: minStartGapMs(options.pacing, perSec) });
      lane = recordSend(lane, options.pacing, now);
      inFlight.push({ startedAt: now, answerAt: now + options.roundTripMs(starts.length), ok: arrive(now) });
      continue;
    }
    // Next event: an answer, or the gate opening (when the window has room). Fractional times on purpose.
    const nextAnswer = Math.min(...inFlight.map((c) => c.answerAt));
    now = inFlight.length < size ? Math.min(nextAnswer, Math.max(startAt, now)) : nextAnswer;
  }
  return { starts, accepted, refused };
}

describe('a windowed lane on an injected clock', () => {
  test('80/s with a 150 ms round trip sends at 80/s and no start gap is below 12.5 ms', () => {
    const run = simulate({
      pacing: FAST,
      configuredPerSec: 80,
      providerPerSec: 80,
      roundTripMs: (i) => 120 + ((i * 37) % 60), // 120–180 ms
      durationMs: 10_000,
    });
    const gaps = run.starts.slice(1).map((s, i) => s.at - run.starts[i]!.at);
    assert.ok(Math.min(...gaps) >= 12.5, `smallest gap ${Math.min(...gaps)}`);
    assert.ok(run.starts.length >= 790 && run.starts.length <= 801, `${run.starts.length} starts in 10 s`);
    assert.equal(run.refused, 0);
  });

  test('1,000/s: 1 ms gaps, never closer, ~1,000 a second', () => {
    const run = simulate({
      pacing: FAST,
      configuredPerSec: 1_000,
      providerPerSec: 1_000,
      roundTripMs: () => 50,
      durationMs: 2_000,
    });
    const gaps = run.starts.slice(1).map((s, i) => s.at - run.starts[i]!.at);
    assert.ok(Math.min(...gaps) >= 1);
    assert.ok(run.starts.length >= 1_990, `${run.starts.length}`);
  });

  test('the anti-ban default: one call at a time, 20 s apart', () => {
    const run = simulate({
      pacing: DEFAULT_PACING,
      configuredPerSec: 80,
      providerPerSec: 80,
      roundTripMs: () => 150,
      durationMs: 100_000,
    });
    assert.deepEqual(
      run.starts.map((s) => s.at),
      [0, 20_000, 40_000, 60_000, 80_000],
    );
  });

  test('a provider slower than configured: the rate adapts, no storm of refused calls, gaps follow the lowered rate', () => {
    const run = simulate({
      pacing: FAST,
      configuredPerSec: 80,
      providerPerSec: 30,
      roundTripMs: () => 150,
      durationMs: 60_000,
    });
    for (const [i, start] of run.starts.entries())
      if (i > 0) assert.ok(start.at - run.starts[i - 1]!.at >= start.gapRequired - 1e-9, `start ${i}`);
    const acceptedPerSec = run.accepted.length / 60;
    assert.ok(acceptedPerSec >= 15, `accepted ${acceptedPerSec.toFixed(1)}/s of the provider's 30`);
    assert.ok(
      run.refused <= 0.1 * (run.accepted.length + run.refused),
      `${run.refused} refused of ${run.accepted.length + run.refused}`,
    );
  });
});
