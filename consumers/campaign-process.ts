import { processCampaign } from '../src/application/campaigns/campaign-processing';
import type { PipelineDeps } from '../src/application/pipeline-deps';
import { CampaignDue } from '../src/domain/events/campaign-messages';
import type { MessageOf } from '../src/domain/events/envelope';
import type { ConsumerSpec } from '../src/infrastructure/rabbitmq/consumer-runner';

/**
 * `<prefix>.campaign-process` ← CampaignDue (at the scheduled time): the campaign is expanded into
 * prepare batches by the processing use case (src/application/campaigns/campaign-processing.ts).
 */
export function campaignProcessConsumer(
  deps: PipelineDeps & { prefetch: number },
): ConsumerSpec<MessageOf<typeof CampaignDue>> {
  return {
    name: 'campaign-process',
    queue: deps.queues.campaignProcess,
    prefetch: deps.prefetch,
    schema: CampaignDue.schema,
    handle: (message, { logger }) => processCampaign(deps, message, logger),
  };
}
