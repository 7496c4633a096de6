import { publishEvent } from '../../publishers/domain-event';
import { CampaignCompleted } from '../domain/events/campaign-messages';
import { type Cause, newCorrelation } from '../domain/events/envelope';
import type { CampaignCounters } from '../infrastructure/mongo/models/campaign';
import type { PipelineDeps } from './pipeline-deps';

/** Every planned contact has a shipping (or vanished), and every shipping reached an end. */
export function isCampaignDone(processingDone: boolean, counters: CampaignCounters): boolean {
  if (!processingDone) return false;
  if (counters.prepared + counters.missing + (counters.suppressed ?? 0) < counters.audience) return false;
  return counters.sent + counters.failed + counters.cancelled >= counters.prepared;
}

/**
 * Completes a running campaign once nothing is left in flight; called after every step that can
 * be the last (a send, a prepared batch, the end of processing). The status change is atomic, so
 * exactly one caller publishes CampaignCompleted.
 */
export async function completeIfDone(deps: PipelineDeps, campaignId: string, cause: Cause): Promise<boolean> {
  const { Campaign } = deps.models;
  const campaign = await Campaign.findById(campaignId, { status: 1, processingDone: 1, counters: 1 }).lean();
  if (campaign?.status !== 'running' || !isCampaignDone(campaign.processingDone, campaign.counters)) return false;
  const completed = await Campaign.findOneAndUpdate(
    { _id: campaign._id, status: 'running' },
    { $set: { status: 'completed', completedAt: new Date(deps.now()) } },
    { returnDocument: 'after' },
  ).lean();
  if (!completed) return false;
  const { sent, failed, cancelled, skipped } = completed.counters;
  await publishEvent(
    deps.publisher,
    CampaignCompleted,
    { campaignId, counters: { sent, failed, cancelled, skipped } },
    cause,
  );
  deps.logger.info('campaign completed', { campaignId, companyId: cause.companyId, sent, failed, cancelled, skipped });
  return true;
}

/**
 * Counters are updated right after each shipping changes, not atomically with it (no transactions
 * on every MongoDB-wire server), so a crash in between leaves a counter one short and the
 * campaign would never look done. The periodic check recounts running campaigns that have been
 * quiet for a while from their shippings, then completes them if they are done.
 */
export async function recountQuietCampaigns(deps: PipelineDeps, quietForMs: number): Promise<number> {
  const { Campaign, Shipping } = deps.models;
  const quietSince = new Date(deps.now() - quietForMs);
  const quiet = await Campaign.find(
    {
      status: 'running',
      processingDone: true,
      // Quiet and past its last planned send: a campaign still waiting for its slots is not stuck.
      $and: [
        { $or: [{ lastActivityAt: null }, { lastActivityAt: { $lte: quietSince } }] },
        { $or: [{ plannedUntil: null }, { plannedUntil: { $lte: quietSince } }] },
      ],
    },
    { _id: 1, companyId: 1 },
  )
    .limit(50)
    .lean();
  let completed = 0;
  for (const campaign of quiet) {
    const byStatus = await Shipping.aggregate<{ _id: string; count: number }>([
      { $match: { campaignId: campaign._id } },
      { $group: { _id: '$status', count: { $sum: 1 } } },
    ]);
    const count = (status: string) => byStatus.find((group) => group._id === status)?.count ?? 0;
    const prepared = byStatus.reduce((sum, group) => sum + group.count, 0);
    await Campaign.updateOne(
      { _id: campaign._id },
      {
        $set: {
          'counters.prepared': prepared,
          'counters.sent': count('sent'),
          'counters.failed': count('failed'),
          'counters.cancelled': count('cancelled'),
          lastActivityAt: new Date(deps.now()),
        },
      },
    );
    if (await completeIfDone(deps, String(campaign._id), newCorrelation(String(campaign.companyId)))) completed++;
  }
  return completed;
}
