import type { BaselineContext } from '../context';
import { JOBS, type ProcessCampaignData } from '../queues';

/** How far ahead VerifyCampaigns looks ("campanhas programadas para a próxima hora"). */
const LOOK_AHEAD_MS = 60 * 60_000;

/**
 * VerifyCampaigns (repeating, every 20 s): each scheduled campaign due within the hour gets a
 * ProcessCampaign job delayed to its scheduled time. A claim (scheduled → queued) keeps a campaign
 * from being queued twice by two runs, which the seed's query alone would not.
 */
export async function verifyCampaigns(context: BaselineContext): Promise<number> {
  const { Campaign } = context.models;
  const now = Date.now();
  const due = await Campaign.find(
    { status: 'scheduled', scheduledAt: { $lte: new Date(now + LOOK_AHEAD_MS) } },
    { _id: 1 },
  ).lean();
  let queued = 0;
  for (const { _id } of due) {
    const claimed = await Campaign.findOneAndUpdate(
      { _id, status: 'scheduled' },
      { $set: { status: 'queued', queuedAt: new Date() } },
      { returnDocument: 'after' },
    ).lean();
    if (!claimed?.scheduledAt) continue;
    const data: ProcessCampaignData = { campaignId: String(_id) };
    await context.queues.campaign.add(JOBS.processCampaign, data, {
      delay: Math.max(0, claimed.scheduledAt.getTime() - Date.now()),
      jobId: `process-${String(_id)}`,
      removeOnComplete: true,
    });
    queued++;
  }
  return queued;
}
