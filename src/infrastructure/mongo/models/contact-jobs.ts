import { Schema, type Types } from 'mongoose';

/**
 * One run of a connection's contact sync, keyed by the event that started it (a redelivery of
 * that event resumes the run at its stored cursor). Its counters are the sync's progress.
 */
export interface ContactSyncDoc {
  _id: string;
  companyId: Types.ObjectId;
  connectionId: Types.ObjectId;
  trigger: string;
  status: 'running' | 'completed';
  /** The provider's cursor of the next page to read (null: the first page, or done). */
  cursor: string | null;
  pages: number;
  seen: number;
  created: number;
  updated: number;
  unchanged: number;
  invalid: number;
  notOnWhatsApp: number;
  startedAt: Date;
  finishedAt: Date | null;
}

const count = { type: Number, default: 0 };

export const ContactSyncSchema = new Schema<ContactSyncDoc>(
  {
    _id: { type: String, required: true },
    companyId: { type: Schema.Types.ObjectId, required: true },
    connectionId: { type: Schema.Types.ObjectId, required: true },
    trigger: { type: String, required: true },
    status: { type: String, enum: ['running', 'completed'], default: 'running' },
    cursor: { type: String, default: null },
    pages: count,
    seen: count,
    created: count,
    updated: count,
    unchanged: count,
    invalid: count,
    notOnWhatsApp: count,
    startedAt: { type: Date, default: () => new Date() },
    finishedAt: { type: Date, default: null },
  },
  { collection: 'contact_syncs', versionKey: false },
);
ContactSyncSchema.index({ connectionId: 1, startedAt: -1 });

export interface ImportRowError {
  line: number;
  reason: string;
}

/** A CSV import into a contact list: its progress while it runs, its report once done. */
export interface ContactImportDoc {
  _id: Types.ObjectId;
  companyId: Types.ObjectId;
  listId: Types.ObjectId;
  status: 'running' | 'completed' | 'failed';
  rowsRead: number;
  imported: number;
  created: number;
  updated: number;
  rejected: number;
  /** The first rejected rows (capped), with line number and reason. */
  errors: ImportRowError[];
  errorsTruncated: boolean;
  /** Rows whose phone an earlier line of the same file had (the later line's values are kept). */
  duplicates: number;
  /** Lines imported with a caveat (a duplicate phone, bytes that were not UTF-8), capped like errors. */
  warnings: ImportRowError[];
  failure: string | null;
  startedAt: Date;
  finishedAt: Date | null;
}

export const ContactImportSchema = new Schema<ContactImportDoc>(
  {
    companyId: { type: Schema.Types.ObjectId, required: true },
    listId: { type: Schema.Types.ObjectId, required: true },
    status: { type: String, enum: ['running', 'completed', 'failed'], default: 'running' },
    rowsRead: count,
    imported: count,
    created: count,
    updated: count,
    rejected: count,
    errors: { type: [new Schema({ line: Number, reason: String }, { _id: false })], default: () => [] },
    errorsTruncated: { type: Boolean, default: false },
    duplicates: count,
    warnings: { type: [new Schema({ line: Number, reason: String }, { _id: false })], default: () => [] },
    failure: { type: String, default: null },
    startedAt: { type: Date, default: () => new Date() },
    finishedAt: { type: Date, default: null },
  },
  { collection: 'contact_imports', versionKey: false, suppressReservedKeysWarning: true },
);
ContactImportSchema.index({ companyId: 1, listId: 1, startedAt: -1 });
