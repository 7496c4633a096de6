import type { Cause } from '../../domain/events/envelope';
import type { CampaignDoc } from '../../infrastructure/mongo/models/campaign';
import type { PipelineDeps } from '../pipeline-deps';
import { campaignsOf } from '../service-registry';
import type { NewCampaign } from './campaign-repository';
import type { CampaignEdits } from './campaign-service';

/**
 * The campaign commands of the API, the CLI and the connection service: each one call of the
 * campaign service (src/application/campaigns/campaign-service.ts), which owns the transitions.
 */

export { campaignStateConflict } from './campaign-service';

/** The fields of a campaign that may change before it starts. */
export type CampaignChanges = CampaignEdits;

/** Creates a draft; with `scheduledAt`, schedules it at once. */
export function createCampaign(
  deps: PipelineDeps,
  cause: Cause,
  fields: Omit<NewCampaign, 'companyId'>,
  scheduledAt?: Date,
): Promise<CampaignDoc> {
  return campaignsOf(deps).create(cause, fields, scheduledAt);
}

/** The company's campaign, or not-found (also for another company's id). */
export function findCampaign(deps: PipelineDeps, companyId: string, campaignId: string): Promise<CampaignDoc> {
  return campaignsOf(deps).find(companyId, campaignId);
}

/** Schedules a draft (or moves a schedule); a time inside the check's window is queued at once. */
export function scheduleCampaign(deps: PipelineDeps, cause: Cause, campaignId: string, at: Date): Promise<void> {
  return campaignsOf(deps).schedule(cause, campaignId, at);
}

/** Changes a draft or scheduled campaign; a new `scheduledAt` moves the schedule, or schedules a draft. */
export function updateCampaign(
  deps: PipelineDeps,
  cause: Cause,
  campaignId: string,
  changes: CampaignChanges,
  scheduledAt?: Date,
): Promise<void> {
  return campaignsOf(deps).update(cause, campaignId, changes, scheduledAt);
}

/** Starts now: due immediately, without waiting for the next scheduled check. */
export function startCampaign(deps: PipelineDeps, cause: Cause, campaignId: string): Promise<void> {
  return campaignsOf(deps).start(cause, campaignId);
}

/**
 * Pauses at the next send: the lane parks this campaign's shippings instead of sending them.
 * `reason` says why when Disparo paused it itself (the provider refused its template).
 */
export function pauseCampaign(
  deps: PipelineDeps,
  cause: Cause,
  campaignId: string,
  reason?: string,
  autoPaused?: { reason: string; at: Date },
): Promise<void> {
  return campaignsOf(deps).pause(cause, campaignId, reason, autoPaused);
}

/** Resumes where the campaign stopped (parked shippings re-planned; nothing is sent twice). */
export function resumeCampaign(deps: PipelineDeps, cause: Cause, campaignId: string): Promise<void> {
  return campaignsOf(deps).resume(cause, campaignId);
}

/** Cancels: nothing more is sent; shippings not yet sent are marked cancelled and counted. */
export function cancelCampaign(deps: PipelineDeps, cause: Cause, campaignId: string): Promise<void> {
  return campaignsOf(deps).cancel(cause, campaignId);
}

/** Deletes a draft (nothing was planned or sent for it). */
export function deleteDraft(deps: PipelineDeps, cause: Cause, campaignId: string): Promise<void> {
  return campaignsOf(deps).deleteDraft(cause, campaignId);
}
