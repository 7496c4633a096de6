import { Types } from 'mongoose';
import {
  type ConnectionCommand,
  connectionStatusesAllowing,
  connectionTarget,
} from '../../domain/connections/connection-status';
import { normalisePhone } from '../../domain/contacts/phone';
import { AppError } from '../../domain/errors';
import { ConnectionConnected, ConnectionCreated } from '../../domain/events/contact-messages';
import { type Cause, newCorrelation } from '../../domain/events/envelope';
import type { WebPairingDoc } from '../../infrastructure/gateways/whatsapp-web/web-store';
import type { ConnectionDoc } from '../../infrastructure/mongo/models/connection';
import type { ErrorReporter } from '../../infrastructure/observability/error-reporter';
import type { Logger } from '../../infrastructure/observability/logger';
import type { DomainEvents } from '../messaging-ports';
import type { ConnectionRepository, NewConnection, PairingRecords } from './connection-repository';

export interface ConnectionServiceDeps {
  connections: ConnectionRepository;
  pairings: PairingRecords;
  events: DomainEvents;
  /** Declares a number's lane queue (idempotent). */
  declareLane(connectionId: string): Promise<void>;
  /** Pauses (or moves off the number) every campaign of it that may still send; how many it paused. */
  pauseCampaignsOf(connectionId: string): Promise<number>;
  logger: Logger;
  now(): number;
}

export class ConnectionHalted extends Error {
  override name = 'ConnectionHalted';
}

/** Leaving `connected` for another reason than a halt clears the halt's trace. */
const cleared = { haltedReason: null, haltedAt: null };

/**
 * Owns a WhatsApp connection's changes: created, settings changed, connected, disconnected,
 * halted, and for WhatsApp Web paired, re-paired and its pairing cancelled (the table in
 * connection-status.ts); the campaigns each pauses and the events it publishes. Each status change
 * is a compare-and-set from the statuses the table allows.
 */
export class ConnectionService {
  constructor(private readonly deps: ConnectionServiceDeps) {}

  /** The connection of the company, or not-found (also for another company's id, so ids cannot be probed). */
  async find(companyId: string, id: string): Promise<ConnectionDoc> {
    // By _id alone (the MongoDB-wire server scans any other filter); the tenant checked on the document.
    const found = Types.ObjectId.isValid(id) ? await this.deps.connections.findById(id) : null;
    if (!found || String(found.companyId) !== companyId) throw AppError.notFound('connection');
    return found;
  }

  /** A new number (connected): its lane is declared and its first contact sync starts (ConnectionConnected). */
  async create(cause: Cause, fields: Omit<NewConnection, 'companyId' | 'status'>): Promise<ConnectionDoc> {
    const connection = await this.deps.connections.create({ ...fields, companyId: cause.companyId });
    const connectionId = String(connection._id);
    await this.deps.declareLane(connectionId);
    // Dispatch workers pick the new lane up from this event (no polling); ConnectionConnected starts its first sync.
    await this.deps.events.publish(ConnectionCreated, { connectionId }, cause);
    await this.deps.events.publish(ConnectionConnected, { connectionId }, cause);
    return connection;
  }

  /**
   * Changes name, gateway or settings; `lift` (an operator's `status: "connected"`) ends a halt too.
   * The next send uses the new settings.
   */
  async update(current: ConnectionDoc, set: Record<string, unknown>, lift: boolean): Promise<ConnectionDoc> {
    const updated = await this.deps.connections.update(String(current._id), {
      ...set,
      ...(lift ? { status: connectionTarget('connect'), ...cleared } : {}),
    });
    if (!updated) throw AppError.notFound('connection');
    if (lift && current.status === 'halted') {
      this.deps.logger.warn('halted WhatsApp connection reconnected by an operator', {
        connectionId: String(updated._id),
        companyId: String(updated.companyId),
        haltedReason: current.haltedReason,
      });
    }
    return updated;
  }

  /** Moves the company's connection by the command, atomically; anything else is a conflict. */
  private async move(companyId: string, id: string, command: ConnectionCommand): Promise<ConnectionDoc> {
    const current = await this.find(companyId, id);
    const to = connectionTarget(command);
    const updated = await this.deps.connections.update(
      id,
      { status: to, ...(to === 'connected' ? cleared : {}) },
      connectionStatusesAllowing(command),
    );
    if (!updated) throw AppError.conflict(`the connection is ${current.status}`);
    return updated;
  }

