import type { Model, UpdateQuery } from 'mongoose';

/**
 * A compare-and-set on one document: applies `update` if the document still matches `filter`,
 * atomically, and tells whether it did. Written as findOneAndUpdate rather than updateOne because
 * the local MongoDB-wire server (mongo-java-server) scans the whole collection for an updateOne
 * whose filter has more than `_id`, but uses the `_id` index for findOneAndUpdate (measured: 1,460
 * ms against 1 ms at 100,000 documents). On MongoDB both are index lookups.
 */
export async function updateIfMatches<T>(
  model: Model<T>,
  filter: Record<string, unknown>,
  update: UpdateQuery<T>,
): Promise<boolean> {
  const before = await model
    .findOneAndUpdate(filter, update, { projection: { _id: 1 }, returnDocument: 'before' })
    .lean();
  return before !== null;
}
