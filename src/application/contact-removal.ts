import type { Types } from 'mongoose';
import type { Cause } from '../domain/events/envelope';
import { completeIfDone } from './campaign-completion';
import type { PipelineDeps } from './pipeline-deps';
import { shippingsOf } from './service-registry';

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
 * Cancels every shipping of the contact not yet sent (each claimed as dispatch claims it, so it is
 * either sent or cancelled, never both; one already `sending` may still go), counted on its
 * campaign; a campaign left with nothing else to send completes. Used when a contact is deleted and
 * when its phone is suppressed (opt-out). Returns how many it cancelled.
 */
export async function cancelUnsentShippings(
  deps: PipelineDeps,
  cause: Cause,
  contactId: Types.ObjectId,
  reason: string,
): Promise<number> {
  const { campaignIds, count } = await shippingsOf(deps).cancelOfContact(contactId, reason);
  for (const campaignId of campaignIds) await completeIfDone(deps, campaignId, cause);
  return count;
}
