import { throughputProblem, throughputToStore } from '../../domain/connections/throughput';
import { AppError, isAppError } from '../../domain/errors';
import type { Cause } from '../../domain/events/envelope';
import type { ConnectionDoc } from '../../infrastructure/mongo/models/connection';
import type { ErrorReporter } from '../../infrastructure/observability/error-reporter';
import type { Logger } from '../../infrastructure/observability/logger';
import type { PipelineDeps } from '../pipeline-deps';
import { campaignsOf, connectionsOf } from '../service-registry';
import type { NewConnection } from './connection-repository';

/**
 * The names entry points call for a WhatsApp connection's changes, each one call of
 * ConnectionService (connection-lifecycle.ts), which owns them: created, settings changed,
 * connected, disconnected, halted (see connection-status.ts).
 */

export { ConnectionHalted } from './connection-lifecycle';

/** A new number (connected): its lane is declared and its first contact sync starts (ConnectionConnected). */
export function createConnection(
  deps: PipelineDeps,
  cause: Cause,
  fields: Omit<NewConnection, 'companyId' | 'status' | 'throughputPerSec'> & { throughputPerSec?: number | null },
): Promise<ConnectionDoc> {
  const throughputPerSec = throughputSetting(fields.gateway, null, fields.throughputPerSec);
  return connectionsOf(deps).create(cause, { ...fields, throughputPerSec });
}

/** The connection of the company, or not-found (also for another company's id, so ids cannot be probed). */
export function findConnection(deps: PipelineDeps, companyId: string, id: string): Promise<ConnectionDoc> {
  return connectionsOf(deps).find(companyId, id);
}

/** Changes name, gateway or settings; `lift` (an operator's `status: "connected"`) ends a halt too. */
export function updateConnection(
  deps: PipelineDeps,
  current: ConnectionDoc,
  set: Record<string, unknown>,
  lift: boolean,
): Promise<ConnectionDoc> {
  return connectionsOf(deps).update(current, set, lift);
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

/** Connects a disconnected or halted number; a contact sync starts. Campaigns paused stay paused. */
export function connectConnection(deps: PipelineDeps, cause: Cause, id: string): Promise<ConnectionDoc> {
  return connectionsOf(deps).connect(cause, id);
}

/** Disconnects: nothing is sent on the number, its campaigns are paused; how many. */
export function disconnectConnection(
  deps: PipelineDeps,
  cause: Cause,
  id: string,
): Promise<{ connection: ConnectionDoc; pausedCampaigns: number }> {
  return connectionsOf(deps).disconnect(cause, id);
}

/** The provider said the number is at risk: halted, its campaigns paused, an alert (once). */
export function haltConnection(
  deps: PipelineDeps & { errorReporter?: ErrorReporter },
  connectionId: string,
  reason: string,
  logger: Logger = deps.logger,
): Promise<number> {
  return connectionsOf(deps).halt(connectionId, reason, {
    logger,
    ...(deps.errorReporter ? { errorReporter: deps.errorReporter } : {}),
  });
}

/**
 * Pauses every campaign of the connection that may still send; returns how many it paused. A
 * campaign that sends from other numbers too is not paused while one of them is connected: the
 * contacts it had left on this number move to the others (CampaignService.moveOffNumber).
 */
export function pauseCampaignsOf(deps: PipelineDeps, connectionId: string): Promise<number> {
  return campaignsOf(deps).pauseAllOf(connectionId);
}

/** Refuses to start or resume a campaign whose connection is halted, disconnected or not linked yet. */
export async function assertConnectionUsable(deps: PipelineDeps, companyId: string, campaignId: string): Promise<void> {
  let connectionId: string;
  try {
    connectionId = String((await campaignsOf(deps).find(companyId, campaignId)).connectionId);
  } catch (error) {
    // No such campaign: the command itself answers 404.
    if (isAppError(error, 'not-found')) return;
    throw error;
  }
  await connectionsOf(deps).assertUsable(connectionId);
}
