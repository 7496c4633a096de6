import { earliestNextSend, type LaneState, recordSend } from './pacing-rule';
import type { PacingSettings } from './pacing-settings';

/**
 * Plans send times on a lane by the same rule dispatch enforces, one contact after another.
 * Deterministic: the same start, settings and initial state give the same times, so processing a
 * campaign again (after a crash) plans exactly what it planned the first time.
 */
export class SendPlanner {
  private state: LaneState;

  constructor(
    private readonly settings: PacingSettings,
    private readonly startAt: number,
    initial: LaneState,
  ) {
    this.state = initial;
  }

  next(): number {
    const at = Math.max(this.startAt, earliestNextSend(this.state, this.settings));
    this.state = recordSend(this.state, this.settings, at);
    return at;
  }

  /** The lane state after every planned send so far (the horizon the next campaign plans from). */
  get horizon(): LaneState {
    return this.state;
  }
}

/** The times of `count` sends planned from `startAt` (for estimates and tests). */
export function planSendTimes(settings: PacingSettings, startAt: number, initial: LaneState, count: number): number[] {
  const planner = new SendPlanner(settings, startAt, initial);
  return Array.from({ length: count }, () => planner.next());
}

/**
 * When the last of `count` more sends can happen, by the pacing rule, if the number sends nothing
 * else. Exact by simulation up to `exactUpTo` sends; beyond, whole runs repeat the same period.
 */
export function estimateFinish(
  settings: PacingSettings,
  lane: LaneState,
  now: number,
  count: number,
  exactUpTo = 10_000,
): number | null {
  if (count <= 0) return null;
  const planner = new SendPlanner(settings, now, lane);
  const exact = Math.min(count, exactUpTo);
  let last = now;
  for (let i = 0; i < exact; i++) last = planner.next();
  const rest = count - exact;
  if (rest === 0) return last;
  const run = settings.longerIntervalAfter;
  const perRun = (run - 1) * settings.messageIntervalMs + settings.greaterIntervalMs;
  return last + Math.round((rest / run) * perRun);
}
