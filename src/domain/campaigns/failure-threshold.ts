/**
 * When a running campaign pauses itself because its sends keep failing (as Listmonk's error
 * threshold does): a share of failures among the last `window` send attempts, or `consecutive`
 * failures in a row. Pure: the dispatch lane keeps the recent outcomes and asks here.
 */
export interface AutoPauseSettings {
  enabled: boolean;
  /** Pause when at least this share (0–1) of the last `window` attempts failed… */
  failureRate: number;
  /** …counted once `window` attempts have been made. */
  window: number;
  /** Or after this many failures in a row. */
  consecutive: number;
}

export const DEFAULT_AUTO_PAUSE: AutoPauseSettings = { enabled: true, failureRate: 0.2, window: 50, consecutive: 10 };

/** The recent attempts of one campaign: 1 a failure, 0 a success, oldest first (at most `window`). */
export interface SendOutcomes {
  recent: number[];
  consecutiveFailures: number;
}

/** Why the campaign should pause now, or null. */
export function autoPauseReason(outcomes: SendOutcomes, settings: AutoPauseSettings): string | null {
  if (!settings.enabled) return null;
  if (outcomes.consecutiveFailures >= settings.consecutive)
    return `${outcomes.consecutiveFailures} sends failed in a row (threshold ${settings.consecutive})`;
  const recent = outcomes.recent.slice(-settings.window);
  if (recent.length < settings.window) return null;
  const failures = recent.reduce((sum, outcome) => sum + outcome, 0);
  if (failures / recent.length >= settings.failureRate)
    return `${failures} of the last ${recent.length} sends failed (${Math.round((failures / recent.length) * 100)} %, threshold ${Math.round(settings.failureRate * 100)} %)`;
  return null;
}

/** The gateway's decisions that count as a failed send: not a throttle (lane-backoff) nor a halted number, which pauses by itself. */
export function countsAsFailure(kind: string): boolean {
  return kind === 'retry' || kind === 'contact-later' || kind === 'permanent';
}

/** The outcomes after one more attempt, keeping the last `window`. */
export function withOutcome(outcomes: SendOutcomes, failed: boolean, window: number): SendOutcomes {
  return {
    recent: [...outcomes.recent, failed ? 1 : 0].slice(-window),
    consecutiveFailures: failed ? outcomes.consecutiveFailures + 1 : 0,
  };
}
