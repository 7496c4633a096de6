import { Types } from 'mongoose';
import { type CampaignCommand, type CampaignStatus, statusesAllowing } from '../domain/campaigns/campaign-status';
import { CampaignCancelled, CampaignPaused, CampaignResumed } from '../domain/events/campaign-messages';
import type { Cause } from '../domain/events/envelope';
import { effectivePacing } from '../domain/pacing/pacing-settings';
import { SendPlanner } from '../domain/pacing/send-planner';
import type { CampaignDoc } from '../infrastructure/mongo/models/campaign';
import { sendToLane } from '../../publishers/contact-prepared';
import { publishEvent } from '../../publishers/domain-event';
import { queueIfDue } from './campaign-scheduling';
import { declareLane, type PipelineDeps } from './pipeline-deps';

export class CampaignNotFoundError extends Error {
  override name = 'CampaignNotFoundError';
}

/** A command the campaign's current status does not allow (resume a cancelled campaign, say). */
export class CampaignStateError extends Error {
  override name = 'CampaignStateError';
  constructor(
    readonly command: CampaignCommand,
    readonly status: CampaignStatus,
  ) {
    super(`cannot ${command} a campaign that is ${status}`);
  }
}

type Update = Record<string, unknown>;

/** Applies a status change atomically, from the statuses that allow it; returns the document before. */
async function transition(deps: PipelineDeps, companyId: string, campaignId: string, command: CampaignCommand, update: Update): Promise<CampaignDoc> {
  const { Campaign } = deps.models;
  const before = await Campaign.findOneAndUpdate(
    { _id: campaignId, companyId, status: { $in: statusesAllowing(command) } },
    update,
    { returnDocument: 'before' },
  ).lean();
  if (before) return before as CampaignDoc;
  const current = await Campaign.findOne({ _id: campaignId, companyId }, { status: 1 }).lean();
  if (!current) throw new CampaignNotFoundError(`campaign ${campaignId} not found`);
  throw new CampaignStateError(command, current.status);
}

/** Schedules a draft (or moves a schedule); a time inside the check's window is queued at once. */
export async function scheduleCampaign(deps: PipelineDeps, cause: Cause, campaignId: string, at: Date): Promise<void> {
  await transition(deps, cause.companyId, campaignId, 'schedule', { $set: { status: 'scheduled', scheduledAt: at } });
  await queueIfDue(deps, campaignId, cause);
}

/** Starts now: due immediately, without waiting for the next scheduled check. */
export async function startCampaign(deps: PipelineDeps, cause: Cause, campaignId: string): Promise<void> {
  await scheduleCampaign(deps, cause, campaignId, new Date(deps.now()));
}

/** Pauses at the next send: the lane parks this campaign's shippings instead of sending them. */
export async function pauseCampaign(deps: PipelineDeps, cause: Cause, campaignId: string): Promise<void> {
  const before = await transition(deps, cause.companyId, campaignId, 'pause', [] as never);
  void before;
}
