import type { Types } from 'mongoose';
import type { ContactListDoc } from '../../infrastructure/mongo/models/contact-list';
import type { PipelineDeps } from '../pipeline-deps';
import { contactsOf, readsOf } from '../service-registry';
import type { AddedContacts, ContactInput } from './contact-book';

export type { AddedContacts, ContactInput } from './contact-book';

/** Creates a contact list of the company (ContactService.createList). */
export function createList(deps: PipelineDeps, companyId: string, name: string): Promise<ContactListDoc> {
  return contactsOf(deps).createList(companyId, name);
}

/** Adds contacts to a list with the company's region for phones (ContactService.addContacts). */
export async function addContacts(
  deps: PipelineDeps,
  companyId: string,
  listId: Types.ObjectId,
  contacts: ContactInput[],
): Promise<AddedContacts> {
  const region = await readsOf(deps).companyRegion(companyId);
  return contactsOf(deps).addContacts(companyId, listId, contacts, region);
}
