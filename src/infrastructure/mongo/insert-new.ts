import type { mongo } from 'mongoose';

export const DUPLICATE_KEY = 11000;

export function isDuplicateKeyError(error: unknown): boolean {
  return (error as { code?: number }).code === DUPLICATE_KEY;
}

/**
 * Unordered bulk insert through the driver (mongoose casting would make it many times slower),
 * against a unique index: documents already there are skipped, so re-processing is idempotent.
 * Returns whether every document was new; when not, the caller reads back what is stored (the
 * inserted count in a duplicate-key error is not reliable on every MongoDB-wire server).
 */
export async function insertNew(
  collection: mongo.Collection,
  docs: object[],
): Promise<{ allNew: boolean; inserted: number }> {
  if (docs.length === 0) return { allNew: true, inserted: 0 };
  try {
    const result = await collection.insertMany(docs as mongo.OptionalId<mongo.Document>[], { ordered: false });
    return { allNew: true, inserted: result.insertedCount };
  } catch (error) {
    const bulk = error as { writeErrors?: Array<{ code: number }> | { code: number } };
    const writeErrors =
      bulk.writeErrors === undefined ? [] : Array.isArray(bulk.writeErrors) ? bulk.writeErrors : [bulk.writeErrors];
    const onlyDuplicates =
      (isDuplicateKeyError(error) || writeErrors.length > 0) &&
      writeErrors.every((writeError) => writeError.code === DUPLICATE_KEY);
    if (!onlyDuplicates) throw error;
    return { allNew: false, inserted: Math.max(0, docs.length - Math.max(writeErrors.length, 1)) };
  }
}
