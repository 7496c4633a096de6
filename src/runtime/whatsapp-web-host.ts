import { randomUUID } from 'node:crypto';
import { hostname } from 'node:os';
import type { DispatchDeps } from '../../consumers/dispatch-lane';
import {
  markWhatsAppWebConnected,
  recordPairingCode,
  recordPairingQr,
} from '../application/connections/whatsapp-web-pairing';
import { haltWhatsAppWeb, receiveWebContacts } from '../application/connections/whatsapp-web-session-events';
import { declareLane } from '../application/pipeline-deps';
import { readsOf } from '../application/service-registry';
import {
  parseSessionKey,
  SessionCipher,
  SessionKeyError,
} from '../infrastructure/gateways/whatsapp-web/session-cipher';
import { WebLease } from '../infrastructure/gateways/whatsapp-web/web-lease';
import { WhatsAppWebSession } from '../infrastructure/gateways/whatsapp-web/web-session';
import { currentSocketFactory } from '../infrastructure/gateways/whatsapp-web/web-socket';
import { forgetSession, type WhatsAppWebStore } from '../infrastructure/gateways/whatsapp-web/web-store';
import { errorFields } from '../infrastructure/observability/logger';
import { ConsumerRunner, type ConsumerRunnerDeps, type ConsumerSpec } from '../infrastructure/rabbitmq/consumer-runner';
import { whatsappWebStoreOf } from './pipeline';

export interface WhatsAppWebHostOptions {
  /** WHATSAPP_SESSION_KEY as configured (may be missing while no whatsapp-web connection exists). */
  sessionKey: string | undefined;
  leaseMs: number;
  refreshMs: number;
  reconnectBaseMs: number;
  reconnectMaxMs: number;
}

interface Held {
  session: WhatsAppWebSession;
  lane: ConsumerRunner<unknown> | null;
  /** The phone whose pairing code was last asked for (asked once per request). */
  codePhone: string | null;
  codeTries: number;
}

/**
 * The dispatch role's side of WhatsApp Web: for every whatsapp-web connection that is pairing or
 * connected, one dispatch worker takes the number's lease (MongoDB compare-and-set with expiry,
 * renewed every third of it), opens its socket and subscribes the number's lane, so the socket
 * and the sends are in the same process. When that worker dies its lease expires and another
 * takes over; a worker that cannot renew in time closes the socket before the lease can move.
 */
export class WhatsAppWebHost {
  private readonly held = new Map<string, Held>();
  private readonly store: WhatsAppWebStore;
  private readonly lease: WebLease;
  private cipher: SessionCipher | null = null;
  private timer: NodeJS.Timeout | undefined;
  private ticking: Promise<void> | undefined;
  private lastRenewedAt = Date.now();
  private stopping = false;
  private readonly keyErrorsReported = new Set<string>();

  constructor(
    private readonly deps: DispatchDeps,
    /** The lane consumer of a number (the `dispatch` subscription keyed by connection). */
    private readonly laneConsumer: (connectionId: string) => ConsumerSpec<unknown>,
    private readonly runnerDeps: ConsumerRunnerDeps,
    private readonly options: WhatsAppWebHostOptions,
    /** The sockets this process holds; the gateway provider sends through them. */
    readonly sessions: Map<string, WhatsAppWebSession> = new Map(),
  ) {
    this.store = whatsappWebStoreOf(deps);
    this.lease = new WebLease(this.store, `${hostname()}:${process.pid}:${randomUUID().slice(0, 8)}`, options.leaseMs);
  }

  get holder(): string {
    return this.lease.holder;
  }

  /** Refuses to start without a usable WHATSAPP_SESSION_KEY once a whatsapp-web connection exists. */
  async start(): Promise<void> {
    if (this.options.sessionKey) this.cipher = new SessionCipher(parseSessionKey(this.options.sessionKey));
    else if (await readsOf(this.deps).hasWhatsAppWebConnection()) parseSessionKey(undefined);
    await this.tick();
    this.timer = setInterval(() => void this.tick(), Math.min(this.options.refreshMs, this.options.leaseMs / 3));
  }

  async stop(timeoutMs: number): Promise<void> {
    this.stopping = true;
    clearInterval(this.timer);
    await this.ticking;
    await Promise.all([...this.held.keys()].map((connectionId) => this.drop(connectionId, 'close', timeoutMs)));
  }

  private tick(): Promise<void> {
    if (!this.ticking && !this.stopping) {
      this.ticking = this.look()
        .catch((error: unknown) => {
          this.deps.logger.error('WhatsApp Web host: look failed', errorFields(error));
        })
        .finally(() => {
          this.ticking = undefined;
        });
    }
    return this.ticking ?? Promise.resolve();
  }

  private async look(): Promise<void> {
    await this.renewLeases();
    const connections = await readsOf(this.deps).whatsappWebConnections();
    const byId = new Map(connections.map((connection) => [String(connection._id), connection]));
    for (const [connectionId, held] of this.held) {
      const connection = byId.get(connectionId);
      if (!connection) await this.drop(connectionId, 'forget');
      else if (connection.status === 'disconnected') await this.drop(connectionId, 'logout');
      else if (connection.status === 'halted') await this.drop(connectionId, 'close');
      else if (connection.status === 'pairing') await this.answerCodeRequest(connectionId, held);
    }
    for (const [connectionId, connection] of byId) {
      if (this.held.has(connectionId) || !['pairing', 'connected'].includes(connection.status)) continue;
      await this.take(connectionId);
    }
  }

