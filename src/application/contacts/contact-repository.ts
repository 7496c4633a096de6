import type { Types } from 'mongoose';
import type { ContactDoc } from '../../infrastructure/mongo/models/contact';

/** A change that would give the contact a phone another contact of its company has. */
export class PhoneTaken extends Error {
  override name = 'PhoneTaken';
}

/** A CSV import run as it is recorded when it starts. */
export interface ImportStart {
  importId: Types.ObjectId;
  companyId: string;
  listId: Types.ObjectId;
  startedAt: Date;
}

/** The contacts' store, as the contact service needs it (bulk writes of imports and syncs have their own writer). */
export interface ContactRepository {
  /** Sets `set`; the contact after, or null when there is none. Throws PhoneTaken on another contact's phone. */
  update(id: Types.ObjectId, set: Record<string, unknown>): Promise<ContactDoc | null>;
  remove(id: Types.ObjectId): Promise<void>;
  /** Records an import run as running; false when an import with that id exists already. */
  startImport(run: ImportStart): Promise<boolean>;
}
