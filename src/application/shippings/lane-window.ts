import { randomUUID } from 'node:crypto';
import {
  afterRateLimit,
  DEFAULT_RATE_ADAPTATION,
  type RateState,
  rateAt,
  steadyRate,
  withConfiguredRate,
} from '../../domain/pacing/rate-adaptation';
import { RoundTripMeter } from '../../domain/pacing/send-window';
import { preciseNow } from '../../infrastructure/gateways/sandbox/start-gap-judge';

/**
 * What this process knows of one number's lane while it is its active dispatcher: the provider
 * calls it has in flight (a window of them when the number's start gap is shorter than a round
 * trip), the provider's measured round trip, and the rate the provider currently accepts (lowered
 * after a 130429, then climbing back). Only this process sends for the lane (single active
 * consumer), so this is kept in memory; what a dispatcher taking over must know (the last start,
 * that sends were in flight) is in the persisted lane state.
 */
export class LaneWindow {
  private readonly inFlight = new Set<Promise<void>>();
  /**
   * How long a send holds its slot as seen by this lane (the provider's round trip and the
   * recording of its outcome); none before its first call answers.
   */
  private meter: RoundTripMeter | null = null;
  private rate: RateState | null = null;
  /** The last start this process made on the lane (sub-millisecond clock), the next one's reference. */
  lastStart: number | null = null;

  /**
   * The round trip the window is sized by: 0 until a call has answered, so a lane starts with one
   * call at a time (exactly the lone-send behaviour) and opens its window once it has measured one.
   */
  get roundTripMs(): number {
    return this.meter?.ms ?? 0;
  }

  /** A call answered `durationMs` after it started. */
  observeRoundTrip(durationMs: number): void {
    if (!Number.isFinite(durationMs) || durationMs < 0) return;
    if (this.meter) this.meter.observe(durationMs);
    else this.meter = new RoundTripMeter(durationMs);
  }

  get size(): number {
    return this.inFlight.size;
  }

  /** Resolves once fewer than `size` calls are in flight. */
  async freeSlot(size: number): Promise<void> {
    while (this.inFlight.size >= Math.max(1, size)) await Promise.race(this.inFlight);
  }

  /**
   * Tracks a send in flight; it leaves the window when it settles. Its failure is the caller's to
   * handle (awaited, or caught): the window's own copy never rejects.
   */
  track(call: Promise<void>): void {
    const tracked: Promise<void> = call.then(
      () => undefined,
      () => undefined,
    );
    this.inFlight.add(tracked);
    void tracked.then(() => this.inFlight.delete(tracked));
  }

  /** Every call in flight settled, or `timeoutMs` passed (then false). */
  async drain(timeoutMs: number): Promise<boolean> {
    const deadline = Date.now() + timeoutMs;
    while (this.inFlight.size > 0) {
      const left = deadline - Date.now();
      if (left <= 0) return false;
      let timer: NodeJS.Timeout | undefined;
      await Promise.race([
        Promise.allSettled([...this.inFlight]),
        new Promise((resolve) => {
          timer = setTimeout(resolve, left);
        }),
      ]);
      clearTimeout(timer);
    }
    return true;
  }

  /** The rate the provider accepts now: the configured throughput, lowered for a while after a 130429. */
  throughputAt(configuredPerSec: number | null, now: number): number | null {
    if (configuredPerSec === null) return null;
    this.rate = this.rate ? withConfiguredRate(this.rate, configuredPerSec) : steadyRate(configuredPerSec);
    return rateAt(this.rate, now, DEFAULT_RATE_ADAPTATION);
  }

  /** The provider refused a call started at `startedAt` for its rate: the lane slows down (once per drop). */
  rateLimited(configuredPerSec: number, startedAt: number, now: number): number {
    const state = this.rate ? withConfiguredRate(this.rate, configuredPerSec) : steadyRate(configuredPerSec);
    this.rate = afterRateLimit(state, startedAt, now, DEFAULT_RATE_ADAPTATION);
    return rateAt(this.rate, now, DEFAULT_RATE_ADAPTATION);
  }
}

const dispatcherIds = new WeakMap<object, string>();

/**
 * Identifies a dispatcher (`owner`: the dispatch dependencies of one worker) in the lane's in-flight
 * mark: a start it recorded is already counted in the lane state; one recorded by another
 * (crashed) dispatcher is not known to have ended and counts as a send made at takeover.
 */
export function dispatcherIdOf(owner: object): string {
  let id = dispatcherIds.get(owner);
  if (!id) {
    id = randomUUID();
    dispatcherIds.set(owner, id);
  }
  return id;
}

/**
 * Waits until `at` on the sub-millisecond clock, then returns the start time: a timer for the
 * bulk of the wait, then the event loop's next turns for the last millisecond (timers fire in
 * whole milliseconds; 12.5 ms at 80/s or 1 ms at 1,000/s need finer).
 */
export async function startAtPrecisely(at: number): Promise<number> {
  for (;;) {
    const now = preciseNow();
    const left = at - now;
    if (left <= 0) return now;
    if (left > 2) await new Promise((resolve) => setTimeout(resolve, Math.floor(left - 1)));
    else await new Promise((resolve) => setImmediate(resolve));
  }
}

const windows = new WeakMap<object, Map<string, LaneWindow>>();

/** The window of a lane in this process (`owner`: the dispatch dependencies of this worker). */
export function laneWindowOf(owner: object, connectionId: string): LaneWindow {
  let lanes = windows.get(owner);
  if (!lanes) {
    lanes = new Map();
    windows.set(owner, lanes);
  }
  let window = lanes.get(connectionId);
  if (!window) {
    window = new LaneWindow();
    lanes.set(connectionId, window);
  }
  return window;
}

/**
 * At shutdown: waits (at most `timeoutMs`) for the provider calls still in flight on every lane,
 * so their outcomes are recorded before the connections close. Returns the lanes that did not drain.
 */
export async function drainLaneWindows(owner: object, timeoutMs: number): Promise<string[]> {
  const lanes = windows.get(owner);
  if (!lanes) return [];
  const results = await Promise.all(
    [...lanes].map(async ([connectionId, window]) => ((await window.drain(timeoutMs)) ? null : connectionId)),
  );
  return results.filter((id): id is string => id !== null);
}
