import { normalisePhone } from '../../../domain/contacts/phone';
import { isDuplicateKeyError } from '../../mongo/insert-new';
import { SANDBOX_CONTACT_PAGE } from './sandbox-gateway';
import { sandboxKeys } from './sandbox-keys';
import type { SandboxBookEntry, SandboxPlaceDoc, SandboxStore } from './sandbox-store';

export interface SandboxContactSeed {
  phone: string;
  name?: string;
  /** Default true; false makes checkNumbers answer that the number is not on WhatsApp. */
  onWhatsApp?: boolean;
}

/**
 * Seeds (or updates) the simulated number's address book: one entry per phone as written, a
 * re-seeded phone keeping its place. `region` is how the simulated WhatsApp reads numbers written
 * without a country code.
 */
export async function seedSandboxContacts(
  store: SandboxStore,
  connectionId: string,
  contacts: SandboxContactSeed[],
  region: string,
): Promise<number> {
  const byPhone = new Map(contacts.map((contact) => [contact.phone, contact]));
  if (byPhone.size === 0) return 0;
  const places = await placesOf(store, connectionId, [...byPhone.keys()]);
  const entries = [...byPhone.values()].map((contact) => ({
    place: places.get(contact.phone)!,
    entry: entryOf(contact, region),
  }));
  await writePages(store, connectionId, entries);
  await markOffWhatsApp(
    store,
    connectionId,
    entries.map(({ entry }) => entry),
  );
  return entries.length;
}

function entryOf(contact: SandboxContactSeed, region: string): SandboxBookEntry {
  const parsed = normalisePhone(contact.phone, region);
  return {
    phone: contact.phone,
    e164: parsed.valid ? parsed.e164 : null,
    name: contact.name ?? null,
    onWhatsApp: contact.onWhatsApp ?? true,
  };
}

/** Each phone's place in the book: its existing one, or a newly allocated slot. */
async function placesOf(
  store: SandboxStore,
  connectionId: string,
  phones: string[],
): Promise<Map<string, SandboxPlaceDoc>> {
  const key = (phone: string) => sandboxKeys.place(connectionId, phone);
  const phoneOf = new Map(phones.map((phone) => [key(phone), phone]));
  const found = async (ids: string[]) => store.Place.find({ _id: { $in: ids } }).lean();
  const places = new Map<string, SandboxPlaceDoc>(
    (await found([...phoneOf.keys()])).map((place) => [phoneOf.get(place._id)!, place]),
  );
  const fresh = phones.filter((phone) => !places.has(phone));
  if (fresh.length === 0) return places;
  const book = await store.Book.findOneAndUpdate(
    { _id: connectionId },
    { $inc: { entries: fresh.length } },
    { upsert: true, returnDocument: 'before' },
  ).lean();
  const first = book?.entries ?? 0;
  const docs: SandboxPlaceDoc[] = fresh.map((phone, index) => ({
    _id: key(phone),
    page: Math.floor((first + index) / SANDBOX_CONTACT_PAGE),
    slot: (first + index) % SANDBOX_CONTACT_PAGE,
  }));
  try {
    await store.Place.collection.insertMany(docs as never[], { ordered: false });
  } catch (error) {
    if (!isDuplicateKeyError(error)) throw error;
    // A concurrent seed placed some of these phones first: theirs stand (these slots stay empty).
    for (const place of await found(docs.map((doc) => doc._id))) places.set(phoneOf.get(place._id)!, place);
  }
  for (const doc of docs) if (!places.has(phoneOf.get(doc._id)!)) places.set(phoneOf.get(doc._id)!, doc);
  return places;
}

/** One write per page touched: each entry into its slot. */
async function writePages(
  store: SandboxStore,
  connectionId: string,
  entries: Array<{ place: SandboxPlaceDoc; entry: SandboxBookEntry }>,
): Promise<void> {
  const pages = new Map<number, Record<string, SandboxBookEntry>>();
  for (const { place, entry } of entries) {
    const slots = pages.get(place.page) ?? {};
    slots[`entries.${place.slot}`] = entry;
    pages.set(place.page, slots);
  }
  const operations = [...pages].map(([page, slots]) => ({
    updateOne: { filter: { _id: sandboxKeys.page(connectionId, page) }, update: { $set: slots }, upsert: true },
  }));
  await store.Page.collection.bulkWrite(operations as never[], { ordered: false });
}

async function markOffWhatsApp(store: SandboxStore, connectionId: string, entries: SandboxBookEntry[]): Promise<void> {
  const keysOf = (onWhatsApp: boolean) =>
    entries
      .filter((entry) => entry.e164 && entry.onWhatsApp === onWhatsApp)
      .map((entry) => sandboxKeys.offNumber(connectionId, entry.e164!));
  const off = keysOf(false);
  const on = keysOf(true);
  if (on.length > 0) await store.OffNumber.deleteMany({ _id: { $in: on } });
  if (off.length === 0) return;
  await store.OffNumber.collection.bulkWrite(
    off.map((_id) => ({
      updateOne: { filter: { _id }, update: { $setOnInsert: { since: new Date() } }, upsert: true },
    })) as never[],
    { ordered: false },
  );
}
