import { IDLE_LANE, type LaneState, recordSend } from './pacing-rule';
import type { PacingSettings } from './pacing-settings';
import { afterRateLimit, DEFAULT_RATE_ADAPTATION, type RateState, rateAt, withConfiguredRate } from './rate-adaptation';
import { requiredStartGap } from './send-window';

/**
 * The one place a throughput lane decides when each send STARTS. Every start is at least the
 * required gap after the previous start: the pacing rule's (messageInterval, or greaterInterval
 * after every `longerIntervalAfter` starts of a run — starts still in flight counted) and never
 * less than 1 s / the lane's rate now (the connection's throughput, lowered for a while after the
 * provider refused a call for its rate), and never inside a cool-down.
 *
 * Pure: the caller passes the time (a clock finer than a millisecond: 12.5 ms at 80/s) and waits.
 */
export class StartScheduler {
  private lane: LaneState;
  private rate: RateState | null;
  private coolDownUntil: number | null;

  constructor(initial: { lane?: LaneState; rate?: RateState | null; coolDownUntil?: number | null } = {}) {
    this.lane = initial.lane ?? IDLE_LANE;
    this.rate = initial.rate ?? null;
    this.coolDownUntil = initial.coolDownUntil ?? null;
  }

  /** The starts so far (in flight included): what the lane persists before its calls go out. */
  get state(): LaneState {
    return this.lane;
  }

  /** No start before this (null: no cool-down was asked for). */
  get coolDownEnd(): number | null {
    return this.coolDownUntil;
  }

  get rateState(): RateState | null {
    return this.rate;
  }

  /** The rate allowed at `now` (null: the connection has no throughput). */
  rateAt(now: number): number | null {
    return this.rate ? rateAt(this.rate, now) : null;
  }

  /** The connection's throughput as configured now (an operator may change it). */
  configure(throughputPerSec: number | null): void {
    if (throughputPerSec === null || !(throughputPerSec > 0)) this.rate = null;
    else this.rate = this.rate ? withConfiguredRate(this.rate, throughputPerSec) : steady(throughputPerSec);
  }

  /** The earliest moment the next send (on `pacing`) may start, seen at `now`. */
  earliestStart(pacing: PacingSettings, now: number): number {
    const byGap =
      this.lane.lastSentAt === null
        ? Number.NEGATIVE_INFINITY
        : this.lane.lastSentAt + requiredStartGap(this.lane, pacing, this.rateAt(now));
    return Math.max(now, byGap, this.coolDownUntil ?? Number.NEGATIVE_INFINITY);
  }

  /** How long to wait at `now` before the next send may start (0: now). */
  waitBeforeStart(pacing: PacingSettings, now: number): number {
    return this.earliestStart(pacing, now) - now;
  }

  /** A send started at `at` (never earlier than `earliestStart`: the caller waited for it). */
  recordStart(pacing: PacingSettings, at: number): void {
    this.lane = recordSend(this.lane, pacing, Math.max(at, this.lane.lastSentAt ?? at));
  }

  /**
   * The provider refused a call started at `startedAt` for its rate: the rate drops for a cool-down
   * (once per drop: calls started before it change nothing). Whether it dropped now.
   */
  rateLimited(startedAt: number, now: number): boolean {
    if (!this.rate) return false;
    const before = this.rate;
    this.rate = afterRateLimit(this.rate, startedAt, now, DEFAULT_RATE_ADAPTATION);
    return this.rate !== before;
  }

  /** No start before `until` (a provider limit that is not the number's rate). */
  coolDown(until: number): void {
    this.coolDownUntil = Math.max(this.coolDownUntil ?? until, until);
  }
}

function steady(configuredPerSec: number): RateState {
  return { configuredPerSec, loweredPerSec: null, loweredAt: null };
}

/**
 * Start times for `count` sends from `state` at `now`, without waiting: what a batch's record says
 * before its calls go out (the lane's starts then keep at least these gaps, later if the clock is late).
 */
export function planStarts(
  scheduler: { lane: LaneState; rateAt: (at: number) => number | null },
  pacing: PacingSettings,
  now: number,
  count: number,
): { starts: number[]; after: LaneState } {
  let lane = scheduler.lane;
  const starts: number[] = [];
  for (let i = 0; i < count; i++) {
    const gap = lane.lastSentAt === null ? 0 : requiredStartGap(lane, pacing, scheduler.rateAt(now));
    const at = Math.max(now, lane.lastSentAt === null ? now : lane.lastSentAt + gap);
    starts.push(at);
    lane = recordSend(lane, pacing, at);
  }
  return { starts, after: lane };
}
