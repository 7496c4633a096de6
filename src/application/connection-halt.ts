import { Types } from 'mongoose';
import { statusesAllowing } from '../domain/campaigns/campaign-status';
import { type Cause, newCorrelation } from '../domain/events/envelope';
import type { ErrorReporter } from '../infrastructure/observability/error-reporter';
import type { Logger } from '../infrastructure/observability/logger';
import { CampaignNotFoundError, CampaignStateError, pauseCampaign } from './campaign-controls';
import type { PipelineDeps } from './pipeline-deps';

/** A campaign cannot resume while its WhatsApp connection is halted: the operator fixes it first. */
export class ConnectionHaltedError extends Error {
  override name = 'ConnectionHaltedError';
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
    { _id: connectionId, status: { $ne: 'halted' } },
    { $set: { status: 'halted', haltedReason: reason, haltedAt: new Date(deps.now()) } },
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

/** Pauses every campaign of the connection that may still send; returns how many it paused. */
export async function pauseCampaignsOf(deps: PipelineDeps, connectionId: string): Promise<number> {
  const campaigns = await deps.models.Campaign.find(
    { connectionId: new Types.ObjectId(connectionId), status: { $in: statusesAllowing('pause') } },
    { _id: 1, companyId: 1 },
  ).lean();
  let paused = 0;
  for (const campaign of campaigns) {
    const cause: Cause = newCorrelation(String(campaign.companyId));
    try {
      await pauseCampaign(deps, cause, String(campaign._id));
      paused++;
    } catch (error) {
      // Paused, finished or cancelled meanwhile: nothing left to stop.
      if (!(error instanceof CampaignStateError || error instanceof CampaignNotFoundError)) throw error;
    }
  }
  return paused;
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
    throw new ConnectionHaltedError(
      `connection ${connectionId} is halted (${connection.haltedReason ?? 'by the provider'}); fix it, then PATCH /v1/connections/${connectionId} with {"status":"connected"}`,
    );
  }
  if (connection?.status === 'pairing') {
    throw new ConnectionHaltedError(
      `connection ${connectionId} is not linked yet; scan its QR first (GET /v1/connections/${connectionId}/pairing)`,
    );
  }
  if (connection?.status === 'disconnected') {
    throw new ConnectionHaltedError(
      `connection ${connectionId} is disconnected; connect it first (POST /v1/connections/${connectionId}/connect)`,
    );
  }
}
