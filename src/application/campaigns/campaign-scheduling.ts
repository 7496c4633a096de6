import type { Cause } from '../../domain/events/envelope';
import type { PipelineDeps } from '../pipeline-deps';
import { campaignsOf } from '../service-registry';

export { DUE_WINDOW_MS, STUCK_AFTER_MS } from './campaign-service';

/** Queues the campaign if it is due within the window (see CampaignService.queueIfDue). */
export function queueIfDue(deps: PipelineDeps, campaignId: string, cause?: Cause): Promise<boolean> {
  return campaignsOf(deps).queueIfDue(campaignId, cause);
}

/** The periodic check: queues due campaigns, re-sends stuck ones (see CampaignService.checkScheduled). */
export function checkScheduledCampaigns(deps: PipelineDeps): Promise<{ queued: number; resent: number }> {
  return campaignsOf(deps).checkScheduled();
}