  /**
   * Connects a disconnected or halted number; a contact sync starts. Campaigns paused stay paused.
   * A WhatsApp Web number connects by opening its session: it goes back to `pairing` (repair).
   */
  async connect(cause: Cause, id: string): Promise<ConnectionDoc> {
    const current = await this.find(cause.companyId, id);
    if (current.gateway === 'whatsapp-web') {
      const repaired = await this.repair(current);
      if (!repaired) throw AppError.conflict(`the connection is ${current.status}`);
      return repaired;
    }
    const after = await this.move(cause.companyId, id, 'connect');
    await this.deps.declareLane(id);
    await this.deps.events.publish(ConnectionConnected, { connectionId: id }, cause);
    return after;
  }

  /** Disconnects: nothing is sent on the number, its campaigns are paused; how many. */
  async disconnect(cause: Cause, id: string): Promise<{ connection: ConnectionDoc; pausedCampaigns: number }> {
    const connection = await this.move(cause.companyId, id, 'disconnect');
    const pausedCampaigns = await this.deps.pauseCampaignsOf(id);
    this.deps.logger.info('WhatsApp connection disconnected', {
      connectionId: id,
      companyId: cause.companyId,
      pausedCampaigns,
    });
    return { connection, pausedCampaigns };
  }

  /**
   * The provider said the number is at risk (spam rate limit, expired or invalid token): the
   * connection is marked `halted` and every campaign of it that could still send is paused, with an
   * alert in the logs and the error reporter. Only the first caller (the atomic status change)
   * alerts; campaigns are paused by every caller, so one started meanwhile is paused too.
   */
  async halt(
    connectionId: string,
    reason: string,
    alert: { logger?: Logger; errorReporter?: ErrorReporter } = {},
  ): Promise<number> {
    const halted = await this.deps.connections.update(
      connectionId,
      { status: connectionTarget('halt'), haltedReason: reason, haltedAt: new Date(this.deps.now()) },
      connectionStatusesAllowing('halt'),
    );
    const paused = await this.deps.pauseCampaignsOf(connectionId);
    if (halted) {
      const context = { connectionId, companyId: String(halted.companyId), reason, pausedCampaigns: paused };
      (alert.logger ?? this.deps.logger).error(
        'WhatsApp connection halted by the provider; its campaigns are paused until an operator acts',
        context,
      );
      alert.errorReporter?.capture(new ConnectionHalted(`connection ${connectionId} halted: ${reason}`), context);
    }
    return paused;
  }

  /** Refuses to start or resume a campaign on a number that is halted, disconnected or not linked yet. */
  async assertUsable(connectionId: string): Promise<void> {
    const connection = await this.deps.connections.findById(connectionId);
    if (connection?.status === 'halted') {
      // A campaign cannot start or resume while its number is halted: the operator fixes it first.
      throw AppError.conflict(
        `connection ${connectionId} is halted (${connection.haltedReason ?? 'by the provider'}); fix it, then PATCH /v1/connections/${connectionId} with {"status":"connected"}`,
      );
    }
    if (connection?.status === 'pairing') {
      throw AppError.conflict(
        `connection ${connectionId} is not linked yet; scan its QR first (GET /v1/connections/${connectionId}/pairing)`,
      );
    }
    if (connection?.status === 'disconnected') {
      throw AppError.conflict(
        `connection ${connectionId} is disconnected; connect it first (POST /v1/connections/${connectionId}/connect)`,
      );
    }
  }

  /**
   * A new whatsapp-web connection: stored in `pairing`, its lane declared, an empty pairing record.
   * A dispatch worker takes its socket (lease) and shows QRs until the phone links it; nothing is
   * synced or sent before that (pair).
   */
  async startPairing(companyId: string, name: string): Promise<ConnectionDoc> {
    const connection = await this.deps.connections.create({
      companyId,
      name,
      gateway: 'whatsapp-web',
      status: 'pairing',
      cloudApi: null,
    });
    const connectionId = String(connection._id);
    try {
      await this.deps.pairings.open(connectionId);
      await this.deps.declareLane(connectionId);
    } catch (error) {
      // Nothing half-created stays behind.
      await this.deps.connections.remove(connectionId);
      await this.deps.pairings.forget(connectionId);
      throw error;
    }
    this.deps.logger.info('WhatsApp Web pairing started', { connectionId, companyId });
    return connection;
  }

