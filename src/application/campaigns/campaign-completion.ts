import type { Cause } from '../../domain/events/envelope';
import type { PipelineDeps } from '../pipeline-deps';
import { campaignsOf } from '../service-registry';

export { isCampaignDone } from './campaign-service';

/** Completes a running campaign once nothing is left in flight (see CampaignService.completeIfDone). */
export function completeIfDone(deps: PipelineDeps, campaignId: string, cause: Cause): Promise<boolean> {
  return campaignsOf(deps).completeIfDone(campaignId, cause);
}

/** Recounts quiet running campaigns from their shippings and completes the done ones. */
export function recountQuietCampaigns(deps: PipelineDeps, quietForMs: number): Promise<number> {
  return campaignsOf(deps).recountQuiet(quietForMs);
}
