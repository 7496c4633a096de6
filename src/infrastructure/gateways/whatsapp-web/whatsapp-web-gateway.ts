import {
  type ContactPage,
  GatewayError,
  type OutgoingMessage,
  type SendReceipt,
  type WhatsAppGateway,
} from '../../../domain/whatsapp/gateway';
import { decideWebSendFailure } from '../../../domain/whatsapp/whatsapp-web-errors';
import { listWebContacts, storedOnWhatsApp } from './web-contacts';
import { statusCodeOf, type WhatsAppWebSession } from './web-session';
import type { WhatsAppWebStore } from './web-store';

/** The sessions this process holds, by connection id (filled by the WhatsApp Web host). */
export type WebSessionRegistry = ReadonlyMap<string, WhatsAppWebSession>;

export interface WhatsAppWebOptions {
  sessions: WebSessionRegistry;
  /** How long the number cools down after a rate or spam signal. */
  laneCoolDownMs: number;
}

/**
 * A number linked as a WhatsApp Web device (Baileys). Sends go through the socket this process
 * holds (the lease holder is the only process that consumes the number's lane). WhatsApp Web has
 * no idempotency key, so a send in flight at a crash is never repeated (the reconciler fails it as
 * UNKNOWN_OUTCOME). Contacts are the ones WhatsApp delivered to the session, stored with their
 * on-WhatsApp answer when they arrived.
 */
export class WhatsAppWebGateway implements WhatsAppGateway {
  readonly kind = 'whatsapp-web';
  readonly idempotent = false;

  constructor(
    private readonly store: WhatsAppWebStore,
    private readonly connectionId: string,
    private readonly options: WhatsAppWebOptions | null,
  ) {}

  async send(message: OutgoingMessage): Promise<SendReceipt> {
    const session = this.options?.sessions.get(this.connectionId);
    if (!session?.isOpen)
      throw new GatewayError('retry', 'whatsapp-web: the number’s socket is not open in this process', 'WEB_NOT_OPEN');
    try {
      const providerMessageId = await session.sendMessage(message.to, message.text, message.mediaUrl ?? null);
      return { providerMessageId, acceptedAt: new Date() };
    } catch (error) {
      const detail = (error as Error)?.message ?? String(error);
      const decision = decideWebSendFailure(
        { statusCode: statusCodeOf(error), message: detail },
        this.options?.laneCoolDownMs ?? 300_000,
      );
      throw new GatewayError(decision.kind, `whatsapp-web: ${detail}`, decision.code, decision.retryAfterMs);
    }
  }

  async listContacts(cursor: string | null): Promise<ContactPage> {
    const { contacts, next } = await listWebContacts(this.store, this.connectionId, cursor);
    return { contacts, next };
  }

  /** WhatsApp's answers recorded when the contacts arrived (sock.onWhatsApp, in batches). */
  async checkNumbers(phones: string[]): Promise<Map<string, boolean>> {
    const answers = await storedOnWhatsApp(this.store, this.connectionId, phones);
    const unchecked = phones.filter((phone) => !answers.has(phone));
    const session = this.options?.sessions.get(this.connectionId);
    // Numbers the session could not check when they arrived: asked now when this process holds the socket.
    if (unchecked.length > 0 && session?.isOpen)
      for (const [phone, exists] of await session.onWhatsApp(unchecked)) answers.set(phone, exists);
    return answers;
  }
}
