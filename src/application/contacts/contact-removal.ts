import type { Types } from 'mongoose';
import type { Cause } from '../../domain/events/envelope';
import type { PipelineDeps } from '../pipeline-deps';
import { contactsOf } from '../service-registry';

/** Deletes a contact; its shippings not yet sent are cancelled (ContactService.delete). */
export function deleteContact(
  deps: PipelineDeps,
  cause: Cause,
  contactId: Types.ObjectId,
): Promise<{ cancelledShippings: number }> {
  return contactsOf(deps).delete(cause, contactId);
}

/** Cancels every shipping of the contact not yet sent; how many (ContactService.cancelUnsent). */
export function cancelUnsentShippings(
  deps: PipelineDeps,
  cause: Cause,
  contactId: Types.ObjectId,
  reason: string,
): Promise<number> {
  return contactsOf(deps).cancelUnsent(cause, contactId, reason);
}
