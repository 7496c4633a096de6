import type { CampaignDue } from '../../domain/events/campaign-messages';
import { causedBy, type MessageOf } from '../../domain/events/envelope';
import type { Logger } from '../../infrastructure/observability/logger';
import type { PipelineDeps } from '../pipeline-deps';
import { campaignsOf } from '../service-registry';

export { PREPARE_BATCH_SIZE } from './audience-planning';

/**
 * Processes a due campaign (CampaignDue, at its scheduled time): the campaign service runs it,
 * fixes its send plan once and streams its audience to contact-prepare (see CampaignService.process).
 */
export async function processCampaign(
  deps: PipelineDeps,
  message: MessageOf<typeof CampaignDue>,
  logger: Logger,
): Promise<void> {
  await campaignsOf(deps).process(message.payload.campaignId, causedBy(message), logger);
}
