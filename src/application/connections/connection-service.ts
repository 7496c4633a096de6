import { publishEvent } from '../../../publishers/domain-event';
import {
  type ConnectionCommand,
  connectionStatusesAllowing,
  connectionTarget,
} from '../../domain/connections/connection-status';
import { throughputProblem, throughputToStore } from '../../domain/connections/throughput';
import { AppError } from '../../domain/errors';
import { ConnectionConnected, ConnectionCreated } from '../../domain/events/contact-messages';
import type { Cause } from '../../domain/events/envelope';
import type { ConnectionDoc } from '../../infrastructure/mongo/models/connection';
import type { ErrorReporter } from '../../infrastructure/observability/error-reporter';
import type { Logger } from '../../infrastructure/observability/logger';
import { declareLane, type PipelineDeps } from '../pipeline-deps';
import { campaignsOf } from '../service-registry';
import { repairWhatsAppWeb } from './whatsapp-web-pairing';

/**
 * Owns a WhatsApp connection's changes: created, settings changed, connected, disconnected,
 * halted (see connection-status.ts), the campaigns each pauses and the events it publishes.
 */

/** A new number (connected): its lane is declared and its first contact sync starts (ConnectionConnected). */
export async function createConnection(
  deps: PipelineDeps,
  cause: Cause,
  fields: Pick<ConnectionDoc, 'name' | 'gateway' | 'sandbox'> & {
    cloudApi: ConnectionDoc['cloudApi'] | null;
    throughputPerSec?: number | null;
  },
): Promise<ConnectionDoc> {
  const throughputPerSec = throughputSetting(fields.gateway, null, fields.throughputPerSec);
  const connection = await deps.models.Connection.create({ companyId: cause.companyId, ...fields, throughputPerSec });
  const connectionId = String(connection._id);
  await declareLane(deps, connectionId);
  // Dispatch workers pick the new lane up from this event (no polling); ConnectionConnected starts its first sync.
  await publishEvent(deps.publisher, ConnectionCreated, { connectionId }, cause);
  await publishEvent(deps.publisher, ConnectionConnected, { connectionId }, cause);
  return connection.toObject() as ConnectionDoc;
}

/** The connection of the company, or not-found (also for another company's id, so ids cannot be probed). */
export async function findConnection(deps: PipelineDeps, companyId: string, id: string): Promise<ConnectionDoc> {
  // By _id alone (the MongoDB-wire server scans any other filter); the tenant checked on the document.
  const found = (await deps.models.Connection.findById(id).lean()) as ConnectionDoc | null;
  if (!found || String(found.companyId) !== companyId) throw AppError.notFound('connection');
  return found;
}

/**
 * Changes name, gateway or settings; `lift` (an operator's `status: "connected"`) ends a halt too.
 * The next send uses the new settings.
 */
export async function updateConnection(
  deps: PipelineDeps,
  current: ConnectionDoc,
  set: Record<string, unknown>,
  lift: boolean,
): Promise<ConnectionDoc> {
  const updated = (await deps.models.Connection.findOneAndUpdate(
    { _id: current._id },
    { $set: { ...set, ...(lift ? { status: connectionTarget('connect'), haltedReason: null, haltedAt: null } : {}) } },
    { returnDocument: 'after' },
  ).lean()) as ConnectionDoc | null;
  if (!updated) throw AppError.notFound('connection');
  if (lift && current.status === 'halted') {
    deps.logger.warn('halted WhatsApp connection reconnected by an operator', {
      connectionId: String(updated._id),
      companyId: String(updated.companyId),
      haltedReason: current.haltedReason,
    });
  }
  return updated;
}

/**
 * The provider throughput to store for a number on `gateway` (after the change) given the stored
 * one and the one asked for (undefined: unchanged; null: the gateway's default). Invalid for the
 * gateway (any value on WhatsApp Web, out of 1..1000): `invalid` naming `body.throughputPerSec`.
 */
export function throughputSetting(
  gateway: string,
  stored: number | null | undefined,
  given: number | null | undefined,
): number | null {
  const problem = given === undefined ? null : throughputProblem(gateway, given);
  if (problem)
    throw AppError.invalid('the request body is invalid', [{ field: 'body.throughputPerSec', message: problem }]);
  return throughputToStore(gateway, stored, given);
}

