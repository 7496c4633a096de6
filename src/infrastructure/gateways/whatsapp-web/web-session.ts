import { randomUUID } from 'node:crypto';
import type { Contact } from '@whiskeysockets/baileys';
import { decideClose, reconnectDelay } from '../../../domain/whatsapp/whatsapp-web-errors';
import { contactOfWeb, jidOfPhone, phoneOfJid } from '../../../domain/whatsapp/whatsapp-web-jid';
import { errorFields, type Logger } from '../../observability/logger';
import { type MongoAuthState, useMongoAuthState } from './auth-store';
import type { SessionCipher } from './session-cipher';
import type { WebContactInput } from './web-contacts';
import type { SocketFactory, WhatsAppWebSocket } from './web-socket';
import type { WhatsAppWebStore } from './web-store';

/** What a session reports to whoever runs it (the application services decide what each means). */
export interface SessionHooks {
  qr(qr: string): Promise<void>;
  /** The socket opened with a linked device. */
  open(): Promise<void>;
  /** Logged out, banned or unusable: stop for good until an operator acts. */
  halt(reason: string, forgetSession: boolean, statusCode: number | null): Promise<void>;
  /** Another login took the session over: this process must give it up. */
  replaced(reason: string): void;
  contacts(contacts: WebContactInput[]): Promise<void>;
}

export interface SessionOptions {
  connectionId: string;
  store: WhatsAppWebStore;
  cipher: SessionCipher;
  factory: SocketFactory;
  logger: Logger;
  hooks: SessionHooks;
  reconnectBaseMs: number;
  reconnectMaxMs: number;
}

/** The status code of a Baileys (Boom) error, if it has one. */
export function statusCodeOf(error: unknown): number | null {
  const boom = error as { output?: { statusCode?: unknown }; statusCode?: unknown; data?: { statusCode?: unknown } };
  const code = boom?.output?.statusCode ?? boom?.statusCode;
  return typeof code === 'number' ? code : null;
}

/**
 * One WhatsApp Web number's socket in this process: opens it with the stored (encrypted) session,
 * saves every credential update, reconnects with backoff after transient closes, and reports QRs,
 * the linked state, halts and delivered contacts through its hooks. Only the lease holder runs one.
 */
export class WhatsAppWebSession {
  private socket: WhatsAppWebSocket | null = null;
  private auth: MongoAuthState | null = null;
  private opened = false;
  private stopped = false;
  private attempts = 0;
  private reconnectTimer: NodeJS.Timeout | undefined;
  /** Credential writes in order: a later update never lands before an earlier one. */
  private saving: Promise<void> = Promise.resolve();
  /** Identifies each socket, so events of a socket already replaced are ignored. */
  private generation = '';

  constructor(private readonly options: SessionOptions) {}

  get isOpen(): boolean {
    return this.opened && !this.stopped;
  }

  get connectionId(): string {
    return this.options.connectionId;
  }

  /** Opens the socket; a SessionKeyError (missing or wrong key) is thrown to the caller. */
  async start(): Promise<void> {
    await this.open();
  }

  private async open(): Promise<void> {
    if (this.stopped) return;
    const { connectionId, store, cipher, factory, logger } = this.options;
    this.auth = await useMongoAuthState(store, cipher, connectionId);
    const generation = randomUUID();
    this.generation = generation;
    const socket = await factory({ connectionId, auth: this.auth.state, logger });
    this.socket = socket;
    const current = () => this.generation === generation && !this.stopped;
    const auth = this.auth;
    socket.ev.on('creds.update', (update) => {
      Object.assign(auth.state.creds, update);
      this.saving = this.saving
        .then(() => auth.saveCreds())
        .catch((error: unknown) => {
          logger.error('could not save WhatsApp Web credentials', errorFields(error));
        });
    });
    socket.ev.on('connection.update', (update) => {
      if (!current()) return;
      if (update.qr) this.report(this.options.hooks.qr(update.qr), 'qr');
      if (update.connection === 'open') {
        this.opened = true;
        this.attempts = 0;
        this.report(this.options.hooks.open(), 'open');
      }
      if (update.connection === 'close') {
        this.opened = false;
        this.closed(statusCodeOf(update.lastDisconnect?.error));
      }
    });
    const received = (contacts: Array<Partial<Contact>>) => {
      if (!current()) return;
      const parsed = contacts.map((contact) => contactOfWeb(contact)).filter((contact) => contact !== null);
      if (parsed.length > 0) this.report(this.options.hooks.contacts(parsed), 'contacts');
    };
    socket.ev.on('contacts.upsert', received);
    socket.ev.on('contacts.update', received);
    socket.ev.on('messaging-history.set', (history) => received(history.contacts ?? []));
  }