  /**
   * Cancels a pairing that has not linked yet: the connection, its pairing record and any session
   * secret are removed; the process holding the socket closes it at its next look.
   */
  async cancelPairing(connection: ConnectionDoc): Promise<void> {
    const connectionId = String(connection._id);
    if (!(await this.deps.connections.remove(connectionId, ['pairing'])))
      throw AppError.conflict(`the connection is ${connection.status}; disconnect it instead`);
    await this.deps.pairings.forget(connectionId);
    this.deps.logger.info('WhatsApp Web pairing cancelled', { connectionId, companyId: String(connection.companyId) });
  }

  /** Connect again a disconnected or halted whatsapp-web number: back to pairing (a QR if its session is gone). */
  async repair(connection: ConnectionDoc): Promise<ConnectionDoc | null> {
    const connectionId = String(connection._id);
    const updated = await this.deps.connections.update(
      connectionId,
      { status: connectionTarget('repair'), ...cleared },
      connectionStatusesAllowing('repair'),
    );
    if (updated) await this.deps.pairings.reopen(connectionId);
    return updated;
  }

  /**
   * The socket opened with a linked session: a number in `pairing` becomes `connected`, its pairing
   * record is cleared, and ConnectionConnected starts its first contact sync. False when the
   * connection is no longer pairing (already connected, or disconnected meanwhile).
   */
  async pair(connectionId: string, cause: Cause | null): Promise<boolean> {
    const updated = await this.deps.connections.update(
      connectionId,
      { status: connectionTarget('pair'), ...cleared },
      connectionStatusesAllowing('pair'),
    );
    if (!updated) return false;
    await this.deps.pairings.linked(connectionId);
    const companyId = String(updated.companyId);
    await this.deps.events.publish(ConnectionConnected, { connectionId }, cause ?? newCorrelation(companyId));
    this.deps.logger.info('WhatsApp Web number linked', { connectionId, companyId });
    return true;
  }

  /** The company's whatsapp-web connection; not-found, or a conflict for a number on another gateway. */
  async findWhatsAppWeb(companyId: string, id: string): Promise<ConnectionDoc> {
    const connection = await this.find(companyId, id);
    if (connection.gateway !== 'whatsapp-web')
      throw AppError.conflict(`connection ${String(connection._id)} is ${connection.gateway}, not whatsapp-web`);
    return connection;
  }

  /** The pairing record the API shows (QR or code) with its connection. */
  async pairingOf(
    companyId: string,
    connectionId: string,
  ): Promise<{ connection: ConnectionDoc; pairing: WebPairingDoc | null }> {
    const connection = await this.findWhatsAppWeb(companyId, connectionId);
    return { connection, pairing: await this.deps.pairings.find(connectionId) };
  }

  /**
   * Asks to link with an 8-character code typed on the phone instead of scanning the QR (only a
   * number being paired takes one): the phone, normalised with the company's region, goes on the
   * pairing record; the process holding the socket asks WhatsApp for the code and records it.
   */
  async requestPairingCode(
    companyId: string,
    connectionId: string,
    phone: string,
    regionOf: (companyId: string) => Promise<string>,
  ): Promise<WebPairingDoc> {
    const connection = await this.findWhatsAppWeb(companyId, connectionId);
    if (connection.status !== 'pairing')
      throw AppError.conflict(`the connection is ${connection.status}; only a number being paired takes a code`);
    const parsed = normalisePhone(phone, await regionOf(companyId));
    if (!parsed.valid)
      throw AppError.invalid('the request body is invalid', [{ field: 'body.phone', message: parsed.reason }]);
    return this.deps.pairings.askCode(connectionId, parsed.e164.slice(1));
  }

  /** Records the QR WhatsApp just issued (they rotate about every 20 s until one is scanned). */
  recordPairingQr(connectionId: string, qr: string, holder: string): Promise<void> {
    return this.deps.pairings.recordQr(connectionId, qr, new Date(this.deps.now()), holder);
  }

  /** Records the pairing code WhatsApp gave for the phone asked (or why it gave none). */
  recordPairingCode(connectionId: string, phone: string, outcome: { code: string } | { error: string }): Promise<void> {
    return this.deps.pairings.recordCode(connectionId, phone, outcome, new Date(this.deps.now()));
  }

  /** Forgets a WhatsApp Web session WhatsApp will not accept again (linking again needs a new QR). */
  forgetSession(connectionId: string): Promise<void> {
    return this.deps.pairings.forget(connectionId);
  }
}
