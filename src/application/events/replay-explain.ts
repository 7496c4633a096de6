import type { EventRecord } from '../../infrastructure/mongo/event-log';
import { EventLog } from '../../infrastructure/mongo/event-log';
import type { PipelineDeps } from '../pipeline-deps';

export const REPLAY_CONSUMERS = ['event-recorder', 'campaign-process', 'dispatch'] as const;
export type ReplayConsumer = (typeof REPLAY_CONSUMERS)[number];

/**
 * Dry-run: what a consumer would do with a replayed event, decided from stored state with reads
 * only (no write, no publish, no gateway call). Mirrors the consumers' own first decisions.
 */
export async function explainReplay(
  deps: PipelineDeps,
  consumer: ReplayConsumer,
  record: EventRecord,
): Promise<string> {
  switch (consumer) {
    case 'event-recorder': {
      const stored = await new EventLog(deps.models.Campaign.db).model.exists({ _id: record._id });
      return stored ? 'event-recorder would skip it: already recorded' : 'event-recorder would record it';
    }
    case 'campaign-process':
      return explainProcessing(deps, record);
    case 'dispatch':
      return explainDispatch(deps, record);
    default: {
      const unreachable: never = consumer;
      return `unknown consumer ${String(unreachable)}`;
    }
  }
}

async function explainProcessing(deps: PipelineDeps, record: EventRecord): Promise<string> {
  if (!record.campaignId) return 'campaign-process would ignore it: no campaign';
  const campaign = await deps.models.Campaign.findById(record.campaignId, { status: 1, counters: 1 }).lean();
  if (!campaign) return `campaign-process would dead-letter it: campaign ${record.campaignId} does not exist`;
  if (campaign.status !== 'queued' && campaign.status !== 'running')
    return `campaign-process would do nothing: the campaign is ${campaign.status}`;
  const queued = await deps.models.Shipping.countDocuments({ campaignId: campaign._id, status: 'queued' });
  const stored = await deps.models.Shipping.countDocuments({ campaignId: campaign._id });
  const planned = campaign.counters.audience;
  return `campaign-process would (re)process it: ${planned || 'the eligible'} contacts planned, ${stored} shippings stored (no new one for those), ${queued} queued would be handed to the lane again`;
}

async function explainDispatch(deps: PipelineDeps, record: EventRecord): Promise<string> {
  const shippingId = (record.payload as { shippingId?: string } | null)?.shippingId;
  if (!shippingId) return 'dispatch would ignore it: no shipping';
  const shipping = await deps.models.Shipping.findById(shippingId, {
    status: 1,
    phone: 1,
    sentAt: 1,
    providerMessageId: 1,
  }).lean();
  if (!shipping) return `dispatch would drop it: shipping ${shippingId} does not exist`;
  if (shipping.status === 'sent')
    return `dispatch would drop it as a duplicate: already sent at ${shipping.sentAt?.toISOString()} (${shipping.providerMessageId})`;
  if (shipping.status === 'queued')
    return `dispatch would send it to ${shipping.phone.slice(0, -4)}**** once the number's pacing allows`;
  return `dispatch would drop it: the shipping is ${shipping.status}`;
}
