import type { Readable } from 'node:stream';
import { Types } from 'mongoose';
import { publishEvent } from '../../../publishers/domain-event';
import { ContactSyncRequested } from '../../domain/events/contact-messages';
import type { Cause } from '../../domain/events/envelope';
import type { SandboxContactSeed } from '../../infrastructure/gateways/sandbox/sandbox-contacts';
import type { ContactDoc } from '../../infrastructure/mongo/models/contact';
import type { ContactImportDoc } from '../../infrastructure/mongo/models/contact-jobs';
import type { PipelineDeps } from '../pipeline-deps';
import { addressBooksOf, contactsOf, readsOf } from '../service-registry';

/** Changes a contact; a phone another contact of the company has is a conflict naming the field. */
export function updateContact(
  deps: PipelineDeps,
  contactId: Types.ObjectId,
  set: Record<string, unknown>,
): Promise<ContactDoc> {
  return contactsOf(deps).update(contactId, set);
}

/** Runs a CSV import into a list (ContactService.importContacts), with the company's region. */
export async function importContacts(
  deps: PipelineDeps,
  fields: { importId: Types.ObjectId; companyId: string; listId: Types.ObjectId },
  input: Readable,
): Promise<ContactImportDoc> {
  const defaultRegion = await readsOf(deps).companyRegion(fields.companyId);
  return contactsOf(deps).importContacts(
    { ...fields, companyId: new Types.ObjectId(fields.companyId), defaultRegion },
    input,
  );
}

/** Sandbox only: puts contacts in the simulated number's address book; the sync that follows (its id). */
export function seedSandboxAddressBook(
  deps: PipelineDeps,
  cause: Cause,
  connectionId: string,
  contacts: SandboxContactSeed[],
  region: string,
): Promise<{ stored: number; syncId: string }> {
  return addressBooksOf(deps).seedSandbox(cause, connectionId, contacts, region);
}

/** Asks the number's worker for a contact sync; the sync's id, to follow it. */
export function requestContactSync(deps: PipelineDeps, cause: Cause, connectionId: string): Promise<string> {
  return publishEvent(deps.publisher, ContactSyncRequested, { connectionId }, cause);
}