/** Moves the status from the ones the command allows, atomically; anything else is a conflict. */
async function moveStatus(
  deps: PipelineDeps,
  companyId: string,
  id: string,
  command: ConnectionCommand,
): Promise<ConnectionDoc> {
  const current = await findConnection(deps, companyId, id);
  const to = connectionTarget(command);
  const updated = (await deps.models.Connection.findOneAndUpdate(
    { _id: current._id, status: { $in: connectionStatusesAllowing(command) } },
    { $set: { status: to, ...(to === 'connected' ? { haltedReason: null, haltedAt: null } : {}) } },
    { returnDocument: 'after' },
  ).lean()) as ConnectionDoc | null;
  if (!updated) throw AppError.conflict(`the connection is ${current.status}`);
  return updated;
}

/** Connects a disconnected or halted number; a contact sync starts. Campaigns paused stay paused. */
export async function connectConnection(deps: PipelineDeps, cause: Cause, id: string): Promise<ConnectionDoc> {
  const current = await findConnection(deps, cause.companyId, id);
  if (current.gateway === 'whatsapp-web') {
    // A WhatsApp Web number connects by opening its session: `pairing` (a QR if its session is gone).
    const repaired = await repairWhatsAppWeb(deps, current);
    if (!repaired) throw AppError.conflict(`the connection is ${current.status}`);
    return repaired;
  }
  const after = await moveStatus(deps, cause.companyId, id, 'connect');
  await declareLane(deps, id);
  await publishEvent(deps.publisher, ConnectionConnected, { connectionId: id }, cause);
  return after;
}

/** Disconnects: nothing is sent on the number, its campaigns are paused; how many. */
export async function disconnectConnection(
  deps: PipelineDeps,
  cause: Cause,
  id: string,
): Promise<{ connection: ConnectionDoc; pausedCampaigns: number }> {
  const connection = await moveStatus(deps, cause.companyId, id, 'disconnect');
  const pausedCampaigns = await pauseCampaignsOf(deps, id);
  deps.logger.info('WhatsApp connection disconnected', {
    connectionId: id,
    companyId: cause.companyId,
    pausedCampaigns,
  });
  return { connection, pausedCampaigns };
}

export class ConnectionHalted extends Error {
  override name = 'ConnectionHalted';
}

/**
 * The provider said the number is at risk (spam rate limit, expired or invalid token): the
 * connection is marked `halted` and every campaign of it that could still send is paused, with an
 * alert in the logs and the error reporter. Only the first caller (the atomic status change) alerts;
 * campaigns are paused by every caller, so one started meanwhile is paused too.
 */
export async function haltConnection(
  deps: PipelineDeps & { errorReporter?: ErrorReporter },
  connectionId: string,
  reason: string,
  logger: Logger = deps.logger,
): Promise<number> {
  const { Connection } = deps.models;
  const halted = await Connection.findOneAndUpdate(
    { _id: connectionId, status: { $in: connectionStatusesAllowing('halt') } },
    { $set: { status: connectionTarget('halt'), haltedReason: reason, haltedAt: new Date(deps.now()) } },
    { returnDocument: 'after' },
  ).lean();
  const paused = await pauseCampaignsOf(deps, connectionId);
  if (halted) {
    const context = { connectionId, companyId: String(halted.companyId), reason, pausedCampaigns: paused };
    logger.error(
      'WhatsApp connection halted by the provider; its campaigns are paused until an operator acts',
      context,
    );
    deps.errorReporter?.capture(new ConnectionHalted(`connection ${connectionId} halted: ${reason}`), context);
  }
  return paused;
}

/**
 * Pauses every campaign of the connection that may still send; returns how many it paused. A
 * campaign that sends from other numbers too is not paused while one of them is connected: the
 * contacts it had left on this number move to the others (CampaignService.moveOffNumber).
 */
export function pauseCampaignsOf(deps: PipelineDeps, connectionId: string): Promise<number> {
  return campaignsOf(deps).pauseAllOf(connectionId);
}

/** Refuses to start or resume a campaign whose connection is halted or disconnected. */
export async function assertConnectionUsable(deps: PipelineDeps, companyId: string, campaignId: string): Promise<void> {
  // By _id alone (the MongoDB-wire server scans any other filter); the tenant checked on the document.
  const campaign = await deps.models.Campaign.findById(campaignId, { connectionId: 1, companyId: 1 }).lean();
  if (!campaign || String(campaign.companyId) !== companyId) return;
  const connection = await deps.models.Connection.findById(campaign.connectionId, {
    status: 1,
    haltedReason: 1,
  }).lean();
  const connectionId = String(campaign.connectionId);
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
