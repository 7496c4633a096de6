import type { Model, Types } from 'mongoose';
import { HttpProblem } from './problem';

interface Owned {
  companyId: Types.ObjectId;
}

/**
 * A company's document by id, or 404 — also for another company's id, so ids cannot be probed.
 * Looked up by `_id` alone (an index lookup on every server; the MongoDB-wire server scans for
 * any other filter) and the tenant checked here, on the document found.
 */
export async function findOwned<T extends Owned>(
  model: Model<T>,
  id: string,
  companyId: string,
  what: string,
  projection?: Record<string, 1>,
): Promise<T> {
  const found = (await model.findById(id, projection ? { ...projection, companyId: 1 } : undefined).lean()) as T | null;
  if (!found || String(found.companyId) !== companyId) throw new HttpProblem(404, 'Not Found', `no such ${what}`);
  return found;
}

/** Whether the id names a document of the company (the same lookup, as a yes or no). */
export async function isOwned<T extends Owned>(model: Model<T>, id: string, companyId: string): Promise<boolean> {
  const found = (await model.findById(id, { companyId: 1 }).lean()) as Owned | null;
  return found !== null && String(found.companyId) === companyId;
}
