import { CampaignDue } from '../src/domain/events/campaign-messages';
import { type Cause, createMessage } from '../src/domain/events/envelope';
import type { Publisher } from '../src/infrastructure/rabbitmq/publisher';

/**
 * How long before a campaign's time its CampaignDue is made to arrive. Campaign processing plans the
 * first send at the time itself, not at the moment it runs (CampaignService.fixPlan), so the
 * campaign is expanded and its first shippings are in their lanes when the time comes, and the lane
 * holds each until its planned time: the first send leaves at the due time rather than after the
 * delay levels' lateness (some 20–100 ms) and processing (~150–300 ms while another company imports;
 * docs/benchmarks.md, bench:db). Kept below the lane's early hold (DISPATCH_EARLY_HOLD_MS, 500 ms):
 * a shipping that reaches its lane sooner before its time goes round the delay levels instead.
 */
export const DUE_LEAD_MS = 400;

/** Sends CampaignDue to campaign-process, to arrive DUE_LEAD_MS before the scheduled time (now if that is past). */
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
  await publisher.send(queue, message, { delayMs: campaign.scheduledAt.getTime() - now - DUE_LEAD_MS });
}
