import { Types } from 'mongoose';
import { type Cause, newCorrelation } from '../domain/events/envelope';
import type { GatewayProvider } from '../infrastructure/gateways/gateway-provider';
import { connectionIdsOf } from '../infrastructure/mongo/models/campaign';
import type { ShippingDoc } from '../infrastructure/mongo/models/shipping';
import type { PipelineDeps } from './pipeline-deps';
import { shippingsOf } from './service-registry';

export interface ReconcileOptions {
  /** A shipping is stuck when still queued this long after its planned time, or sending this long after its claim. */
  stuckAfterMs: number;
  /** Most shippings looked at in one pass (the query stays bounded; the next pass takes the rest). */
  limit: number;
}

export interface ReconcileResult {
  /** Handed back to their lane (their message was lost, or their send never reached the provider). */
  requeued: number;
  /** Found sent by the provider (idempotency key) and recorded as sent, without a second send. */
  recorded: number;
  /** In flight at a crash on a provider that cannot say whether it sent: failed, never re-sent. */
  failed: number;
  /** Ended (sent or failed) with their outcome event never confirmed: the stored event published. */
  republished: number;
}

type Stuck = Pick<
  ShippingDoc,
  '_id' | 'companyId' | 'campaignId' | 'contactId' | 'connectionId' | 'plannedAt' | 'status'
>;

const RUNNING_CAMPAIGNS_PER_PASS = 500;

/**
 * Finishes shippings a crash left behind, in running campaigns only (a paused campaign's queued
 * shippings wait on purpose):
 * - `queued` long past its planned time on a lane that has been quiet as long: its lane message
 *   was lost (dead-lettered after a crash loop, or never published), so it goes back to the lane;
 *   a copy still on its way is harmless, the lane's atomic claim sends one of them. A lane still
 *   sending is only late (a backlog after an outage), not stuck: its shippings are left alone;
 * - `sending` long after its claim: the dispatcher died between the provider call and the record.
 *   The provider decides by the idempotency key (the shipping id): sent → recorded as sent, with
 *   the provider's receipt and no second call; not sent → back to `queued` and to the lane, which
 *   paces it like any other. A provider that can neither look a key up nor deduplicate it cannot
 *   tell, so the shipping fails with that reason: at most one send wins over delivery.
 * - sent or failed with its outcome event still in the outbox long after: the worker died before
 *   the broker confirmed the event (and its lane message is gone too, or it would have published
 *   it): the stored event is published as it is; the event log keeps one per eventId.
 * Two bounded queries per pass (`limit`); on MongoDB they use the (outboxAt) and (campaignId, status) indexes.
 */
export async function reconcileStuckShippings(
  deps: PipelineDeps & { gateways: GatewayProvider },
  options: ReconcileOptions,
): Promise<ReconcileResult> {
  const result: ReconcileResult = { requeued: 0, recorded: 0, failed: 0, republished: 0 };
  const cutoff = new Date(deps.now() - options.stuckAfterMs);
  // Any campaign, running or not: a crash before the event may have let the recount complete it.
  for (const shipping of await shippingsOf(deps).withPendingOutbox(cutoff, options.limit)) {
    if (await shippingsOf(deps).publishOutcome(shipping)) result.republished++;
  }
  const running = await deps.models.Campaign.find({ status: 'running' }, { _id: 1, connectionId: 1, connectionIds: 1 })
    .limit(RUNNING_CAMPAIGNS_PER_PASS)
    .lean();
  if (running.length === 0) {
    if (result.republished > 0) deps.logger.warn('stuck shippings reconciled', { ...result });
    return result;
  }
  // Every number of every running campaign (a campaign may send from several: each lane is judged on its own).
  const numbers = [...new Set(running.flatMap((campaign) => connectionIdsOf(campaign)))].map(
    (id) => new Types.ObjectId(id),
  );
  const quiet = await quietConnections(deps, numbers, cutoff.getTime());
  const stuck = (await deps.models.Shipping.find(
    {
      campaignId: { $in: running.map((campaign) => campaign._id) },
      status: { $in: ['queued', 'sending'] },
      plannedAt: { $lte: cutoff },
      $and: [
        {
          $or: [
            { status: 'queued', connectionId: { $in: quiet } },
            { status: 'sending', claimedAt: null },
            { status: 'sending', claimedAt: { $lte: cutoff } },
          ],
        },
        { $or: [{ reconciledAt: null }, { reconciledAt: { $lte: cutoff } }] },
      ],
    },
    { _id: 1, companyId: 1, campaignId: 1, contactId: 1, connectionId: 1, plannedAt: 1, status: 1 },
  )
    .limit(options.limit)
    .lean()) as Stuck[];
  for (const shipping of stuck) {
    const cause = newCorrelation(String(shipping.companyId));
    const outcome =
      shipping.status === 'queued'
        ? await requeue(deps, shipping, 'queued', cause)
        : await settleSending(deps, shipping, cause);
    if (outcome) result[outcome]++;
  }
  if (result.requeued + result.recorded + result.failed + result.republished > 0)
    deps.logger.warn('stuck shippings reconciled', { ...result });
  return result;
}

/**
 * The numbers whose lane has neither sent nor started a send since `cutoff`. A lane that is
 * sending works through its queue, late or not; a message it lost shows once it falls quiet.
 */
async function quietConnections(
  deps: PipelineDeps,
  connectionIds: Types.ObjectId[],
  cutoff: number,
): Promise<Types.ObjectId[]> {
  const lanes = await deps.models.Lane.find({ _id: { $in: connectionIds } }, { sent: 1, inFlight: 1 }).lean();
  const busy = new Set(
    lanes
      .filter((lane) => (lane.sent?.lastSentAt ?? -Infinity) > cutoff || (lane.inFlight?.since ?? -Infinity) > cutoff)
      .map((lane) => String(lane._id)),
  );
  return connectionIds.filter((id) => !busy.has(String(id)));
}

async function settleSending(
  deps: PipelineDeps & { gateways: GatewayProvider },
  shipping: Stuck,
  cause: Cause,
): Promise<keyof ReconcileResult | null> {
  const { gateway } = await deps.gateways.forConnection(String(shipping.connectionId));
  if (gateway.findSent) {
    const receipt = await gateway.findSent(String(shipping._id));
    if (!receipt) return requeue(deps, shipping, 'sending', cause);
    return (await shippingsOf(deps).markSent(shipping, receipt, cause)) ? 'recorded' : null;
  }
  // The lane may claim a `sending` shipping again on a provider that deduplicates the key.
  if (gateway.idempotent) return requeue(deps, shipping, 'sending', cause);
  const reason =
    'outcome unknown: the send was in flight at a crash and the provider cannot say whether it went out; not re-sent';
  return (await shippingsOf(deps).markFailed(shipping, { lastError: reason, reason, code: 'UNKNOWN_OUTCOME' }, cause))
    ? 'failed'
    : null;
}

/** Back to `queued` (if it still is in `from`) and into its lane now; the lane keeps the pacing. */
async function requeue(
  deps: PipelineDeps,
  shipping: Stuck,
  from: 'queued' | 'sending',
  cause: Cause,
): Promise<'requeued' | null> {
  return (await shippingsOf(deps).requeue(shipping, from, cause)) ? 'requeued' : null;
}
