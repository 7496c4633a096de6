import { type Model, type mongo, Types } from 'mongoose';
import { contactUpsert, type IncomingContact, mergeByPhone } from '../../domain/contacts/contact-changes';
import { DUPLICATE_KEY } from './insert-new';
import type { ContactDoc } from './models/contact';

export interface ContactWriteResult {
  /** Ids of the contacts this write created. */
  created: string[];
  /** Existing contacts whose stored values changed. */
  updated: number;
  /** Existing contacts already as asked. */
  unchanged: number;
}

/** Rounds for upserts that lost an insert race to a concurrent writer (they match on the next one). */
const MAX_ROUNDS = 3;

/**
 * Writes batches of one company's contacts against the unique (companyId, phone) index, so
 * concurrent writers (two syncs, a sync and an import) never duplicate a contact. No read before
 * the write: on MongoDB-wire servers without `$in` index support a read of a batch's phones costs a
 * collection scan (docs/contacts.md, measured).
 *
 * While batches are mostly new contacts (a first sync, a new list) a batch is first inserted as
 * new documents (an unordered insert is about twice as fast as upserts there); the phones that
 * exist already fail with a duplicate key and are upserted. When most of a batch existed, the next
 * batches go straight to upserts. Two upserts of a new phone at once can both try the insert; the
 * loser's duplicate-key error is retried, and then it matches the winner's document.
 */
export class ContactWriter {
  private insertFirst = true;

  constructor(
    private readonly Contact: Model<ContactDoc>,
    private readonly companyId: Types.ObjectId,
  ) {}

  async write(incoming: IncomingContact[], now: Date): Promise<ContactWriteResult> {
    const result: ContactWriteResult = { created: [], updated: 0, unchanged: 0 };
    let pending = mergeByPhone(incoming);
    if (this.insertFirst && pending.length > 0) {
      const docs = pending.map((contact) => newDocument(this.companyId, contact, now));
      const existing = await insertReportingDuplicates(this.Contact.collection, docs);
      const existed = new Set(existing);
      for (const [index, doc] of docs.entries()) if (!existed.has(index)) result.created.push(String(doc._id));
      pending = existing.map((index) => pending[index]!);
      this.insertFirst = existing.length * 2 < docs.length;
    }
    const upserted = await upsertAll(this.Contact, this.companyId, pending, now);
    if (!this.insertFirst && pending.length > 0) this.insertFirst = upserted.created.length * 2 > pending.length;
    result.created.push(...upserted.created);
    result.updated += upserted.updated;
    result.unchanged += upserted.unchanged;
    return result;
  }
}

function newDocument(companyId: Types.ObjectId, contact: IncomingContact, now: Date): mongo.Document {
  const { set, setOnInsert, addToSetList } = contactUpsert(contact, now);
  const doc: mongo.Document = {
    _id: new Types.ObjectId(),
    companyId,
    phone: contact.phone,
    ...setOnInsert,
    listIds: addToSetList ? [new Types.ObjectId(addToSetList)] : [],
  };
  for (const [path, value] of Object.entries(set)) {
    if (path.startsWith('fields.')) doc.fields = { ...(doc.fields as object), [path.slice('fields.'.length)]: value };
    else doc[path] = value;
  }
  doc.fields ??= {};
  return doc;
}

/** Unordered insert; returns the indexes of documents whose (companyId, phone) exists already. */
async function insertReportingDuplicates(collection: mongo.Collection, docs: mongo.Document[]): Promise<number[]> {
  try {
    await collection.insertMany(docs, { ordered: false });
    return [];
  } catch (error) {
    const writeErrors = writeErrorsOf(error);
    if (writeErrors.length === 0 || writeErrors.some((writeError) => writeError.code !== DUPLICATE_KEY)) throw error;
    return writeErrors.map((writeError) => writeError.index);
  }
}

async function upsertAll(
  Contact: Model<ContactDoc>,
  companyId: Types.ObjectId,
  contacts: IncomingContact[],
  now: Date,
): Promise<ContactWriteResult> {
  const result: ContactWriteResult = { created: [], updated: 0, unchanged: 0 };
  let pending = contacts;
  for (let round = 1; pending.length > 0; round++) {
    const operations = pending.map((contact): mongo.AnyBulkWriteOperation<mongo.Document> => {
      const { set, setOnInsert, addToSetList } = contactUpsert(contact, now);
      return {
        updateOne: {
          filter: { companyId, phone: contact.phone },
          update: {
            ...(Object.keys(set).length > 0 ? { $set: set } : {}),
            $setOnInsert: setOnInsert,
            ...(addToSetList ? { $addToSet: { listIds: new Types.ObjectId(addToSetList) } } : {}),
          },
          upsert: true,
        },
      };
    });
    const { outcome, raced } = await bulkUpsert(Contact.collection, operations, round < MAX_ROUNDS);
    result.created.push(...Object.values(outcome.upsertedIds ?? {}).map(String));
    result.updated += outcome.modifiedCount;
    result.unchanged += outcome.matchedCount - outcome.modifiedCount;
    pending = raced.map((index) => pending[index]!);
  }
  return result;
}

function writeErrorsOf(error: unknown): Array<{ code: number; index: number }> {
  const raw = (error as { writeErrors?: unknown }).writeErrors;
  return (raw === undefined ? [] : Array.isArray(raw) ? raw : [raw]) as Array<{ code: number; index: number }>;
}

type Counts = Pick<mongo.BulkWriteResult, 'upsertedIds' | 'modifiedCount' | 'matchedCount'>;

async function bulkUpsert(
  collection: mongo.Collection,
  operations: mongo.AnyBulkWriteOperation<mongo.Document>[],
  mayRetry: boolean,
): Promise<{ outcome: Counts; raced: number[] }> {
  if (operations.length === 0) return { outcome: { upsertedIds: {}, modifiedCount: 0, matchedCount: 0 }, raced: [] };
  try {
    return { outcome: await collection.bulkWrite(operations, { ordered: false }), raced: [] };
  } catch (error) {
    const writeErrors = writeErrorsOf(error);
    const result = (error as { result?: Counts }).result;
    if (
      !mayRetry ||
      !result ||
      writeErrors.length === 0 ||
      writeErrors.some((writeError) => writeError.code !== DUPLICATE_KEY)
    )
      throw error;
    return { outcome: result, raced: writeErrors.map((writeError) => writeError.index) };
  }
}
