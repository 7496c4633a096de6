import type { PacingSettings } from './pacing-settings';

/**
 * The pacing rule of one WhatsApp number (a "lane"), the same in planning and in dispatch:
 *
 * - Consecutive sends are at least `messageInterval` apart.
 * - Sends form runs. After every `longerIntervalAfter` sends of a run, the next gap is at least
 *   `greaterInterval` (with the defaults: 20 sends 20 s apart, a 60 s pause, 20 more, …).
 * - A gap of `greaterInterval` or more, taken or idle, ends the run: the next send starts a new one.
 *
 * `LaneState` is what the rule needs to survive a failover; it is persisted with the lane.
 */
export interface LaneState {
  /** When the last send happened (epoch ms), or null if the number never sent. */
  lastSentAt: number | null;
  /** Sends in the current run, the last one included. */
  runLength: number;
}

export const IDLE_LANE: LaneState = { lastSentAt: null, runLength: 0 };

/** The least gap required between the last send and the next one. */
export function requiredGap(state: LaneState, settings: PacingSettings): number {
  if (state.runLength > 0 && state.runLength % settings.longerIntervalAfter === 0) return settings.greaterIntervalMs;
  return settings.messageIntervalMs;
}

/** The earliest moment the next send may happen (epoch ms). */
export function earliestNextSend(state: LaneState, settings: PacingSettings): number {
  if (state.lastSentAt === null) return Number.NEGATIVE_INFINITY;
  return state.lastSentAt + requiredGap(state, settings);
}

/** The lane's state after a send at `at`. */
export function recordSend(state: LaneState, settings: PacingSettings, at: number): LaneState {
  const continuesRun = state.lastSentAt !== null && at - state.lastSentAt < settings.greaterIntervalMs;
  return { lastSentAt: at, runLength: continuesRun ? state.runLength + 1 : 1 };
}

/** How long a sender must still wait at `now` before sending (0 if it may send now). */
export function waitBeforeSend(state: LaneState, settings: PacingSettings, now: number): number {
  return Math.max(0, earliestNextSend(state, settings) - now);
}

/** Checks a sequence of send times against the rule; returns the sends that came too early. */
export function findViolations(
  sendTimes: number[],
  settings: PacingSettings,
): Array<{ index: number; gapMs: number; requiredMs: number }> {
  const violations: Array<{ index: number; gapMs: number; requiredMs: number }> = [];
  let state = IDLE_LANE;
  sendTimes.forEach((at, index) => {
    if (state.lastSentAt !== null && at < earliestNextSend(state, settings)) {
      violations.push({ index, gapMs: at - state.lastSentAt, requiredMs: requiredGap(state, settings) });
    }
    state = recordSend(state, settings, at);
  });
  return violations;
}
