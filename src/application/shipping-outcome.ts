import { publishEvent } from '../../publishers/domain-event';
import { MessageDispatched, MessageFailed } from '../domain/events/dispatch-messages';
import type { Cause } from '../domain/events/envelope';
import type { SendReceipt } from '../domain/whatsapp/gateway';
import { updateIfMatches } from '../infrastructure/mongo/conditional-update';
import type { ShippingDoc } from '../infrastructure/mongo/models/shipping';
import { completeIfDone } from './campaign-completion';
import type { PipelineDeps } from './pipeline-deps';

type Finished = Pick<ShippingDoc, '_id' | 'campaignId' | 'contactId' | 'connectionId' | 'plannedAt'>;

/**
 * A shipping in `sending` that the provider accepted becomes `sent` (once: the status change is a
 * compare-and-set, so the lane and the reconciler never both count it), then MessageDispatched is
 * published and the campaign completes if it was the last one. Returns whether this call recorded it.
 */
export async function recordSent(
  deps: PipelineDeps,
  shipping: Finished,
  receipt: SendReceipt,
  cause: Cause,
): Promise<boolean> {
  const { Shipping, Campaign } = deps.models;
  const updated = await updateIfMatches(
    Shipping,
    { _id: shipping._id, status: 'sending' },
    {
      $set: {
        status: 'sent',
        sentAt: receipt.acceptedAt,
        providerMessageId: receipt.providerMessageId,
        lastError: null,
      },
    },
  );
  if (updated) {
    await Campaign.updateOne(
      { _id: shipping.campaignId },
      { $inc: { 'counters.sent': 1 }, $set: { lastActivityAt: new Date(deps.now()) } },
    );
  }
  await publishEvent(
    deps.publisher,
    MessageDispatched,
    {
      shippingId: String(shipping._id),
      campaignId: String(shipping.campaignId),
      contactId: String(shipping.contactId),
      connectionId: String(shipping.connectionId),
      providerMessageId: receipt.providerMessageId,
      plannedAt: shipping.plannedAt.toISOString(),
      sentAt: receipt.acceptedAt.toISOString(),
    },
    cause,
  );
  await completeIfDone(deps, String(shipping.campaignId), cause);
  return updated;
}

/** A shipping in `sending` fails for good (once), MessageFailed is published, the campaign may complete. */
export async function recordFailed(
  deps: PipelineDeps,
  shipping: Finished,
  failure: { lastError: string; reason: string; code: string | null },
  cause: Cause,
): Promise<boolean> {
  const { Shipping, Campaign } = deps.models;
  const updated = await updateIfMatches(
    Shipping,
    { _id: shipping._id, status: 'sending' },
    { $set: { status: 'failed', lastError: failure.lastError } },
  );
  if (updated) {
    await Campaign.updateOne(
      { _id: shipping.campaignId },
      { $inc: { 'counters.failed': 1 }, $set: { lastActivityAt: new Date(deps.now()) } },
    );
  }
  await publishEvent(
    deps.publisher,
    MessageFailed,
    {
      shippingId: String(shipping._id),
      campaignId: String(shipping.campaignId),
      contactId: String(shipping.contactId),
      connectionId: String(shipping.connectionId),
      reason: failure.reason,
      code: failure.code,
    },
    cause,
  );
  await completeIfDone(deps, String(shipping.campaignId), cause);
  return updated;
}
