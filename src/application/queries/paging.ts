import { type Model, Types } from 'mongoose';
import { AppError } from '../../domain/errors';

export interface PageRequest {
  limit: number;
  cursor?: string;
}

export interface Page<T> {
  items: T[];
  /** Pass as `cursor` for the next page; null on the last page. */
  nextCursor: string | null;
}

/**
 * One page of a list, keyed by `_id` (a cursor, not an offset: stable while items are added, and
 * as cheap for the thousandth page as for the first). `direction` -1 is newest first.
 */
export async function pageOf<T extends { _id: Types.ObjectId }>(
  model: Model<T>,
  filter: Record<string, unknown>,
  page: PageRequest,
  direction: 1 | -1 = -1,
): Promise<Page<T>> {
  const after = page.cursor ? { _id: { [direction === 1 ? '$gt' : '$lt']: new Types.ObjectId(page.cursor) } } : {};
  const docs = (await model
    .find({ ...filter, ...after })
    .sort({ _id: direction })
    .limit(page.limit + 1)
    .lean()) as T[];
  const items = docs.slice(0, page.limit);
  const more = docs.length > page.limit;
  return { items, nextCursor: more ? String(items.at(-1)!._id) : null };
}

interface Owned {
  companyId: Types.ObjectId;
}

/**
 * A company's document by id, or not-found — also for another company's id, so ids cannot be
 * probed. Looked up by `_id` alone (an index lookup on every server; the MongoDB-wire server scans
 * for any other filter) and the tenant checked here, on the document found.
 */
export async function findOwned<T extends Owned>(
  model: Model<T>,
  id: string,
  companyId: string,
  what: string,
  projection?: Record<string, 1>,
): Promise<T> {
  const found = (await model.findById(id, projection ? { ...projection, companyId: 1 } : undefined).lean()) as T | null;
  if (!found || String(found.companyId) !== companyId) throw AppError.notFound(what);
  return found;
}

/** Whether the id names a document of the company (the same lookup, as a yes or no). */
export async function isOwned<T extends Owned>(model: Model<T>, id: string, companyId: string): Promise<boolean> {
  const found = (await model.findById(id, { companyId: 1 }).lean()) as Owned | null;
  return found !== null && String(found.companyId) === companyId;
}
