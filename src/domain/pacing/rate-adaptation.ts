/**
 * What a number does when its provider says it is sending too fast (Cloud API 130429, "Rate limit
 * hit"): its rate drops (halves, by default) and stays there for a cool-down, then climbs back
 * step by step to the configured throughput. Multiplicative decrease, additive increase.
 *
 * No storm of failed calls: the calls already in flight when the rate dropped were started at the
 * old rate and may fail with 130429 too; those do not lower it again (only a failure of a call
 * started after the last drop does). Pure: the caller passes the time.
 */

export interface RateAdaptationSettings {
  /** The rate after a limit, as a share of the rate at that moment (0–1). */
  decreaseFactor: number;
  /** How long the lowered rate holds before it starts to recover. */
  coolDownMs: number;
  /** After the cool-down, the rate climbs by `stepShare` of the configured rate every `stepMs`. */
  stepMs: number;
  stepShare: number;
  /** Never below this many per second. */
  minPerSec: number;
}

export const DEFAULT_RATE_ADAPTATION: RateAdaptationSettings = {
  decreaseFactor: 0.5,
  coolDownMs: 5_000,
  stepMs: 1_000,
  stepShare: 0.1,
  minPerSec: 1,
};

export interface RateState {
  /** The connection's throughput (per second). */
  configuredPerSec: number;
  /** The rate set by the last limit, or null when none is in force. */
  loweredPerSec: number | null;
  /** When that limit lowered it (epoch ms). */
  loweredAt: number | null;
}

export function steadyRate(configuredPerSec: number): RateState {
  return { configuredPerSec, loweredPerSec: null, loweredAt: null };
}

/** The rate allowed at `now`: lowered during the cool-down, then climbing back, then the configured one. */
export function rateAt(state: RateState, now: number, settings = DEFAULT_RATE_ADAPTATION): number {
  if (state.loweredPerSec === null || state.loweredAt === null) return state.configuredPerSec;
  const elapsed = now - state.loweredAt;
  if (elapsed < settings.coolDownMs) return state.loweredPerSec;
  const steps = 1 + Math.floor((elapsed - settings.coolDownMs) / settings.stepMs);
  const climbed = state.loweredPerSec + steps * settings.stepShare * state.configuredPerSec;
  return Math.min(state.configuredPerSec, climbed);
}

/** When the rate is fully back to the configured one (null: it is). */
export function recoveredAt(state: RateState, settings = DEFAULT_RATE_ADAPTATION): number | null {
  if (state.loweredPerSec === null || state.loweredAt === null) return null;
  const missing = state.configuredPerSec - state.loweredPerSec;
  if (missing <= 0) return state.loweredAt;
  const steps = Math.ceil(missing / (settings.stepShare * state.configuredPerSec));
  return state.loweredAt + settings.coolDownMs + (steps - 1) * settings.stepMs;
}

/**
 * The state after a call that STARTED at `startedAt` was refused for its rate at `now`. A call
 * started before the last drop changes nothing (it went out at the old rate).
 */
export function afterRateLimit(
  state: RateState,
  startedAt: number,
  now: number,
  settings = DEFAULT_RATE_ADAPTATION,
): RateState {
  if (state.loweredAt !== null && startedAt < state.loweredAt) return state;
  const current = rateAt(state, now, settings);
  const lowered = Math.max(settings.minPerSec, Math.min(current, current * settings.decreaseFactor));
  return { configuredPerSec: state.configuredPerSec, loweredPerSec: lowered, loweredAt: now };
}

/** The same state with a new configured rate (an operator changed the connection's throughput). */
export function withConfiguredRate(state: RateState, configuredPerSec: number): RateState {
  if (configuredPerSec === state.configuredPerSec) return state;
  return {
    configuredPerSec,
    loweredPerSec: state.loweredPerSec === null ? null : Math.min(state.loweredPerSec, configuredPerSec),
    loweredAt: state.loweredAt,
  };
}
