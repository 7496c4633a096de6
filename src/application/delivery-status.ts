import { counterChanges, DELIVERY_RANK, type DeliveryStatus } from '../domain/whatsapp/delivery-status';
import type { PipelineDeps } from './pipeline-deps';

/** One status the provider reported for a message it accepted. */
export interface StatusReport {
  providerMessageId: string;
  status: DeliveryStatus;
  at: Date;
  /** For `failed`: why (`<code>: <title>`). */
  reason?: string | null;
}

export type StatusOutcome = 'applied' | 'stale' | 'unknown';

/** Sets `field` to `at` unless it already holds an earlier time (statuses arrive in any order). */
async function setEarliest(
  deps: Pick<PipelineDeps, 'models'>,
  match: Record<string, unknown>,
  field: 'deliveredAt' | 'readAt',
  at: Date,
): Promise<void> {
  await deps.models.Shipping.updateOne(
    { ...match, $or: [{ [field]: null }, { [field]: { $gt: at } }] },
    { $set: { [field]: at } },
  );
}

/**
 * Applies a status webhook to the shipping with that provider message id on that connection.
 * Idempotent and order-independent: the shipping's status only moves up its rank (one atomic
 * conditional update), so a replay or a late `sent` changes nothing, and the campaign's
 * delivered / read counters move exactly once per shipping, on the update that crossed the rank.
 */
export async function applyDeliveryStatus(
  deps: Pick<PipelineDeps, 'models'>,
  connectionId: string,
  report: StatusReport,
): Promise<StatusOutcome> {
  const { Shipping, Campaign } = deps.models;
  const match = { connectionId, providerMessageId: report.providerMessageId };
  if (report.status === 'delivered' || report.status === 'read')
    await setEarliest(deps, match, 'deliveredAt', report.at);
  if (report.status === 'read') await setEarliest(deps, match, 'readAt', report.at);
  const rank = DELIVERY_RANK[report.status];
  const before = await Shipping.findOneAndUpdate(
    { ...match, deliveryRank: { $lt: rank } },
    {
      $set: {
        deliveryStatus: report.status,
        deliveryRank: rank,
        ...(report.status === 'failed' ? { failedReason: report.reason ?? 'failed' } : {}),
      },
    },
    { returnDocument: 'before', projection: { campaignId: 1, deliveryStatus: 1 } },
  ).lean();
  if (!before) return (await Shipping.exists(match)) ? 'stale' : 'unknown';
  const changes = counterChanges(before.deliveryStatus ?? null, report.status);
  const inc = Object.fromEntries(
    Object.entries(changes)
      .filter(([, by]) => by !== 0)
      .map(([counter, by]) => [`counters.${counter}`, by]),
  );
  if (Object.keys(inc).length > 0) await Campaign.updateOne({ _id: before.campaignId }, { $inc: inc });
  return 'applied';
}
