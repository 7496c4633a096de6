import type { BaselineContext } from '../context';
import { sendOffsetMs } from '../plan-delays';
import { JOBS, type PrepareContactData, type ProcessCampaignData } from '../queues';

/** PrepareContact jobs added per Redis round trip (Bull's addBulk is one MULTI). */
const ADD_BATCH = 1_000;

/**
 * ProcessCampaign: plans every contact's send time for this campaign alone (from its start, by the
 * company's intervals) and feeds one PrepareContact job per contact.
 */
export async function processCampaign(context: BaselineContext, data: ProcessCampaignData): Promise<number> {
  const { Campaign, Company, Contact } = context.models;
  const campaign = await Campaign.findOneAndUpdate(
    { _id: data.campaignId, status: { $in: ['draft', 'scheduled', 'queued'] } },
    { $set: { status: 'running', startedAt: new Date() } },
    { returnDocument: 'after' },
  ).lean();
  if (!campaign) return 0; // already processed (a repeated job)
  const company = await Company.findById(campaign.companyId, { pacing: 1 }).lean();
  if (!company) throw new Error(`company ${String(campaign.companyId)} of campaign ${data.campaignId} not found`);
  const startAt = Math.max(Date.now(), campaign.scheduledAt?.getTime() ?? 0);
  const contacts = Contact.find({ companyId: campaign.companyId, listIds: campaign.listId, valid: true }, { _id: 1 })
    .lean()
    .cursor({ batchSize: ADD_BATCH });
  let index = 0;
  let batch: Array<{ name: string; data: PrepareContactData; opts: { removeOnComplete: true } }> = [];
  for await (const contact of contacts) {
    const job: PrepareContactData = {
      campaignId: data.campaignId,
      contactId: String(contact._id),
      plannedAt: startAt + sendOffsetMs(index++, company.pacing),
    };
    batch.push({ name: JOBS.prepareContact, data: job, opts: { removeOnComplete: true } });
    if (batch.length === ADD_BATCH) {
      await context.queues.campaign.addBulk(batch);
      batch = [];
    }
  }
  if (batch.length > 0) await context.queues.campaign.addBulk(batch);
  await Campaign.updateOne({ _id: campaign._id }, { $set: { 'counters.audience': index } });
  return index;
}
