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
  const { Contact, Shipping, Campaign } = deps.models;
  await Contact.deleteOne({ _id: contactId });
  const pending = await Shipping.find({ contactId, status: { $in: NOT_YET_SENT } }, { _id: 1, campaignId: 1 }).lean();
  const touched = new Set<string>();
  let cancelledShippings = 0;
  for (const shipping of pending) {
    if (
      !(await updateIfMatches(
        Shipping,
        { _id: shipping._id, status: { $in: NOT_YET_SENT } },
        { $set: { status: 'cancelled', lastError: 'contact deleted' } },
      ))
    )
      continue;
    await Campaign.updateOne({ _id: shipping.campaignId }, { $inc: { 'counters.cancelled': 1 } });
    touched.add(String(shipping.campaignId));
    cancelledShippings++;
  }
  for (const campaignId of touched) await completeIfDone(deps, campaignId, cause);
  return { cancelledShippings };
}
