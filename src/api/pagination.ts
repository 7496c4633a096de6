import { type Model, Types } from 'mongoose';

export interface PageRequest {
  limit: number;
  cursor?: string;
}

export interface Page<V> {
  items: V[];
  /** Pass as `cursor` for the next page; null on the last page. */
  nextCursor: string | null;
}

/**
 * One page of a list, keyed by `_id` (a cursor, not an offset: stable while items are added, and
 * as cheap for the thousandth page as for the first). `direction` -1 is newest first.
 */
export async function pageOf<T extends { _id: Types.ObjectId }, V>(
  model: Model<T>,
  filter: Record<string, unknown>,
  page: PageRequest,
  view: (doc: T) => V,
  direction: 1 | -1 = -1,
): Promise<Page<V>> {
  const after = page.cursor ? { _id: { [direction === 1 ? '$gt' : '$lt']: new Types.ObjectId(page.cursor) } } : {};
  const docs = (await model
    .find({ ...filter, ...after })
    .sort({ _id: direction })
    .limit(page.limit + 1)
    .lean()) as T[];
  const items = docs.slice(0, page.limit);
  const more = docs.length > page.limit;
  return { items: items.map(view), nextCursor: more ? String(items.at(-1)!._id) : null };
}