  private async renewLeases(): Promise<void> {
    const ids = [...this.held.keys()];
    if (ids.length === 0) {
      this.lastRenewedAt = Date.now();
      return;
    }
    if (Date.now() - this.lastRenewedAt > this.options.leaseMs * 0.7) {
      // This process stalled (or the database was away) long enough that its leases may be gone:
      // close first, take them again afterwards, so two processes never hold one number's socket.
      this.deps.logger.warn('WhatsApp Web leases not renewed in time; closing the sockets here', { ids });
      for (const connectionId of ids) await this.drop(connectionId, 'close', undefined, false);
      this.lastRenewedAt = Date.now();
      return;
    }
    try {
      const still = await this.lease.renew(ids);
      this.lastRenewedAt = Date.now();
      for (const connectionId of ids)
        if (!still.has(connectionId)) {
          this.deps.logger.warn('WhatsApp Web lease lost; closing the socket here', { connectionId });
          await this.drop(connectionId, 'close', undefined, false);
        }
    } catch (error) {
      this.deps.logger.error('could not renew WhatsApp Web leases', errorFields(error));
      // Close before the lease can expire, so two processes never hold one number's socket.
      if (Date.now() - this.lastRenewedAt > this.options.leaseMs * 0.7)
        for (const connectionId of ids) await this.drop(connectionId, 'close', undefined, false);
    }
  }

  private async take(connectionId: string): Promise<void> {
    // A key that is missing or does not open this session is reported once; fixing it needs a restart.
    if (this.keyErrorsReported.has(connectionId)) return;
    if (!this.cipher) {
      if (!this.keyErrorsReported.has(connectionId)) {
        this.keyErrorsReported.add(connectionId);
        const error = new SessionKeyError(
          `WHATSAPP_SESSION_KEY is not set in this worker; it cannot open WhatsApp Web connection ${connectionId}`,
        );
        this.deps.logger.error(error.message, { connectionId });
        this.deps.errorReporter?.capture(error, { connectionId });
      }
      return;
    }
    if (!(await this.lease.acquire(connectionId))) return;
    const logger = this.deps.logger.child({ connectionId, gateway: 'whatsapp-web' });
    const session = new WhatsAppWebSession({
      connectionId,
      store: this.store,
      cipher: this.cipher,
      factory: currentSocketFactory(),
      logger,
      reconnectBaseMs: this.options.reconnectBaseMs,
      reconnectMaxMs: this.options.reconnectMaxMs,
      hooks: {
        qr: (qr) => recordPairingQr(this.deps, connectionId, qr, this.holder),
        open: async () => {
          await markWhatsAppWebConnected(this.deps, connectionId, null);
        },
        halt: async (reason, forget, statusCode) => {
          await haltWhatsAppWeb(this.deps, connectionId, reason, forget, `WEB_${statusCode ?? 'CLOSE'}`);
          await this.drop(connectionId, 'close');
        },
        replaced: (reason) => {
          logger.warn('WhatsApp Web session replaced elsewhere; giving it up here', { reason });
          void this.drop(connectionId, 'close');
        },
        contacts: async (contacts) => {
          await receiveWebContacts(this.deps, connectionId, contacts, (phones) => session.onWhatsApp(phones));
        },
      },
    });
    const held: Held = { session, lane: null, codePhone: null, codeTries: 0 };
    this.held.set(connectionId, held);
    this.sessions.set(connectionId, session);
    try {
      await session.start();
      await declareLane(this.deps, connectionId);
      const lane = new ConsumerRunner(this.laneConsumer(connectionId), this.runnerDeps);
      await lane.start();
      held.lane = lane as ConsumerRunner<unknown>;
      logger.info('WhatsApp Web socket opened here (lease taken); lane subscribed', { holder: this.holder });
    } catch (error) {
      if (error instanceof SessionKeyError) {
        this.keyErrorsReported.add(connectionId);
        logger.error(error.message, { connectionId });
        this.deps.errorReporter?.capture(error, { connectionId });
      } else logger.error('could not open the WhatsApp Web socket', errorFields(error));
      await this.drop(connectionId, 'close');
    }
  }

  private async answerCodeRequest(connectionId: string, held: Held): Promise<void> {
    const pairing = await this.store.Pairing.findById(connectionId, { phone: 1, code: 1 }).lean();
    if (!pairing?.phone || pairing.code || held.codePhone === pairing.phone) return;
    held.codePhone = pairing.phone;
    try {
      const code = await held.session.requestPairingCode(pairing.phone);
      await recordPairingCode(this.deps, connectionId, pairing.phone, { code });
      held.codeTries = 0;
    } catch (error) {
      // The socket may be between two QR rounds (closed, reconnecting): ask again at the next look, thrice.
      if (++held.codeTries < 3) held.codePhone = null;
      else await recordPairingCode(this.deps, connectionId, pairing.phone, { error: (error as Error).message });
    }
  }

  /** Gives the number up here: `logout` unlinks the device, `forget` removes the stored session. */
  private async drop(
    connectionId: string,
    how: 'close' | 'logout' | 'forget',
    timeoutMs = 3_000,
    release = true,
  ): Promise<void> {
    const held = this.held.get(connectionId);
    if (!held) return;
    this.held.delete(connectionId);
    this.sessions.delete(connectionId);
    await held.lane?.stop(timeoutMs).catch(() => undefined);
    if (how === 'logout') await held.session.logout();
    else await held.session.close();
    if (how !== 'close') await forgetSession(this.store, connectionId);
    if (release) await this.lease.release(connectionId).catch(() => undefined);
    this.deps.logger.info('WhatsApp Web socket closed here', { connectionId, how });
  }
}
