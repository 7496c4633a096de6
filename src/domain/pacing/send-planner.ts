import { CapLedger } from './daily-cap';
import { earliestNextSend, type LaneState, recordSend, requiredGap } from './pacing-rule';
import type { PacingSettings } from './pacing-settings';
import { drawGap } from './send-gap';
import { type CompiledSchedule, windowAt } from './sending-window';

/**
 * The limits a plan honours beside the pacing rule, all optional: the sending windows (in the
 * company's zone), the number's daily cap (its sends of the last 24 h and the cap at each moment)
 * and the seed of randomised gaps (the campaign id).
 */
export interface PlanLimits {
  window?: { schedule: CompiledSchedule; zone: string } | null;
  cap?: { cap: (at: number) => number | null; recent: readonly number[] } | null;
  /** Seeds the gaps drawn when `messageInterval` is a range (the campaign id). */
  seed?: string;
}

/**
 * Plans send times on a lane by the same rules dispatch enforces, one contact after another: the
 * pacing gap (drawn inside its range, never below its minimum), then the first moment a sending
 * window is open and the daily cap has room. Deterministic: the same start, settings, limits and
 * initial state give the same times, so processing a campaign again (after a crash) plans exactly
 * what it planned the first time.
 */
export class SendPlanner {
  private state: LaneState;
  private index = 0;
  private readonly ledger: CapLedger | null;
  /** The window known open over [openFrom, openUntil): most sends need no time-zone arithmetic. */
  private openFrom = Number.POSITIVE_INFINITY;
  private openUntil = Number.NEGATIVE_INFINITY;

  constructor(
    private readonly settings: PacingSettings,
    private readonly startAt: number,
    initial: LaneState,
    private readonly limits: PlanLimits = {},
  ) {
    this.state = initial;
    this.ledger = limits.cap ? new CapLedger(limits.cap.cap, limits.cap.recent) : null;
  }

  next(): number {
    let at = Math.max(this.startAt, this.earliestByPacing());
    for (let guard = 0; ; guard++) {
      if (guard > 1_000) throw new Error('no send time satisfies the sending windows and the daily cap');
      const open = this.firstOpen(at);
      const slot = this.ledger ? this.ledger.firstSlot(open) : open;
      if (slot === open) {
        at = open;
        break;
      }
      at = slot;
    }
    this.state = recordSend(this.state, this.settings, at);
    this.ledger?.record(at);
    this.index++;
    return at;
  }

  /** The pacing rule's earliest time, with the ordinary gap drawn inside its range. */
  private earliestByPacing(): number {
    const { settings, state } = this;
    const earliest = earliestNextSend(state, settings);
    const max = settings.messageIntervalMaxMs;
    if (state.lastSentAt === null || !max || max <= settings.messageIntervalMs) return earliest;
    if (requiredGap(state, settings) !== settings.messageIntervalMs) return earliest;
    return state.lastSentAt + drawGap(this.limits.seed ?? '', this.index, settings.messageIntervalMs, max);
  }

  private firstOpen(at: number): number {
    const window = this.limits.window;
    if (!window) return at;
    if (at >= this.openFrom && at < this.openUntil) return at;
    let t = at;
    for (let guard = 0; guard < 32; guard++) {
      const state = windowAt(window.schedule, window.zone, t);
      if (state.open) {
        this.openFrom = t;
        this.openUntil = state.closesAt;
        return t;
      }
      if (state.opensAt === null) throw new Error('the sending windows never open');
      t = state.opensAt;
    }
    throw new Error('the sending windows never open');
  }

  /** The lane state after every planned send so far (the horizon the next campaign plans from). */
  get horizon(): LaneState {
    return this.state;
  }
}

/** The times of `count` sends planned from `startAt` (for estimates and tests). */
export function planSendTimes(
  settings: PacingSettings,
  startAt: number,
  initial: LaneState,
  count: number,
  limits: PlanLimits = {},
): number[] {
  const planner = new SendPlanner(settings, startAt, initial, limits);
  return Array.from({ length: count }, () => planner.next());
}

/**
 * When the last of `count` more sends can happen, by the pacing rule and the limits, if the number
 * sends nothing else. Exact by simulation up to `exactUpTo` sends (windows closed, caps full and
 * drawn gaps included); beyond, the rest goes at the simulated pace (without limits: whole runs
 * repeat the same period).
 */
export function estimateFinish(
  settings: PacingSettings,
  lane: LaneState,
  now: number,
  count: number,
  exactUpTo = 10_000,
  limits: PlanLimits = {},
): number | null {
  if (count <= 0) return null;
  const planner = new SendPlanner(settings, now, lane, limits);
  const exact = Math.min(count, exactUpTo);
  let last = now;
  for (let i = 0; i < exact; i++) last = planner.next();
  const rest = count - exact;
  if (rest === 0) return last;
  if (limits.window || limits.cap || settings.messageIntervalMaxMs) {
    return last + Math.round((rest * (last - now)) / exact);
  }
  const run = settings.longerIntervalAfter;
  const perRun = (run - 1) * settings.messageIntervalMs + settings.greaterIntervalMs;
  return last + Math.round((rest / run) * perRun);
}
