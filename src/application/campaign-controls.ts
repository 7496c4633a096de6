import { Types } from 'mongoose';
import { publishEvent } from '../../publishers/domain-event';
import { type CampaignCommand, type CampaignStatus, statusesAllowing } from '../domain/campaigns/campaign-status';
import { AppError } from '../domain/errors';
import { CampaignCancelled, CampaignPaused, CampaignResumed } from '../domain/events/campaign-messages';
import type { Cause } from '../domain/events/envelope';
import { effectivePacing, type PacingSettings } from '../domain/pacing/pacing-settings';
import { SendPlanner } from '../domain/pacing/send-planner';
import { effectiveWindow, type WeeklySchedule } from '../domain/pacing/sending-window';
import type { CampaignTemplate } from '../domain/whatsapp/templates';
import { type CampaignDoc, connectionIdsOf } from '../infrastructure/mongo/models/campaign';
import { queueIfDue } from './campaign-scheduling';
import { declareLane, type PipelineDeps } from './pipeline-deps';
import { shippingsOf } from './service-registry';

/** A command the campaign's current status does not allow (resume a cancelled campaign, say): a conflict. */
export function campaignStateConflict(command: CampaignCommand, status: CampaignStatus): AppError {
  return AppError.conflict(`cannot ${command} a campaign that is ${status}`);
}

type Update = Record<string, unknown>;

/** Applies a status change atomically, from the statuses that allow it; returns the document before. */
async function transition(
  deps: PipelineDeps,
  companyId: string,
  campaignId: string,
  command: CampaignCommand,
  update: Update,
): Promise<CampaignDoc> {
  const { Campaign } = deps.models;
  const before = await Campaign.findOneAndUpdate(
    { _id: campaignId, companyId, status: { $in: statusesAllowing(command) } },
    update,
    { returnDocument: 'before' },
  ).lean();
  if (before) return before as CampaignDoc;
  const current = await Campaign.findOne({ _id: campaignId, companyId }, { status: 1 }).lean();
  if (!current) throw AppError.notFound('campaign');
  throw campaignStateConflict(command, current.status);
}

/** Schedules a draft (or moves a schedule); a time inside the check's window is queued at once. */
export async function scheduleCampaign(deps: PipelineDeps, cause: Cause, campaignId: string, at: Date): Promise<void> {
  await transition(deps, cause.companyId, campaignId, 'schedule', {
    $set: { status: 'scheduled', scheduledAt: at, correlationId: cause.correlationId },
  });
  await queueIfDue(deps, campaignId, cause);
}

/** The fields of a campaign that may change before it starts. */
export interface CampaignChanges {
  name?: string;
  connectionId?: string;
  /** Several numbers (null: back to the one `connectionId`). */
  connectionIds?: string[] | null;
  listId?: string;
  variants?: string[];
  mediaUrl?: string | null;
  template?: CampaignTemplate | null;
  pacing?: Partial<PacingSettings> | null;
  sendingWindows?: WeeklySchedule | null;
}

/**
 * Changes a draft or scheduled campaign (atomically: one claimed by the scheduler meanwhile is
 * refused); a new `scheduledAt` moves the schedule, or schedules a draft.
 */
export async function updateCampaign(
  deps: PipelineDeps,
  cause: Cause,
  campaignId: string,
  changes: CampaignChanges,
  scheduledAt?: Date,
): Promise<void> {
  const set = Object.fromEntries(Object.entries(changes).filter(([, value]) => value !== undefined));
  if (Object.keys(set).length > 0) await transition(deps, cause.companyId, campaignId, 'update', { $set: set });
  if (scheduledAt) await scheduleCampaign(deps, cause, campaignId, scheduledAt);
}

/** Starts now: due immediately, without waiting for the next scheduled check. */
export async function startCampaign(deps: PipelineDeps, cause: Cause, campaignId: string): Promise<void> {
  await transition(deps, cause.companyId, campaignId, 'start', {
    $set: { status: 'scheduled', scheduledAt: new Date(deps.now()) },
  });
  await queueIfDue(deps, campaignId, cause);
}

/**
 * Pauses at the next send: the lane parks this campaign's shippings instead of sending them.
 * `reason` says why when Disparo paused it itself (the provider refused its template).
 */
export async function pauseCampaign(
  deps: PipelineDeps,
  cause: Cause,
  campaignId: string,
  reason?: string,
  autoPaused?: { reason: string; at: Date },
): Promise<void> {
  // One write: whoever sees the campaign paused also sees why.
  await transition(deps, cause.companyId, campaignId, 'pause', {
    $set: { status: 'paused', pausedReason: reason ?? null, ...(autoPaused ? { autoPaused } : {}) },
  });
  await publishEvent(deps.publisher, CampaignPaused, { campaignId, ...(reason ? { reason } : {}) }, cause);
}

