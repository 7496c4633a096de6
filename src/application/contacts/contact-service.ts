import type { Readable } from 'node:stream';
import { Types } from 'mongoose';
import { publishEvent } from '../../../publishers/domain-event';
import { ContactSyncRequested, ContactsChanged } from '../../domain/events/contact-messages';
import type { Cause } from '../../domain/events/envelope';
import { seedSandboxContacts } from '../../infrastructure/gateways/sandbox/sandbox-contacts';
import { sandboxStore } from '../../infrastructure/gateways/sandbox/sandbox-store';
import type { ContactDoc } from '../../infrastructure/mongo/models/contact';
import type { ContactImportDoc } from '../../infrastructure/mongo/models/contact-jobs';
import { failImport, importCsv } from '../csv-import';
import type { PipelineDeps } from '../pipeline-deps';
import { contactsOf, readsOf } from '../service-registry';

/** Changes a contact; a phone another contact of the company has is a conflict naming the field. */
export function updateContact(
  deps: PipelineDeps,
  contactId: Types.ObjectId,
  set: Record<string, unknown>,
): Promise<ContactDoc> {
  return contactsOf(deps).update(contactId, set);
}

/** Records a CSV import as running; an id already used is a conflict (the client retried). */
export function startContactImport(
  deps: PipelineDeps,
  fields: { importId: Types.ObjectId; companyId: string; listId: Types.ObjectId; startedAt: Date },
): Promise<void> {
  return contactsOf(deps).startImport(fields);
}

/**
 * Runs a CSV import into a list: recorded as running (an id already used is a conflict), rows read
 * with the company's region, the job marked failed if it cannot finish (the error is rethrown).
 */
export async function importContacts(
  deps: PipelineDeps,
  fields: { importId: Types.ObjectId; companyId: string; listId: Types.ObjectId },
  input: Readable,
): Promise<ContactImportDoc> {
  const defaultRegion = await readsOf(deps).companyRegion(fields.companyId);
  await startContactImport(deps, { ...fields, startedAt: new Date() });
  try {
    return await importCsv(
      deps.models,
      {
        importId: fields.importId,
        companyId: new Types.ObjectId(fields.companyId),
        listId: fields.listId,
        defaultRegion,
      },
      input,
    );
  } catch (error) {
    await failImport(deps.models, fields.importId, (error as Error).message ?? String(error));
    throw error;
  }
}

/** Sandbox only: puts contacts in the simulated number's address book; the sync that follows (its id). */
export async function seedSandboxAddressBook(
  deps: PipelineDeps,
  cause: Cause,
  connectionId: string,
  contacts: Parameters<typeof seedSandboxContacts>[2],
  region: string,
): Promise<{ stored: number; syncId: string }> {
  const stored = await seedSandboxContacts(sandboxStore(deps.models.Connection.db), connectionId, contacts, region);
  const syncId = await publishEvent(deps.publisher, ContactsChanged, { connectionId }, cause);
  return { stored, syncId };
}

/** Asks the number's worker for a contact sync; the sync's id, to follow it. */
export function requestContactSync(deps: PipelineDeps, cause: Cause, connectionId: string): Promise<string> {
  return publishEvent(deps.publisher, ContactSyncRequested, { connectionId }, cause);
}
