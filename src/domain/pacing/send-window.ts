import { type LaneState, requiredGap } from './pacing-rule';
import type { PacingSettings } from './pacing-settings';

/**
 * How many sends a number may have in flight at once, and how far apart their STARTS must be.
 *
 * A lane that waits for each provider answer before the next call can never send faster than one
 * call per round trip (150 ms to the Graph API: under 7 a second). A number whose pacing gap is
 * shorter than that round trip overlaps calls instead: a bounded window of sends in flight, each
 * start still at least the minimum gap after the previous start, so the number never goes faster
 * than its pacing or its provider's throughput allows. A number whose gap is longer than a round
 * trip (the anti-ban default, 20 s) gets a window of 1: one send at a time, exactly as before.
 *
 * Times are epoch ms and may be fractional (12.5 ms at 80 per second): gate starts with a clock
 * finer than a millisecond, since a whole-millisecond clock turns 12.5 ms into 12 or 13.
 */

/** The most sends in flight on one number, whatever the gap and the round trip. */
export const DEFAULT_MAX_IN_FLIGHT = 64;

/** The least time between two send starts on a number: its pacing gap, or 1/throughput if longer. */
export function minStartGapMs(
  pacing: Pick<PacingSettings, 'messageIntervalMs'>,
  throughputPerSec: number | null,
): number {
  return Math.max(pacing.messageIntervalMs, throughputGapMs(throughputPerSec));
}

/** 1 s / throughput (0 when the provider has none). */
export function throughputGapMs(throughputPerSec: number | null): number {
  return throughputPerSec && throughputPerSec > 0 ? 1_000 / throughputPerSec : 0;
}

/**
 * The gap required after the last start: the pacing rule's (the ordinary gap, or the longer one
 * after a full run) and never less than 1/throughput.
 */
export function requiredStartGap(state: LaneState, pacing: PacingSettings, throughputPerSec: number | null): number {
  return Math.max(requiredGap(state, pacing), throughputGapMs(throughputPerSec));
}

/**
 * The earliest moment the next send may START. `state.lastSentAt` is the last START on the number
 * (with a window, a send starts before the previous one has answered); record each start with
 * `recordSend(state, pacing, startedAt)` of pacing-rule.ts.
 */
export function earliestNextStart(state: LaneState, pacing: PacingSettings, throughputPerSec: number | null): number {
  if (state.lastSentAt === null) return Number.NEGATIVE_INFINITY;
  return state.lastSentAt + requiredStartGap(state, pacing, throughputPerSec);
}

/** How long to wait at `now` before the next start (0: start now). */
export function waitBeforeStart(
  state: LaneState,
  pacing: PacingSettings,
  throughputPerSec: number | null,
  now: number,
): number {
  return Math.max(0, earliestNextStart(state, pacing, throughputPerSec) - now);
}

/**
 * Sends allowed in flight: 1 when the gap is at least a round trip (one call at a time, as the
 * anti-ban default always was); otherwise enough to keep starting every `gapMs` while earlier
 * calls are still out, ceil(roundTrip / gap), plus one spare so a call slower than the average
 * round trip does not hold the next start back (without it, round trips of 120–180 ms at 80/s
 * gave 78/s), bounded by `maxInFlight`.
 */
export function windowSize(gapMs: number, roundTripMs: number, maxInFlight = DEFAULT_MAX_IN_FLIGHT): number {
  const bound = Math.max(1, Math.floor(maxInFlight));
  if (!(roundTripMs > 0) || gapMs >= roundTripMs) return 1;
  if (!(gapMs > 0)) return bound;
  return Math.min(bound, Math.ceil(roundTripMs / gapMs) + 1);
}

/**
 * The pacing a number actually sends at, for planning and estimates: its ordinary gap raised to
 * 1/throughput when the provider allows less than the pacing would (runs and longer gaps as they are).
 */
export function pacingWithThroughput(pacing: PacingSettings, throughputPerSec: number | null): PacingSettings {
  const messageIntervalMs = minStartGapMs(pacing, throughputPerSec);
  if (messageIntervalMs === pacing.messageIntervalMs) return pacing;
  const max = pacing.messageIntervalMaxMs;
  return {
    ...pacing,
    messageIntervalMs,
    ...(max ? { messageIntervalMaxMs: Math.max(max, messageIntervalMs) } : {}),
  };
}

export interface SendWindowInputs {
  /** The effective pacing (company's, made stricter by the campaign's). */
  pacing: PacingSettings;
  /** The connection's provider throughput now (after any rate-limit adaptation); null: none. */
  throughputPerSec: number | null;
  /** The provider's round trip, measured (RoundTripMeter) or expected. */
  roundTripMs: number;
  maxInFlight?: number;
}

/** The start gap and the window of a number now. */
export function sendWindow(inputs: SendWindowInputs): { gapMs: number; size: number } {
  const gapMs = minStartGapMs(inputs.pacing, inputs.throughputPerSec);
  return { gapMs, size: windowSize(gapMs, inputs.roundTripMs, inputs.maxInFlight) };
}

/**
 * The provider's round trip as the lane has seen it: an exponentially weighted average of the
 * calls' durations, starting from an expected value. Pure: the caller measures and observes.
 */
export class RoundTripMeter {
  private value: number;

  constructor(
    expectedMs: number,
    /** Weight of each new observation (0–1). */
    private readonly weight = 0.2,
  ) {
    this.value = Math.max(0, expectedMs);
  }

  observe(durationMs: number): void {
    if (!Number.isFinite(durationMs) || durationMs < 0) return;
    this.value += this.weight * (durationMs - this.value);
  }

  get ms(): number {
    return this.value;
  }
}
