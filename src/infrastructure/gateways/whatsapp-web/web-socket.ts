import type { AnyMessageContent, AuthenticationState, BaileysEventMap } from '@whiskeysockets/baileys';
import type { Logger } from '../../observability/logger';
import { loadBaileys } from './baileys';

/**
 * The part of a Baileys socket Disparo uses. The real one comes from Baileys' makeWASocket; tests
 * give a local fake with the same events and calls (test/support/fake-whatsapp-web-socket.ts).
 */
export interface WhatsAppWebSocket {
  ev: {
    on<T extends keyof BaileysEventMap>(event: T, listener: (arg: BaileysEventMap[T]) => void): void;
  };
  sendMessage(jid: string, content: AnyMessageContent): Promise<{ key: { id?: string | null } } | undefined>;
  onWhatsApp(...phoneNumbers: string[]): Promise<Array<{ jid: string; exists: boolean }> | undefined>;
  requestPairingCode(phoneNumber: string): Promise<string>;
  logout(message?: string): Promise<void>;
  end(error: Error | undefined): void | Promise<void>;
}

export interface SocketOptions {
  connectionId: string;
  auth: AuthenticationState;
  logger: Logger;
}

export type SocketFactory = (options: SocketOptions) => Promise<WhatsAppWebSocket>;

/** Baileys wants a pino-shaped logger: its chatter goes to ours at debug, its warnings and errors as such. */
function baileysLogger(logger: Logger, bindings: Record<string, unknown> = {}) {
  const write = (level: 'debug' | 'warn' | 'error') => (obj: unknown, message?: string) => {
    const fields = typeof obj === 'object' && obj !== null ? { ...bindings, baileys: obj } : { ...bindings };
    logger[level](message ?? (typeof obj === 'string' ? obj : 'baileys'), fields);
  };
  const adapter = {
    level: 'debug',
    child: (more: Record<string, unknown>) => baileysLogger(logger, { ...bindings, ...more }),
    trace: () => undefined,
    debug: write('debug'),
    info: write('debug'),
    warn: write('warn'),
    error: write('error'),
  };
  return adapter;
}

/**
 * The production factory: a real WhatsApp Web socket (a linked device, like WhatsApp on a computer).
 * `webSocketUrl` is only for tests that point Baileys at a local address instead of WhatsApp.
 */
export function createBaileysSocketFactory(overrides: { webSocketUrl?: string } = {}): SocketFactory {
  return async ({ auth, logger }) => {
    const baileys = await loadBaileys();
    const makeWASocket = baileys.makeWASocket ?? baileys.default;
    return makeWASocket({
      auth: { creds: auth.creds, keys: baileys.makeCacheableSignalKeyStore(auth.keys, baileysLogger(logger)) },
      logger: baileysLogger(logger),
      browser: baileys.Browsers.ubuntu('Disparo'),
      markOnlineOnConnect: false,
      syncFullHistory: false,
      ...(overrides.webSocketUrl ? { waWebSocketUrl: overrides.webSocketUrl } : {}),
    }) as unknown as WhatsAppWebSocket;
  };
}

export const baileysSocketFactory: SocketFactory = createBaileysSocketFactory();

const OVERRIDE = Symbol.for('disparo.whatsapp-web.socket-factory');

/**
 * The socket factory this process uses: Baileys, unless a test preloaded a local fake
 * (test/support/fake-whatsapp-web-preload.ts, through NODE_OPTIONS=--import). Everything above the
 * socket — sessions, leases, pairing, sends — runs the same code either way.
 */
export function currentSocketFactory(): SocketFactory {
  return ((globalThis as Record<symbol, unknown>)[OVERRIDE] as SocketFactory | undefined) ?? baileysSocketFactory;
}

export function overrideSocketFactory(factory: SocketFactory | undefined): void {
  (globalThis as Record<symbol, unknown>)[OVERRIDE] = factory;
}
