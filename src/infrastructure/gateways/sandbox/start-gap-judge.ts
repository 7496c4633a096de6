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
   * previous start of the number: null, or the gap and the least one required. Two bounds:
   * - `pacingMs` (the company's `messageInterval`), with one millisecond of tolerance: it is whole
   *   milliseconds, and senders (the lane, the receipts they pace from) read a whole-millisecond
   *   clock, so a send at last + interval on that clock can be up to 1 ms early on this one;
   * - `throughputMs` (1 s / throughput), exact (a microsecond for floating-point error): 12.5 ms at
   *   80/s or 1 ms at 1,000/s means nothing with a millisecond of slack, so a sender honouring a
   *   throughput gates its starts on a sub-millisecond clock (`preciseNow`).
   */
  judge(
    connectionId: string,
    at: number,
    bounds: { pacingMs: number; throughputMs: number },
  ): { gapMs: number; requiredMs: number } | null {
    const previous = this.lastStart.get(connectionId);
    this.lastStart.set(connectionId, previous === undefined ? at : Math.max(previous, at));
    if (previous === undefined) return null;
    const gapMs = at - previous;
    const rounded = Math.round(gapMs * 1000) / 1000;
    if (gapMs < bounds.throughputMs - 0.001) return { gapMs: rounded, requiredMs: bounds.throughputMs };
    if (gapMs < bounds.pacingMs - 1) return { gapMs: rounded, requiredMs: bounds.pacingMs };
    return null;
  }

  /** The last start noted for the number (to give to `withdraw`). */
  lastStartOf(connectionId: string): number | undefined {
    return this.lastStart.get(connectionId);
  }

  /**
   * The call noted at `at` sent nothing (a repeated idempotency key, answered with the first
   * receipt): it was no start, so the number's last start is `previous` again — unless a later
   * start was noted since, which stays.
   */
  withdraw(connectionId: string, at: number, previous: number | undefined): void {
    if (this.lastStart.get(connectionId) !== at) return;
    if (previous === undefined) this.lastStart.delete(connectionId);
    else this.lastStart.set(connectionId, previous);
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
