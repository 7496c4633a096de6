import { Types } from 'mongoose';
import { normalisePhone } from '../../domain/contacts/phone';
import type { ContactListDoc } from '../../infrastructure/mongo/models/contact-list';
import type { PipelineDeps } from '../pipeline-deps';
import { readsOf } from '../service-registry';

type Deps = Pick<PipelineDeps, 'models'>;

/** A contact to add: a phone as typed (normalised with the company's region), a name and fields. */
export interface ContactInput {
  phone: string;
  name?: string | null;
  fields?: Record<string, unknown>;
}

export interface AddedContacts {
  added: number;
  rejected: Array<{ index: number; phone: string; reason: string }>;
}

/** Creates a contact list of the company. */
export async function createList(deps: Deps, companyId: string, name: string): Promise<ContactListDoc> {
  const list = await deps.models.ContactList.create({ companyId, name });
  return list.toObject() as ContactListDoc;
}

/**
 * Adds contacts to a list, normalising phones to E.164 with the company's region. A contact is one
 * per (company, phone): adding it again updates its name and fields and adds the list. Rows with a
 * bad phone are reported back, the rest are stored (one unordered bulk write).
 */
export async function addContacts(
  deps: Deps,
  companyId: string,
  listId: Types.ObjectId,
  contacts: ContactInput[],
): Promise<AddedContacts> {
  const region = await readsOf(deps).companyRegion(companyId);
  const rejected: AddedContacts['rejected'] = [];
  const operations = [];
  const now = new Date();
  for (const [index, contact] of contacts.entries()) {
    const phone = normalisePhone(contact.phone, region);
    if (!phone.valid) {
      rejected.push({ index, phone: contact.phone, reason: phone.reason });
      continue;
    }
    const fields = Object.fromEntries(Object.entries(contact.fields ?? {}).map(([key, value]) => [key, String(value)]));
    operations.push({
      updateOne: {
        filter: { companyId: new Types.ObjectId(companyId), phone: phone.e164 },
        update: {
          $set: {
            updatedAt: now,
            ...(contact.name === undefined ? {} : { name: contact.name }),
            ...(contact.fields === undefined ? {} : { fields }),
          },
          $setOnInsert: {
            valid: true,
            onWhatsApp: null,
            rejectReason: null,
            checkedAt: null,
            ...(contact.name === undefined ? { name: null } : {}),
            ...(contact.fields === undefined ? { fields: {} } : {}),
          },
          $addToSet: { listIds: listId },
        },
        upsert: true,
      },
    });
  }
  if (operations.length > 0) await deps.models.Contact.bulkWrite(operations, { ordered: false });
  return { added: operations.length, rejected };
}
