/**
 * The seed's Bull queues on Redis. The seed registers all four job names on one queue
 * (`campaignQueue.process("DispatchCampaign", 1, …)` next to the others), but Bull adds up the
 * concurrency of every named processor of a queue and lets any of those slots take any job: on
 * one queue, up to four DispatchCampaign jobs would run at once. The baseline keeps what the seed
 * means — one send at a time, whatever the campaign — by giving DispatchCampaign a queue of its
 * own with concurrency 1; VerifyCampaigns, ProcessCampaign and PrepareContact share
 * `campaign` with the seed's default concurrency of 1 each (three slots between them).
 */
import Bull from 'bull';

export const JOBS = {
  verifyCampaigns: 'VerifyCampaigns',
  processCampaign: 'ProcessCampaign',
  prepareContact: 'PrepareContact',
  dispatchCampaign: 'DispatchCampaign',
} as const;

/** The seed's VerifyCampaigns schedule: every 20 s. */
export const VERIFY_CRON = '*/20 * * * * *';

export interface ProcessCampaignData {
  campaignId: string;
}

export interface PrepareContactData {
  campaignId: string;
  contactId: string;
  /** When this contact's message is due (epoch ms), planned by ProcessCampaign for its campaign alone. */
  plannedAt: number;
}

export interface DispatchCampaignData {
  shippingId: string;
}

export interface BaselineQueues {
  campaign: Bull.Queue;
  dispatch: Bull.Queue;
  close(): Promise<void>;
}

/** Both queues under `prefix` (one per benchmark run, so runs never see each other's jobs). */
export function openQueues(redisUrl: string, prefix: string): BaselineQueues {
  const campaign = new Bull('campaign', redisUrl, { prefix });
  const dispatch = new Bull('dispatch', redisUrl, { prefix });
  return {
    campaign,
    dispatch,
    async close() {
      await Promise.all([campaign.close(), dispatch.close()]);
    },
  };
}

/** Removes every key of both queues (jobs, repeatable VerifyCampaigns, counters). */
export async function removeQueues(redisUrl: string, prefix: string): Promise<void> {
  const queues = openQueues(redisUrl, prefix);
  try {
    await Promise.all([queues.campaign.obliterate({ force: true }), queues.dispatch.obliterate({ force: true })]);
  } finally {
    await queues.close();
  }
}
