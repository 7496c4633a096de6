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
}

/**
 * How a failed send must be handled:
 * - `retry`: this message, later (network error, 5xx, timeout);
 * - `lane-backoff`: the whole number must cool down before any send (throughput limit);
 * - `permanent`: this shipping fails for good (invalid recipient, bad parameters).
 */
export type GatewayFailureKind = 'retry' | 'lane-backoff' | 'permanent';

export class GatewayError extends Error {
  override name = 'GatewayError';
  constructor(
    readonly kind: GatewayFailureKind,
    message: string,
    readonly code: string | null = null,
    readonly retryAfterMs: number | null = null,
  ) {
    super(message);
  }
}
