import type { Model, Types } from 'mongoose';
import { type Page, type PageRequest, pageOf as pageOfRecords } from '../application/queries/paging';

export type { Page, PageRequest };

/**
 * Kept for routes written before the read service (merged from other branches): new code reads a
 * page through `readsOf(deps)` and maps it with `pageView`. The boundary test names any route that
 * still reaches a model.
 */
export async function pageOf<T extends { _id: Types.ObjectId }, V>(
  model: Model<T>,
  filter: Record<string, unknown>,
  page: PageRequest,
  view: (doc: T) => V,
  direction: 1 | -1 = -1,
): Promise<Page<V>> {
  const found = await pageOfRecords(model, filter, page, direction);
  return { items: found.items.map(view), nextCursor: found.nextCursor };
}
