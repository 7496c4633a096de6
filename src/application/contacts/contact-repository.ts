import type { Types } from 'mongoose';
import type { IncomingContact } from '../../domain/contacts/contact-changes';
import type { ContactDoc } from '../../infrastructure/mongo/models/contact';
import type { ContactImportDoc } from '../../infrastructure/mongo/models/contact-jobs';
import type { ContactListDoc } from '../../infrastructure/mongo/models/contact-list';

/** A contact added to a list by hand (its phone in E.164); absent name or fields keep what is stored. */
export interface ListedContact {
  phone: string;
  name?: string | null;
  fields?: Record<string, string>;
}

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
  createList(companyId: string, name: string): Promise<ContactListDoc>;
  /**
   * Adds each contact to the list, one per (company, phone): a new phone is created, a known one
   * gets the name and fields given (in one unordered batch).
   */
  addToList(companyId: string, listId: Types.ObjectId, contacts: ListedContact[], at: Date): Promise<void>;
}

/** The counts and row reports an import run carries while it runs and when it ends. */
export type ImportProgress = Pick<
  ContactImportDoc,
  'rowsRead' | 'imported' | 'created' | 'updated' | 'rejected' | 'duplicates'
> &
  Partial<Pick<ContactImportDoc, 'errors' | 'errorsTruncated' | 'warnings'>>;

/** Writes batches of one company's contacts, unique by phone (concurrent writers never duplicate one). */
export interface ContactBatchWriter {
  /** The ids of the contacts it created, and how many existing ones changed. */
  write(contacts: IncomingContact[], at: Date): Promise<{ created: string[]; updated: number }>;
}

/** CSV import runs (running → completed or failed) and the contact writes they make. */
export interface ContactImports {
  /** Records a run as running; false when a run with that id exists already. */
  start(run: ImportStart): Promise<boolean>;
  progress(importId: Types.ObjectId, progress: ImportProgress): Promise<void>;
  /** Marks the run completed with its final counts; the run as stored. */
  complete(importId: Types.ObjectId, progress: ImportProgress, at: Date): Promise<ContactImportDoc>;
  /** Marks a run still running as failed, with why. */
  fail(importId: Types.ObjectId, reason: string, at: Date): Promise<void>;
  writerFor(companyId: Types.ObjectId): ContactBatchWriter;
}
