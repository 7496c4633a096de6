import { normalisePhone } from '../../../domain/contacts/phone';
import { SANDBOX_CONTACT_PAGE } from './sandbox-gateway';
import type { SandboxStore } from './sandbox-store';

export interface SandboxContactSeed {
  phone: string;
  name?: string;
  /** Default true; false makes checkNumbers answer that the number is not on WhatsApp. */
  onWhatsApp?: boolean;
}

/**
 * Seeds (or updates) the simulated number's address book: one entry per phone as written.
 * `region` is how the simulated WhatsApp reads numbers written without a country code.
 */
export async function seedSandboxContacts(store: SandboxStore, connectionId: string, contacts: SandboxContactSeed[], region: string): Promise<number> {
  if (contacts.length === 0) return 0;
  const book = await store.Book.findOneAndUpdate({ _id: connectionId }, { $inc: { entries: contacts.length } }, { upsert: true, returnDocument: 'before' }).lean();
  const first = book?.entries ?? 0;
  const operations = contacts.map((contact, index) => {
    const parsed = normalisePhone(contact.phone, region);
    return {
      updateOne: {
        filter: { connectionId, phone: contact.phone },
        update: {
          $set: { e164: parsed.valid ? parsed.e164 : null, name: contact.name ?? null, onWhatsApp: contact.onWhatsApp ?? true },
          $setOnInsert: { bucket: Math.floor((first + index) / SANDBOX_CONTACT_PAGE) },
        },
        upsert: true,
      },
    };
  });
  await store.Contact.collection.bulkWrite(operations, { ordered: false });
  return operations.length;
}
