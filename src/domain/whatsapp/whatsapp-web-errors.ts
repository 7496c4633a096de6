import type { FailureDecision } from './cloud-api-errors';

/**
 * Status codes of WhatsApp Web (Baileys' DisconnectReason, and the HTTP-like codes its Boom errors
 * carry). Kept here as numbers so the rules stay pure and testable without loading Baileys.
 */
export const WEB_STATUS = {
  loggedOut: 401,
  forbidden: 403,
  timedOut: 408,
  connectionLost: 408,
  multideviceMismatch: 411,
  connectionClosed: 428,
  rateOverlimit: 429,
  connectionReplaced: 440,
  badSession: 500,
  unavailableService: 503,
  restartRequired: 515,
} as const;

/** What to do when the socket closes. */
export type CloseDecision =
  /** Transient (network, restart after pairing, service hiccup): open a new socket after a backoff. */
  | { action: 'reconnect'; reason: string }
  /** The phone unlinked the device or the number is banned: stop sending, pause campaigns, alert. */
  | { action: 'halt'; reason: string; forgetSession: boolean }
  /** Another device took the session (another process or a second login): give it up here. */
  | { action: 'release'; reason: string };

export function decideClose(statusCode: number | null | undefined): CloseDecision {
  switch (statusCode) {
    case WEB_STATUS.loggedOut:
      return { action: 'halt', reason: 'logged out from the phone (401)', forgetSession: true };
    case WEB_STATUS.forbidden:
      return { action: 'halt', reason: 'number banned or blocked by WhatsApp (403)', forgetSession: true };
    case WEB_STATUS.multideviceMismatch:
      return { action: 'halt', reason: 'multi-device mismatch: pair the number again (411)', forgetSession: true };
    case WEB_STATUS.badSession:
      return {
        action: 'halt',
        reason: 'the stored session is unusable: pair the number again (500)',
        forgetSession: true,
      };
    case WEB_STATUS.connectionReplaced:
      return { action: 'release', reason: 'session opened elsewhere (440)' };
    default:
      return { action: 'reconnect', reason: `connection closed (${statusCode ?? 'no status'})` };
  }
}

/** Exponential backoff of reconnections: 1 s, 2 s, 4 s … capped. */
export function reconnectDelay(attempt: number, baseMs: number, maxMs: number): number {
  return Math.min(maxMs, baseMs * 2 ** Math.max(0, attempt - 1));
}

export interface WebSendFailure {
  statusCode: number | null;
  message: string;
}

/**
 * What a failed sendMessage means for the shipping and the number. WhatsApp Web has no error
 * catalogue; these are the signals Baileys surfaces: a closed or lost connection (retry), rate or
 * spam limits (the whole number cools down), logged out / banned (halt), and a recipient that is
 * not a WhatsApp account or an unusable address (permanent).
 */
export function decideWebSendFailure(failure: WebSendFailure, laneCoolDownMs: number): FailureDecision {
  const code = failure.statusCode === null ? 'WEB_ERROR' : `WEB_${failure.statusCode}`;
  const text = failure.message.toLowerCase();
  if (failure.statusCode === WEB_STATUS.loggedOut || failure.statusCode === WEB_STATUS.forbidden)
    return { kind: 'halt-connection', code, retryAfterMs: null };
  if (failure.statusCode === WEB_STATUS.rateOverlimit || /rate-overlimit|rate limit|too many|spam/.test(text))
    return {
      kind: 'lane-backoff',
      code: failure.statusCode === null ? 'WEB_RATE' : code,
      retryAfterMs: laneCoolDownMs,
    };
  if (/not on whatsapp|invalid jid|not-acceptable|item-not-found/.test(text) || failure.statusCode === 406)
    return { kind: 'permanent', code: 'WEB_NOT_ON_WHATSAPP', retryAfterMs: null };
  return { kind: 'retry', code, retryAfterMs: null };
}
