import { type CampaignProcessDeps, processCampaign } from '../src/application/campaigns/campaign-processing';
import type { CampaignDue } from '../src/domain/events/campaign-messages';
import type { MessageOf } from '../src/domain/events/envelope';
import type { ConsumerHandler } from '../src/infrastructure/rabbitmq/subscription';

/**
 * `<prefix>.campaign-process` ← CampaignDue (at the scheduled time; the subscription in
 * src/topology.ts): the campaign is expanded into prepare batches by the processing use case
 * (src/application/campaigns/campaign-processing.ts), a template campaign's template checked again first.
 */
export function campaignProcessConsumer(deps: CampaignProcessDeps): ConsumerHandler<MessageOf<typeof CampaignDue>> {
  return { handle: (message, { logger }) => processCampaign(deps, message, logger) };
}