/**
 * Resumes where the campaign stopped. One not yet processed goes back to `scheduled` (and is
 * queued at once if due). A running one continues: shippings the lane parked while paused get new
 * send times after everything already planned on the number, and go back to the lane; shippings
 * that were sent are never touched, so nothing is sent twice.
 */
export async function resumeCampaign(deps: PipelineDeps, cause: Cause, campaignId: string): Promise<void> {
  const { Campaign } = deps.models;
  const current = await Campaign.findOne({ _id: campaignId, companyId: cause.companyId }, { plan: 1 }).lean();
  if (!current) throw AppError.notFound('campaign');
  // A campaign whose send plan is fixed was processing when paused; one without had not started.
  const target: CampaignStatus = current.plan ? 'running' : 'scheduled';
  const before = await transition(deps, cause.companyId, campaignId, 'resume', {
    $set: { status: target, pausedReason: null, autoPaused: null },
  });
  await publishEvent(deps.publisher, CampaignResumed, { campaignId }, cause);
  if (target === 'scheduled') {
    await queueIfDue(deps, campaignId, cause);
    return;
  }
  await replanParked(deps, cause, before);
}

async function replanParked(deps: PipelineDeps, cause: Cause, campaign: CampaignDoc): Promise<void> {
  const { Shipping, Company } = deps.models;
  const campaignId = String(campaign._id);
  const company = await Company.findById(campaign.companyId).lean();
  const settings = effectivePacing(company!.pacing, campaign.pacing ?? undefined);
  // Limits as they are now (they may have changed while paused); drawn gaps continue the campaign's seed.
  const window = effectiveWindow(company!.timezone, company!.sendingWindows, campaign.sendingWindows);
  const limits = { window, seed: `${campaignId}:resumed:${campaign.counters.sent}` };
  const now = deps.now();
  const shippings = shippingsOf(deps);
  let replanned = 0;
  let plannedUntil: Date | null = null;
  // Each parked shipping goes back to its own number's lane (a campaign on several numbers parks on each).
  for (const connectionId of connectionIdsOf(campaign)) {
    const onLane = {
      campaignId: campaign._id,
      connectionId: new Types.ObjectId(connectionId),
      status: 'paused' as const,
    };
    const parked = await Shipping.countDocuments(onLane);
    if (parked === 0) continue;
    await declareLane(deps, connectionId);
    const initial = await deps.lanes.reserve(connectionId, cause.companyId, settings, now, parked, limits);
    const planner = new SendPlanner(settings, now, initial, limits);
    const cursor = Shipping.find(onLane, { _id: 1, campaignId: 1, contactId: 1, connectionId: 1, plannedAt: 1 })
      .sort({ plannedAt: 1, _id: 1 })
      .lean()
      .cursor({ batchSize: 500 });
    let onThisLane = 0;
    for await (const shipping of cursor) {
      if (onThisLane >= parked) break;
      const plannedAt = new Date(planner.next());
      if (plannedUntil === null || plannedAt > plannedUntil) plannedUntil = plannedAt;
      if (await shippings.replan(shipping, plannedAt, cause)) onThisLane++;
    }
    replanned += onThisLane;
  }
  if (plannedUntil) await deps.models.Campaign.updateOne({ _id: campaign._id }, { $max: { plannedUntil } });
  deps.logger.info('campaign resumed', { campaignId, companyId: cause.companyId, replanned });
}

/** Cancels: nothing more is sent; shippings not yet sent are marked cancelled and counted. */
export async function cancelCampaign(deps: PipelineDeps, cause: Cause, campaignId: string): Promise<void> {
  await transition(deps, cause.companyId, campaignId, 'cancel', {
    $set: { status: 'cancelled', completedAt: new Date(deps.now()) },
  });
  await shippingsOf(deps).cancelCampaign(new Types.ObjectId(campaignId));
  await publishEvent(deps.publisher, CampaignCancelled, { campaignId }, cause);
}

/** Deletes a draft (nothing was planned or sent for it). */
export async function deleteDraft(deps: PipelineDeps, cause: Cause, campaignId: string): Promise<void> {
  await transition(deps, cause.companyId, campaignId, 'delete', { $set: { status: 'cancelled' } });
  await deps.models.Campaign.deleteOne({ _id: campaignId, companyId: cause.companyId });
}
