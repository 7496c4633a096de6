import type { ContactPage } from '../../../domain/whatsapp/gateway';
import type { WebContactDoc, WhatsAppWebStore } from './web-store';

export interface WebContactInput {
  phone: string;
  name: string | null;
}

/** Contacts per page of listContacts. */
export const WEB_CONTACT_PAGE = 1_000;

const idOf = (connectionId: string, phone: string) => `${connectionId}|${phone}`;

/**
 * Stores contacts the session received: a new phone gets the next place in arrival order, a known
 * one a new name when WhatsApp sent one. Returns the entries that are new or changed.
 */
export async function addWebContacts(
  store: WhatsAppWebStore,
  connectionId: string,
  contacts: WebContactInput[],
): Promise<Array<Pick<WebContactDoc, 'phone' | 'onWhatsApp'>>> {
  const byPhone = new Map<string, WebContactInput>();
  for (const contact of contacts) {
    const known = byPhone.get(contact.phone);
    byPhone.set(contact.phone, { phone: contact.phone, name: contact.name ?? known?.name ?? null });
  }
  if (byPhone.size === 0) return [];
  const existing = new Map(
    (
      await store.Contact.find({ _id: { $in: [...byPhone.keys()].map((phone) => idOf(connectionId, phone)) } }).lean()
    ).map((doc) => [doc.phone, doc]),
  );
  const fresh = [...byPhone.values()].filter((contact) => !existing.has(contact.phone));
  const renamed = [...byPhone.values()].filter((contact) => {
    const doc = existing.get(contact.phone);
    return doc && contact.name && contact.name !== doc.name;
  });
  if (fresh.length > 0) {
    const book = await store.Book.findOneAndUpdate(
      { _id: connectionId },
      { $inc: { entries: fresh.length } },
      { upsert: true, returnDocument: 'before' },
    ).lean();
    const first = book?.entries ?? 0;
    await store.Contact.collection.bulkWrite(
      fresh.map((contact, index) => ({
        updateOne: {
          filter: { _id: idOf(connectionId, contact.phone) },
          update: {
            $setOnInsert: { connectionId, seq: first + index, phone: contact.phone, onWhatsApp: null },
            $set: { name: contact.name },
          },
          upsert: true,
        },
      })) as never[],
      { ordered: false },
    );
  }
  if (renamed.length > 0) {
    await store.Contact.collection.bulkWrite(
      renamed.map((contact) => ({
        updateOne: { filter: { _id: idOf(connectionId, contact.phone) }, update: { $set: { name: contact.name } } },
      })) as never[],
      { ordered: false },
    );
  }
  return [
    ...fresh.map((contact) => ({ phone: contact.phone, onWhatsApp: null })),
    ...renamed.map((contact) => ({ phone: contact.phone, onWhatsApp: existing.get(contact.phone)!.onWhatsApp })),
  ];
}

/** Records WhatsApp's answer to "is this number on WhatsApp?" for stored contacts. */
export async function recordOnWhatsApp(
  store: WhatsAppWebStore,
  connectionId: string,
  answers: Map<string, boolean>,
): Promise<void> {
  if (answers.size === 0) return;
  await store.Contact.collection.bulkWrite(
    [...answers].map(([phone, onWhatsApp]) => ({
      updateOne: { filter: { _id: idOf(connectionId, phone) }, update: { $set: { onWhatsApp } } },
    })) as never[],
    { ordered: false },
  );
}

/** One page of the session's contacts in arrival order; the cursor is the next place to read. */
export async function listWebContacts(
  store: WhatsAppWebStore,
  connectionId: string,
  cursor: string | null,
): Promise<ContactPage & { answers: Map<string, boolean> }> {
  const from = cursor && /^\d+$/.test(cursor) ? Number(cursor) : 0;
  const docs = await store.Contact.find({ connectionId, seq: { $gte: from } })
    .sort({ seq: 1 })
    .limit(WEB_CONTACT_PAGE + 1)
    .lean();
  const page = docs.slice(0, WEB_CONTACT_PAGE);
  const answers = new Map<string, boolean>();
  for (const doc of page) if (doc.onWhatsApp !== null) answers.set(doc.phone, doc.onWhatsApp);
  return {
    contacts: page.map((doc) => ({ phone: doc.phone, ...(doc.name ? { name: doc.name } : {}) })),
    next: docs.length > WEB_CONTACT_PAGE ? String(docs[WEB_CONTACT_PAGE]!.seq) : null,
    answers,
  };
}

/** Stored answers for these numbers (those not checked yet are left out: "not checked"). */
export async function storedOnWhatsApp(
  store: WhatsAppWebStore,
  connectionId: string,
  phones: string[],
): Promise<Map<string, boolean>> {
  const docs = await store.Contact.find(
    { _id: { $in: phones.map((phone) => idOf(connectionId, phone)) } },
    { phone: 1, onWhatsApp: 1 },
  ).lean();
  return new Map(docs.filter((doc) => doc.onWhatsApp !== null).map((doc) => [doc.phone, doc.onWhatsApp as boolean]));
}
