import { CampaignCompleted } from '../domain/events/campaign-messages';
import type { Cause } from '../domain/events/envelope';
import type { CampaignCounters } from '../infrastructure/mongo/models/campaign';
import { publishEvent } from '../../publishers/domain-event';
import type { PipelineDeps } from './pipeline-deps';

/** Every planned contact has a shipping (or vanished), and every shipping reached an end. */
export function isCampaignDone(processingDone: boolean, counters: CampaignCounters): boolean {
  if (!processingDone) return false;
  if (counters.prepared + counters.missing < counters.audience) return false;
  return counters.sent + counters.failed + counters.cancelled >= counters.prepared;
}

/**
 * Completes a running campaign once nothing is left in flight; called after every step that can
 * be the last (a send, a prepared batch, the end of processing). The status change is atomic, so
 * exactly one caller publishes CampaignCompleted.
 */
export async function completeIfDone(deps: PipelineDeps, campaignId: string, cause: Cause): Promise<boolean> {
  const { Campaign } = deps.models;
  const campaign = await Campaign.findById(campaignId, { status: 1, processingDone: 1, counters: 1 }).lean();
  if (!campaign || campaign.status !== 'running' || !isCampaignDone(campaign.processingDone, campaign.counters)) return false;
  const completed = await Campaign.findOneAndUpdate(
    { _id: campaign._id, status: 'running' },
    { $set: { status: 'completed', completedAt: new Date(deps.now()) } },
    { returnDocument: 'after' },
  ).lean();
  if (!completed) return false;
  const { sent, failed, cancelled, skipped } = completed.counters;
  await publishEvent(deps.publisher, CampaignCompleted, { campaignId, counters: { sent, failed, cancelled, skipped } }, cause);
  deps.logger.info('campaign completed', { campaignId, companyId: cause.companyId, sent, failed, cancelled, skipped });
  return true;
}
