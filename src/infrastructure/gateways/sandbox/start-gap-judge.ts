import { performance } from 'node:perf_hooks';

/**
 * The sandbox's record of when each send on a number STARTED, kept in this process and updated
 * synchronously when a send arrives: with several sends of a number in flight at once, their
 * starts are judged in the order they arrived, which a judge after each send's answer (in the
 * order the answers come back) could not do. Sends made by another process are judged by the
 * sandbox's pacing judge (in MongoDB); this one judges the gap between consecutive starts.
 */
export class StartGapJudge {
  private readonly lastStart = new Map<string, number>();

  /**
   * Notes a start at `at` (epoch ms, fractional) and says whether it came too soon after the
   * previous start of the number: null, or the gap and the least one required.
   */
  judge(connectionId: string, at: number, requiredMs: number): { gapMs: number; requiredMs: number } | null {
    const previous = this.lastStart.get(connectionId);
    this.lastStart.set(connectionId, previous === undefined ? at : Math.max(previous, at));
    if (previous === undefined) return null;
    const gapMs = at - previous;
    // A microsecond of slack for floating-point error, nothing a sender could use.
    return gapMs < requiredMs - 0.001 ? { gapMs: Math.round(gapMs * 1000) / 1000, requiredMs } : null;
  }
}

/**
 * Epoch milliseconds with sub-millisecond precision (fractional): 12.5 ms gaps at 80 per second
 * cannot be told apart with a whole-millisecond clock. A lane gating its starts should use the same.
 */
export function preciseNow(): number {
  return performance.timeOrigin + performance.now();
}

const judges = new WeakMap<object, StartGapJudge>();

/** One judge per sandbox store (database) in this process. */
export function startGapJudgeOf(store: object): StartGapJudge {
  let judge = judges.get(store);
  if (!judge) {
    judge = new StartGapJudge();
    judges.set(store, judge);
  }
  return judge;
}
