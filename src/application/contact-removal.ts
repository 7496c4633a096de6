import type { Types } from 'mongoose';
import type { ShippingStatus } from '../domain/campaigns/campaign-status';
import type { Cause } from '../domain/events/envelope';
import { updateIfMatches } from '../infrastructure/mongo/conditional-update';
import { completeIfDone } from './campaign-completion';
import type { PipelineDeps } from './pipeline-deps';

const NOT_YET_SENT: ShippingStatus[] = ['queued', 'paused'];

/**
 * Deletes a contact. Campaigns that planned it go on: each of its shippings not yet sent is
 * cancelled (claimed atomically, as dispatch claims it, so it is either sent or cancelled, never
 * both) and counted, and a campaign left with nothing else to send completes. Shippings keep their
 * own copy of phone and text, so nothing downstream reads the deleted contact.
 *
 * Not covered: a contact planned by a campaign still being processed whose shipping is written
 * after this runs is sent once (its batch carries the contact's data).
 */
export async function deleteContact(
  deps: PipelineDeps,
  cause: Cause,
  contactId: Types.ObjectId,
): Promise<{ cancelledShippings: number }> {
  await deps.models.Contact.deleteOne({ _id: contactId });
  return { cancelledShippings: await cancelUnsentShippings(deps, cause, contactId, 'contact deleted') };
}

/**
 * Cancels every shipping of the contact not yet sent, each claimed atomically as dispatch claims
 * it (so it is either sent or cancelled, never both; one already `sending` may still go) and
 * counted on its campaign; a campaign left with nothing else to send completes. Used when a
 * contact is deleted and when its phone is suppressed (opt-out). Returns how many it cancelled.
 */
export async function cancelUnsentShippings(
  deps: PipelineDeps,
  cause: Cause,
  contactId: Types.ObjectId,
  reason: string,
): Promise<number> {
  const { Shipping, Campaign } = deps.models;
  const pending = await Shipping.find({ contactId, status: { $in: NOT_YET_SENT } }, { _id: 1, campaignId: 1 }).lean();
  const touched = new Set<string>();
  let cancelledShippings = 0;
  for (const shipping of pending) {
    if (
      !(await updateIfMatches(
        Shipping,
        { _id: shipping._id, status: { $in: NOT_YET_SENT } },
        { $set: { status: 'cancelled', lastError: reason } },
      ))
    )
      continue;
    await Campaign.updateOne({ _id: shipping.campaignId }, { $inc: { 'counters.cancelled': 1 } });
    touched.add(String(shipping.campaignId));
    cancelledShippings++;
  }
  for (const campaignId of touched) await completeIfDone(deps, campaignId, cause);
  return cancelledShippings;
}
