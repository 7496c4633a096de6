import { CampaignDue } from '../src/domain/events/campaign-messages';
import { type Cause, createMessage } from '../src/domain/events/envelope';
import type { Publisher } from '../src/infrastructure/rabbitmq/publisher';

/** Sends CampaignDue to campaign-process, to arrive at the scheduled time (now if it is past). */
export async function sendCampaignDue(
  publisher: Publisher,
  queue: string,
  campaign: { campaignId: string; scheduledAt: Date },
  cause: Cause,
  now: number = Date.now(),
): Promise<void> {
  const message = createMessage(
    CampaignDue,
    { campaignId: campaign.campaignId, scheduledAt: campaign.scheduledAt.toISOString() },
    cause,
  );
  await publisher.send(queue, message, { delayMs: campaign.scheduledAt.getTime() - now });
}
