import type { CampaignDue } from '../../domain/events/campaign-messages';
import { causedBy, type MessageOf } from '../../domain/events/envelope';
import type { Logger } from '../../infrastructure/observability/logger';
import type { PipelineDeps } from '../pipeline-deps';
import { campaignsOf } from '../service-registry';
import { pauseIfTemplateUnusable } from '../templates/due-template-check';
import type { TemplateDeps } from '../templates/template-catalogue';

export { PREPARE_BATCH_SIZE } from './audience-planning';

/** What processing a due campaign needs: the pipeline, and the numbers' template catalogues. */
export type CampaignProcessDeps = PipelineDeps & Pick<TemplateDeps, 'gateways' | 'templateMaxAgeMs'>;

/**
 * Processes a due campaign (CampaignDue, at its scheduled time): a template campaign's template is
 * checked again on every number first (unusable: the campaign pauses with the reason, nothing is
 * planned); then the campaign service runs it, fixes its send plan once and streams its audience to
 * contact-prepare (see CampaignService.process).
 */
export async function processCampaign(
  deps: CampaignProcessDeps,
  message: MessageOf<typeof CampaignDue>,
  logger: Logger,
): Promise<void> {
  const cause = causedBy(message);
  if (await pauseIfTemplateUnusable(deps, message.payload.campaignId, cause, logger)) return;
  await campaignsOf(deps).process(message.payload.campaignId, cause, logger);
}
