import type { GatewayFailureKind } from './gateway';

/** An answer of the WhatsApp Business Cloud API that was not a success, or no answer at all. */
export type CloudApiFailure =
  | { kind: 'http'; httpStatus: number; code: number | null; subcode?: number | null; message: string }
  | { kind: 'timeout' }
  | { kind: 'network'; message: string };

export interface FailureDecision {
  kind: GatewayFailureKind;
  /** The provider's error code (or TIMEOUT / NETWORK / HTTP_<status>): recorded on the shipping and logged. */
  code: string;
  retryAfterMs: number | null;
  /** The number's own send rate was refused (130429, or HTTP 429 without a known code): see GatewayError.rateLimited. Absent: no. */
  rateLimited?: boolean;
}

export interface BackoffSettings {
  /** How long the whole number cools down after a throughput limit. */
  laneCoolDownMs: number;
  /** How long before one contact is tried again after a pair rate limit. */
  contactRetryMs: number;
}

/**
 * Error codes of the Cloud API (developers.facebook.com/docs/whatsapp/cloud-api/support/error-codes)
 * and what each means for the number. Codes not listed are decided by their HTTP status.
 */
const BY_CODE: ReadonlyMap<number, GatewayFailureKind> = new Map<number, GatewayFailureKind>([
  // Transient on Meta's side: this message, later.
  [1, 'retry'], // API unknown
  [2, 'retry'], // API service (temporary)
  [131000, 'retry'], // something went wrong
  [131016, 'retry'], // service unavailable
  [133004, 'retry'], // server temporarily unavailable
  // Throughput limits: the whole number cools down.
  [4, 'lane-backoff'], // too many API calls (app)
  [80007, 'lane-backoff'], // WhatsApp Business Account rate limit
  [130429, 'lane-backoff'], // Cloud API message throughput reached
  // Pair rate limit: too many messages to this one contact.
  [131056, 'contact-later'],
  // The number or its credentials are at risk: stop everything until an operator acts.
  [0, 'halt-connection'], // AuthException
  [3, 'halt-connection'], // capability or permission missing
  [10, 'halt-connection'], // permission denied
  [190, 'halt-connection'], // access token expired or invalid
  [368, 'halt-connection'], // temporarily blocked for policy violations
  [131031, 'halt-connection'], // account locked
  [131048, 'halt-connection'], // spam rate limit hit
  [131049, 'halt-connection'], // ecosystem engagement limit (Meta chose not to deliver)
  // This shipping can never succeed as it is.
  [100, 'permanent'], // invalid parameter
  [470, 'permanent'], // outside the 24 h window (old code)
  [131008, 'permanent'], // required parameter missing
  [131009, 'permanent'], // parameter value invalid
  [131021, 'permanent'], // recipient cannot be the sender
  [131026, 'permanent'], // message undeliverable (not on WhatsApp, old app, …)
  [131047, 'permanent'], // re-engagement: more than 24 h since the contact wrote; a template is needed
  [131051, 'permanent'], // unsupported message type
  [131052, 'permanent'], // media download error
  [131053, 'permanent'], // media upload error
  // The campaign's template cannot be sent as the campaign maps it, to anyone: the campaign pauses.
  [132000, 'pause-campaign'], // parameter count mismatch: the template changed since the campaign was checked
  [132001, 'pause-campaign'], // template does not exist (in that language)
  [132015, 'pause-campaign'], // template paused for low quality
  [132016, 'pause-campaign'], // template disabled (paused too often)
  // The template is fine but this contact's rendered parameters are not: this shipping fails.
  [132005, 'permanent'], // translated template text too long
  [132007, 'permanent'], // template format policy violation
  [132012, 'permanent'], // template parameter format mismatch
]);

function byHttpStatus(status: number): GatewayFailureKind {
  if (status === 429) return 'lane-backoff';
  if (status === 401) return 'halt-connection';
  if (status >= 500 || status === 408) return 'retry';
  return 'permanent';
}

/** What Disparo does about a failed Cloud API call. Pure: the adapter and the tests share it. */
export function decideCloudApiFailure(failure: CloudApiFailure, backoff: BackoffSettings): FailureDecision {
  if (failure.kind === 'timeout') return { kind: 'retry', code: 'TIMEOUT', retryAfterMs: null, rateLimited: false };
  if (failure.kind === 'network') return { kind: 'retry', code: 'NETWORK', retryAfterMs: null, rateLimited: false };
  const known = failure.code === null ? undefined : BY_CODE.get(failure.code);
  const kind = known ?? byHttpStatus(failure.httpStatus);
  const code = failure.code === null ? `HTTP_${failure.httpStatus}` : String(failure.code);
  const retryAfterMs =
    kind === 'lane-backoff' ? backoff.laneCoolDownMs : kind === 'contact-later' ? backoff.contactRetryMs : null;
  const rateLimited = failure.code === THROUGHPUT_REACHED || (known === undefined && failure.httpStatus === 429);
  return { kind, code, retryAfterMs, rateLimited };
}

/** "Rate limit hit: Cloud API message throughput has been reached" (HTTP 400): the number sent too fast. */
export const THROUGHPUT_REACHED = 130429;
