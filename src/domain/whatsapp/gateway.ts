import type { CatalogTemplate } from './templates';

/**
 * What Disparo needs from a WhatsApp provider. Implementations: the embedded sandbox (default) and
 * the WhatsApp Business Cloud API. Contact listing and number checks arrive with contact sync.
 */
export interface OutgoingMessage {
  /** Stable per shipping: a provider that honours it never sends the same shipping twice. */
  idempotencyKey: string;
  to: string;
  text: string;
  mediaUrl?: string | null;
  /** A pre-approved template instead of free text (providers that support templates). */
  template?: MessageTemplate | null;
}

export interface MessageTemplate {
  name: string;
  /** Language code of the approved translation, e.g. `pt_BR`. */
  language: string;
  /** Provider-specific components (header, body parameters, buttons), passed through as given. */
  components?: unknown[];
}

export interface SendReceipt {
  providerMessageId: string;
  /** When the provider accepted the message. */
  acceptedAt: Date;
}

export interface WhatsAppGateway {
  readonly kind: string;
  /** Whether a repeated idempotencyKey is answered without a second send. */
  readonly idempotent: boolean;
  send(message: OutgoingMessage): Promise<SendReceipt>;
  /**
   * What the provider did with an idempotency key: the receipt of the send it made, or null if it
   * never sent it. Providers that cannot tell leave it out; the reconciler then never re-sends a
   * shipping whose send was in flight at a crash.
   */
  findSent?(idempotencyKey: string): Promise<SendReceipt | null>;
  /** One page of the number's contacts (address book); `cursor` null is the first page, `next` null the last. */
  listContacts(cursor: string | null): Promise<ContactPage>;
  /** Whether each number (E.164) is on WhatsApp; a number missing from the answer was not checked. */
  checkNumbers(phones: string[]): Promise<Map<string, boolean>>;
  /** The approved (and other) message templates the number may send; providers without templates leave it out. */
  listTemplates?(): Promise<CatalogTemplate[]>;
}

/** A contact as the provider knows it: the phone as written in the address book. */
export interface GatewayContact {
  phone: string;
  name?: string;
}

export interface ContactPage {
  contacts: GatewayContact[];
  /** Cursor of the next page; null when this is the last one. */
  next: string | null;
}

/**
 * How a failed send must be handled:
 * - `retry`: this message, later (network error, 5xx, timeout);
 * - `lane-backoff`: the whole number must cool down before any send (throughput limit);
 * - `contact-later`: this contact, later; the number keeps sending to others (pair rate limit);
 * - `halt-connection`: stop the number and pause its campaigns until an operator acts (spam rate
 *   limit, expired or invalid token);
 * - `pause-campaign`: the campaign's template cannot be sent any more (paused, disabled, deleted
 *   or changed by the provider): the campaign pauses with the reason instead of failing every
 *   remaining contact;
 * - `permanent`: this shipping fails for good (invalid recipient, bad parameters).
 * `retryAfterMs` says how long to wait for `lane-backoff` and `contact-later`.
 */
export type GatewayFailureKind =
  | 'retry'
  | 'lane-backoff'
  | 'contact-later'
  | 'halt-connection'
  | 'pause-campaign'
  | 'permanent';

/**
 * A failed send. `rateLimited` marks the provider saying this NUMBER sent faster than its
 * throughput allows (Cloud API 130429 "Rate limit hit", or a bare HTTP 429): a `lane-backoff`
 * (the number cools down, as for every throughput limit) that a lane sending several calls at once
 * also answers by lowering its rate (src/domain/pacing/rate-adaptation.ts). The other lane-backoff
 * codes (4: the app's call limit, 80007: the business account's) are limits of the app or the
 * account, not of the number's send rate.
 */
export class GatewayError extends Error {
  override name = 'GatewayError';
  constructor(
    readonly kind: GatewayFailureKind,
    message: string,
    readonly code: string | null = null,
    readonly retryAfterMs: number | null = null,
    readonly rateLimited = false,
  ) {
    super(message);
  }
}

/** Whether a failed send was the provider refusing the number's send rate (see GatewayError.rateLimited). */
export function isRateLimited(error: unknown): boolean {
  return error instanceof GatewayError && error.rateLimited;
}
