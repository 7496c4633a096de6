import type { CampaignDue } from '../../domain/events/campaign-messages';
import { causedBy, type MessageOf } from '../../domain/events/envelope';
import type { Logger } from '../../infrastructure/observability/logger';
import { campaignsOf } from '../service-registry';
import { type PrepareDeps, prepareBatch } from '../shippings/contact-preparation';
import { pauseIfTemplateUnusable } from '../templates/due-template-check';
import type { TemplateDeps } from '../templates/template-catalogue';

export { PREPARE_BATCH_SIZE } from './audience-planning';

/**
 * What processing a due campaign needs: the pipeline (and the lane hand-off window, for the first
 * batch it prepares itself), and the numbers' template catalogues.
 */
export type CampaignProcessDeps = PrepareDeps & Pick<TemplateDeps, 'gateways' | 'templateMaxAgeMs'>;

/**
 * Processes a due campaign (CampaignDue, DUE_LEAD_MS before its scheduled time: its first send is
 * planned at the time itself, see publishers/campaign-due.ts): a template campaign's template is
 * checked again on every number first (unusable: the campaign pauses with the reason, nothing is
 * planned); then the campaign service runs it, fixes its send plan once and streams its audience to
 * contact-prepare (see CampaignService.process). The first batch is prepared here, in this process:
 * its shippings are written and handed to their lanes without a queue hop and a second read of the
 * campaign in between (most campaigns are one batch, and this is when their first send leaves).
 */
export async function processCampaign(
  deps: CampaignProcessDeps,
  message: MessageOf<typeof CampaignDue>,
  logger: Logger,
): Promise<void> {
  const cause = causedBy(message);
  if (await pauseIfTemplateUnusable(deps, message.payload.campaignId, cause, logger)) return;
  await campaignsOf(deps).process(message.payload.campaignId, cause, logger, (campaign, batch) =>
    prepareBatch(deps, campaign, batch, cause, logger),
  );
}