  private closed(statusCode: number | null): void {
    const decision = decideClose(statusCode);
    const { logger, hooks } = this.options;
    if (decision.action === 'reconnect') {
      this.attempts++;
      const delay = reconnectDelay(this.attempts, this.options.reconnectBaseMs, this.options.reconnectMaxMs);
      logger.warn('WhatsApp Web socket closed; reconnecting', { reason: decision.reason, delayMs: delay });
      this.reconnectTimer = setTimeout(() => {
        this.open().catch((error: unknown) => {
          logger.error('WhatsApp Web reconnection failed', errorFields(error));
          this.closed(null);
        });
      }, delay);
      return;
    }
    this.stopped = true;
    if (decision.action === 'halt') {
      this.report(hooks.halt(decision.reason, decision.forgetSession, statusCode), 'halt');
    } else {
      hooks.replaced(decision.reason);
    }
  }

  private report(work: Promise<void>, what: string): void {
    work.catch((error: unknown) =>
      this.options.logger.error('WhatsApp Web session event failed', { event: what, ...errorFields(error) }),
    );
  }

  private live(): WhatsAppWebSocket {
    if (!this.socket || !this.isOpen) throw new Error('the WhatsApp Web socket is not open');
    return this.socket;
  }

  async sendMessage(to: string, text: string, mediaUrl: string | null): Promise<string> {
    const content = mediaUrl ? { image: { url: mediaUrl }, caption: text } : { text };
    const sent = await this.live().sendMessage(jidOfPhone(to), content);
    return sent?.key?.id ?? `whatsapp-web.${randomUUID()}`;
  }

  /** Asks WhatsApp which of these E.164 numbers have an account (one query for the batch). */
  async onWhatsApp(phones: string[]): Promise<Map<string, boolean>> {
    if (!this.socket || !this.isOpen) return new Map();
    const answers = (await this.socket.onWhatsApp(...phones.map((phone) => phone.replace(/^\+/, '')))) ?? [];
    const result = new Map<string, boolean>(phones.map((phone) => [phone, false]));
    for (const answer of answers) {
      const phone = phoneOfJid(answer.jid);
      if (phone && result.has(phone)) result.set(phone, answer.exists);
    }
    return result;
  }

  async requestPairingCode(phoneDigits: string): Promise<string> {
    if (!this.socket) throw new Error('the WhatsApp Web socket is not started');
    return this.socket.requestPairingCode(phoneDigits);
  }

  /** Unlinks the device from the phone (the number must be paired again to use it). */
  async logout(): Promise<void> {
    const socket = this.socket;
    this.stopped = true;
    clearTimeout(this.reconnectTimer);
    if (socket && this.opened) await socket.logout('disconnected in Disparo').catch(() => undefined);
    await this.close();
  }

  /** Closes the socket, keeping the session (another process may open it next). */
  async close(): Promise<void> {
    this.stopped = true;
    this.opened = false;
    clearTimeout(this.reconnectTimer);
    const socket = this.socket;
    this.socket = null;
    await Promise.resolve(socket?.end(undefined)).catch(() => undefined);
    await this.saving;
  }
}
