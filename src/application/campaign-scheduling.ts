import { sendCampaignDue } from '../../publishers/campaign-due';
import { publishEvent } from '../../publishers/domain-event';
import { CampaignScheduled } from '../domain/events/campaign-messages';
import { type Cause, newCorrelation } from '../domain/events/envelope';
import type { PipelineDeps } from './pipeline-deps';

/** How far ahead the check looks: campaigns due within it are queued to arrive on time. */
export const DUE_WINDOW_MS = 60 * 60_000;
/** A queued campaign whose CampaignDue has not started processing this long after its time is re-sent. */
export const STUCK_AFTER_MS = 10 * 60_000;

/**
 * Claims one scheduled campaign due within the window (scheduled → queued, atomically: with any
 * number of scheduler instances exactly one wins) and sends its CampaignDue to arrive at the
 * scheduled time through the delay levels. If sending fails the claim is given back.
 */
export async function queueIfDue(deps: PipelineDeps, campaignId: string, cause?: Cause): Promise<boolean> {
  const now = deps.now();
  const { Campaign } = deps.models;
  const claimed = await Campaign.findOneAndUpdate(
    { _id: campaignId, status: 'scheduled', scheduledAt: { $lte: new Date(now + DUE_WINDOW_MS) } },
    { $set: { status: 'queued', queuedAt: new Date(now) } },
    { returnDocument: 'after' },
  ).lean();
  if (!claimed?.scheduledAt) return false;
  const origin = cause ?? newCorrelation(String(claimed.companyId), claimed.correlationId ?? undefined);
  try {
    await sendCampaignDue(
      deps.publisher,
      deps.queues.campaignProcess,
      { campaignId, scheduledAt: claimed.scheduledAt },
      origin,
      now,
    );
  } catch (error) {
    await Campaign.updateOne({ _id: claimed._id, status: 'queued' }, { $set: { status: 'scheduled', queuedAt: null } });
    throw error;
  }
  await publishEvent(
    deps.publisher,
    CampaignScheduled,
    { campaignId, scheduledAt: claimed.scheduledAt.toISOString() },
    origin,
  );
  deps.logger.info('campaign queued', {
    campaignId,
    companyId: origin.companyId,
    correlationId: origin.correlationId,
    scheduledAt: claimed.scheduledAt,
  });
  return true;
}

/**
 * The periodic check (node-cron, every 20 s by default): queues every campaign due within the
 * window, and re-sends CampaignDue for one claimed long ago that never started (its instance
 * crashed between the claim and the send). Processing is idempotent, so a re-send is harmless.
 */
export async function checkScheduledCampaigns(deps: PipelineDeps): Promise<{ queued: number; resent: number }> {
  const now = deps.now();
  const { Campaign } = deps.models;
  const due = await Campaign.find(
    { status: 'scheduled', scheduledAt: { $lte: new Date(now + DUE_WINDOW_MS) } },
    { _id: 1 },
  )
    .sort({ scheduledAt: 1 })
    .limit(1_000)
    .lean();
  let queued = 0;
  for (const campaign of due) if (await queueIfDue(deps, String(campaign._id))) queued++;

  const stuck = await Campaign.find({
    status: 'queued',
    queuedAt: { $lte: new Date(now - STUCK_AFTER_MS) },
    scheduledAt: { $lte: new Date(now - STUCK_AFTER_MS) },
  })
    .limit(100)
    .lean();
  let resent = 0;
  for (const campaign of stuck) {
    const touched = await Campaign.updateOne(
      { _id: campaign._id, status: 'queued', queuedAt: campaign.queuedAt },
      { $set: { queuedAt: new Date(now) } },
    );
    if (touched.modifiedCount !== 1) continue;
    const cause = newCorrelation(String(campaign.companyId), campaign.correlationId ?? undefined);
    await sendCampaignDue(
      deps.publisher,
      deps.queues.campaignProcess,
      { campaignId: String(campaign._id), scheduledAt: campaign.scheduledAt! },
      cause,
      now,
    );
    deps.logger.warn('re-sent CampaignDue of a campaign stuck in queued', {
      campaignId: String(campaign._id),
      companyId: cause.companyId,
    });
    resent++;
  }
  return { queued, resent };
}
