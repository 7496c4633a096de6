import { EventEmitter } from 'node:events';
import { createServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import type { SocketFactory, WhatsAppWebSocket } from '../../src/infrastructure/gateways/whatsapp-web/web-socket';

/**
 * A local fake of WhatsApp Web for tests, in two halves:
 * - `FakeWhatsAppWeb`: the "WhatsApp servers + the phone", an HTTP server in the test process. It
 *   issues rotating QRs, links a number when the test "scans" it, answers sends and on-WhatsApp
 *   queries, pushes contacts and closes sockets with Baileys' status codes — and records every
 *   socket it saw, so a test can prove no number was ever open twice.
 * - `FakeWhatsAppWebSocket`: an EventEmitter with Baileys' event names (`connection.update`,
 *   `creds.update`, `contacts.upsert`, `contacts.update`, `messaging-history.set`) and the calls
 *   Disparo uses (sendMessage, onWhatsApp, requestPairingCode, logout, end). It talks to the server
 *   over HTTP (events as a server-sent stream), so it works in the test process and in spawned
 *   workers alike (test/support/fake-whatsapp-web-preload.ts installs its factory there).
 */

interface SocketRecord {
  id: string;
  connectionId: string;
  pid: number;
  openedAt: number;
  closedAt: number | null;
  /** Whether WhatsApp let it in as a linked device (connection 'open'). */
  linked: boolean;
  stream: ServerResponse;
  qrTimer?: NodeJS.Timeout;
}

export interface FakeSend {
  connectionId: string;
  jid: string;
  content: Record<string, unknown>;
  pid: number;
  at: number;
}

interface NumberState {
  linked: boolean;
  /** The linked phone's own JID. */
  me: string;
  qrs: number;
  failures: Array<{ statusCode: number | null; message: string }>;
  pairingCodes: string[];
}

export class FakeWhatsAppWeb {
  readonly sends: FakeSend[] = [];
  readonly sockets: SocketRecord[] = [];
  /** Numbers that have no WhatsApp account (E.164). */
  readonly offWhatsApp = new Set<string>();
  /** Times two sockets of one number were open together (must stay empty). */
  readonly doubleOpens: Array<{ connectionId: string; pids: number[] }> = [];
  private readonly numbers = new Map<string, NumberState>();
  private server!: Server;
  url = '';

  constructor(private readonly options: { qrIntervalMs?: number; qrsPerSocket?: number } = {}) {}

  async start(): Promise<this> {
    this.server = createServer((req, res) => void this.route(req, res));
    await new Promise<void>((resolve) => this.server.listen(0, '127.0.0.1', resolve));
    const address = this.server.address();
    this.url = `http://127.0.0.1:${typeof address === 'object' && address ? address.port : 0}`;
    return this;
  }

  async stop(): Promise<void> {
    for (const socket of this.sockets) this.closeSocket(socket, null);
    this.server.closeAllConnections();
    await new Promise<void>((resolve) => this.server.close(() => resolve()));
  }

  private number(connectionId: string): NumberState {
    let state = this.numbers.get(connectionId);
    if (!state) {
      state = { linked: false, me: '', qrs: 0, failures: [], pairingCodes: [] };
      this.numbers.set(connectionId, state);
    }
    return state;
  }

  /** Sockets of the number still open (streams not closed). */
  openSockets(connectionId: string): SocketRecord[] {
    return this.sockets.filter((socket) => socket.connectionId === connectionId && socket.closedAt === null);
  }

  qrsShown(connectionId: string): number {
    return this.number(connectionId).qrs;
  }

  pairingCodes(connectionId: string): string[] {
    return this.number(connectionId).pairingCodes;
  }

  isLinked(connectionId: string): boolean {
    return this.number(connectionId).linked;
  }

  /** The phone scans the QR: WhatsApp sends the new credentials, then asks for a restart (515), as it does. */
  scan(connectionId: string, phone = '+5511999990001'): void {
    const state = this.number(connectionId);
    const socket = this.openSockets(connectionId).at(-1);
    if (!socket) throw new Error(`no socket of ${connectionId} is waiting for a scan`);
    state.linked = true;
    state.me = `${phone.slice(1)}:7@s.whatsapp.net`;
    clearInterval(socket.qrTimer);
    this.push(socket, 'creds.update', { me: { id: state.me, name: 'Loja' }, registered: true });
    this.closeSocket(socket, 515);
  }

  /** WhatsApp closes the number's open socket with this status (408 lost, 401 logged out, 403 banned…). */
  drop(connectionId: string, statusCode: number): void {
    if (statusCode === 401 || statusCode === 403) this.number(connectionId).linked = false;
    for (const socket of this.openSockets(connectionId)) this.closeSocket(socket, statusCode);
  }

  /** The next send of the number fails like this. */
  failNextSend(connectionId: string, failure: { statusCode: number | null; message: string }): void {
    this.number(connectionId).failures.push(failure);
  }

  /** WhatsApp delivers contacts to the linked socket (event: contacts.upsert, contacts.update or history). */
  deliverContacts(
    connectionId: string,
    contacts: Array<{ id: string; name?: string; notify?: string; phoneNumber?: string }>,
    event: 'contacts.upsert' | 'contacts.update' | 'messaging-history.set' = 'contacts.upsert',
  ): void {
    const socket = this.openSockets(connectionId).find((candidate) => candidate.linked);
    if (!socket) throw new Error(`no linked socket of ${connectionId}`);
    const data = event === 'messaging-history.set' ? { chats: [], contacts, messages: [], isLatest: true } : contacts;
    this.push(socket, event, data);
  }

  private push(socket: SocketRecord, event: string, data: unknown): void {
    if (socket.closedAt === null) socket.stream.write(`data: ${JSON.stringify({ event, data })}\n\n`);
  }

  private closeSocket(socket: SocketRecord, statusCode: number | null): void {
    if (socket.closedAt !== null) return;
    clearInterval(socket.qrTimer);
    if (statusCode !== null) this.push(socket, 'connection.update', { connection: 'close', statusCode });
    socket.closedAt = Date.now();
    socket.stream.end();
  }

  private async route(req: IncomingMessage, res: ServerResponse): Promise<void> {
    const url = new URL(req.url ?? '/', this.url);
    const [, kind, connectionId, socketId, action] = url.pathname.split('/');
    if (kind !== 'sockets' || !connectionId || !socketId) {
      res.writeHead(404).end();
      return;
    }
    if (action === 'events') return this.open(connectionId, socketId, url, req, res);
    const body = JSON.parse(
      (await new Promise<string>((resolve) => {
        let text = '';
        req.on('data', (chunk) => (text += chunk));
        req.on('end', () => resolve(text));
      })) || '{}',
    ) as { method: string; args: unknown[]; pid: number };
    const socket = this.sockets.find((candidate) => candidate.id === socketId);
    const reply = (status: number, payload: unknown) => {
      res.writeHead(status, { 'content-type': 'application/json' }).end(JSON.stringify(payload));
    };
    if (!socket || socket.closedAt !== null)
      return reply(200, { error: { statusCode: 428, message: 'Connection Closed' } });
    const state = this.number(connectionId);
    switch (body.method) {
      case 'sendMessage': {
        const failure = state.failures.shift();
        if (failure) return reply(200, { error: failure });
        const [jid, content] = body.args as [string, Record<string, unknown>];
        this.sends.push({ connectionId, jid, content, pid: body.pid, at: Date.now() });
        return reply(200, { result: { key: { id: `FAKE${this.sends.length}`, remoteJid: jid } } });
      }
      case 'onWhatsApp': {
        const numbers = body.args as string[];
        return reply(200, {
          result: numbers.map((digits) => ({
            jid: `${digits}@s.whatsapp.net`,
            exists: !this.offWhatsApp.has(`+${digits}`),
          })),
        });
      }
      case 'requestPairingCode': {
        const code = `C0DE${String(state.pairingCodes.length + 1).padStart(4, '0')}`;
        state.pairingCodes.push(String(body.args[0]));
        return reply(200, { result: code });
      }
      case 'logout':
        state.linked = false;
        reply(200, { result: null });
        this.closeSocket(socket, 401);
        return;
      default:
        return reply(400, { error: { statusCode: 400, message: `unknown call ${body.method}` } });
    }
  }

  private open(connectionId: string, socketId: string, url: URL, req: IncomingMessage, res: ServerResponse): void {
    res.writeHead(200, { 'content-type': 'text/event-stream', 'cache-control': 'no-store' });
    res.write(': open\n\n');
    const socket: SocketRecord = {
      id: socketId,
      connectionId,
      pid: Number(url.searchParams.get('pid')),
      openedAt: Date.now(),
      closedAt: null,
      linked: false,
      stream: res,
    };
    const others = this.openSockets(connectionId);
    this.sockets.push(socket);
    req.on('close', () => {
      clearInterval(socket.qrTimer);
      socket.closedAt ??= Date.now();
    });
    if (others.length > 0) {
      this.doubleOpens.push({ connectionId, pids: [...others.map((other) => other.pid), socket.pid] });
      // WhatsApp keeps the newest login and closes the others (connectionReplaced).
      for (const other of others) this.closeSocket(other, 440);
    }
    const state = this.number(connectionId);
    const registered = url.searchParams.get('registered') === '1';
    setImmediate(() => {
      // Closed before it got going (the client gone, the fake stopping): no QR timer for it, which
      // nothing would clear and which would keep the test's process alive (seen on a slow database,
      // a worker reconnecting as the test stopped).
      if (socket.closedAt !== null) return;
      if (registered && state.linked) {
        socket.linked = true;
        this.push(socket, 'connection.update', { connection: 'open' });
        return;
      }
      if (registered) {
        // Credentials of a device the phone has since unlinked.
        this.closeSocket(socket, 401);
        return;
      }
      let shown = 0;
      const showQr = () => {
        if (shown >= (this.options.qrsPerSocket ?? 5)) {
          this.closeSocket(socket, 408); // QR attempts ended: Baileys closes with timedOut
          return;
        }
        shown++;
        state.qrs++;
        this.push(socket, 'connection.update', { qr: `2@fake-ref-${state.qrs},noise,identity,adv` });
      };
      showQr();
      socket.qrTimer = setInterval(showQr, this.options.qrIntervalMs ?? 20_000);
    });
  }
}

/** A Boom-shaped error, as Baileys throws and reports in lastDisconnect. */
function boom(statusCode: number | null, message: string): Error {
  return Object.assign(new Error(message), { output: { statusCode }, isBoom: true });
}

export class FakeWhatsAppWebSocket extends EventEmitter {
  readonly ev = this as unknown as WhatsAppWebSocket['ev'];
  private readonly abort = new AbortController();
  private readonly id = `${process.pid}-${Math.random().toString(36).slice(2)}`;

  constructor(
    private readonly url: string,
    private readonly connectionId: string,
    private readonly registered: boolean,
  ) {
    super();
  }

  async connect(): Promise<void> {
    const query = `pid=${process.pid}&registered=${this.registered ? 1 : 0}`;
    const response = await fetch(`${this.base}/events?${query}`, { signal: this.abort.signal });
    const reader = response.body!.getReader();
    const decoder = new TextDecoder();
    void (async () => {
      // Let the caller attach its listeners first, as with Baileys (whose socket connects later).
      await new Promise((resolve) => setImmediate(resolve));
      let buffer = '';
      try {
        for (;;) {
          const { value, done } = await reader.read();
          if (done) break;
          buffer += decoder.decode(value, { stream: true });
          let end = buffer.indexOf('\n\n');
          while (end >= 0) {
            const frame = buffer.slice(0, end);
            buffer = buffer.slice(end + 2);
            if (frame.startsWith('data: ')) this.deliver(JSON.parse(frame.slice(6)));
            end = buffer.indexOf('\n\n');
          }
        }
      } catch {
        // ended by end() or the server going away
      }
    })();
  }

  private get base(): string {
    return `${this.url}/sockets/${this.connectionId}/${this.id}`;
  }

  private deliver({ event, data }: { event: string; data: Record<string, unknown> }): void {
    if (event === 'connection.update' && data.connection === 'close') {
      const statusCode = data.statusCode as number;
      this.emit(event, {
        connection: 'close',
        lastDisconnect: { error: boom(statusCode, 'closed'), date: new Date() },
      });
      return;
    }
    this.emit(event, data);
  }

  private async call(method: string, args: unknown[]): Promise<unknown> {
    const response = await fetch(`${this.base}/call`, {
      method: 'POST',
      headers: { 'content-type': 'application/json' },
      body: JSON.stringify({ method, args, pid: process.pid }),
    });
    const answer = (await response.json()) as {
      result?: unknown;
      error?: { statusCode: number | null; message: string };
    };
    if (answer.error) throw boom(answer.error.statusCode, answer.error.message);
    return answer.result;
  }

  sendMessage(jid: string, content: unknown) {
    return this.call('sendMessage', [jid, content]) as ReturnType<WhatsAppWebSocket['sendMessage']>;
  }

  onWhatsApp(...numbers: string[]) {
    return this.call('onWhatsApp', numbers) as ReturnType<WhatsAppWebSocket['onWhatsApp']>;
  }

  requestPairingCode(phone: string) {
    return this.call('requestPairingCode', [phone]) as Promise<string>;
  }

  async logout(): Promise<void> {
    await this.call('logout', []);
  }

  end(): void {
    this.abort.abort();
  }
}

/** The socket factory that talks to a FakeWhatsAppWeb at `url` instead of WhatsApp. */
export function fakeSocketFactory(url: string): SocketFactory {
  return async ({ connectionId, auth }) => {
    const socket = new FakeWhatsAppWebSocket(url, connectionId, Boolean(auth.creds.me));
    await socket.connect();
    return socket as unknown as WhatsAppWebSocket;
  };
}
