import type { mongo } from 'mongoose';

export const DUPLICATE_KEY = 11000;

export function isDuplicateKeyError(error: unknown): boolean {
  return (error as { code?: number }).code === DUPLICATE_KEY;
}

/**
 * Unordered bulk insert through the driver (mongoose casting would make it many times slower),
 * against a unique index: documents already there are skipped, so re-processing is idempotent.
 * Returns how many were new.
 */
export async function insertNew(collection: mongo.Collection, docs: object[]): Promise<number> {
  if (docs.length === 0) return 0;
  try {
    return (await collection.insertMany(docs as mongo.OptionalId<mongo.Document>[], { ordered: false })).insertedCount;
  } catch (error) {
    const bulk = error as { writeErrors?: Array<{ code: number }> | { code: number }; insertedCount?: number; result?: { insertedCount?: number } };
    const writeErrors = bulk.writeErrors === undefined ? [] : Array.isArray(bulk.writeErrors) ? bulk.writeErrors : [bulk.writeErrors];
    const onlyDuplicates = (isDuplicateKeyError(error) || writeErrors.length > 0) && writeErrors.every((writeError) => writeError.code === DUPLICATE_KEY);
    if (!onlyDuplicates) throw error;
    return bulk.insertedCount ?? bulk.result?.insertedCount ?? docs.length - writeErrors.length;
  }
}
