import type { Readable } from 'node:stream';
import { Types } from 'mongoose';
import type { IncomingContact } from '../../domain/contacts/contact-changes';
import { type CsvHeader, readHeader, readRow } from '../../domain/contacts/csv-rows';
import { csvRecords } from '../../infrastructure/csv/csv-records';
import type { ContactImportDoc, ImportRowError } from '../../infrastructure/mongo/models/contact-jobs';
import type { ContactImports } from './contact-repository';

export const IMPORT_BATCH_ROWS = 1_000;
export const MAX_REPORTED_ERRORS = 1_000;
/** A single CSV line larger than this is a broken row, not a contact (rejected, named by its line). */
export const MAX_LINE_BYTES = 64 * 1024;
/** A record over several lines (quoted line breaks) is bounded too. */
const MAX_RECORD_BYTES = 4 * MAX_LINE_BYTES;
/**
 * Phones remembered to find duplicates within one file (the first line of each): past this many
 * rows, duplicates are no longer looked for (a warning says so), so memory stays bounded.
 */
const MAX_TRACKED_PHONES = 1_000_000;

export class CsvHeaderError extends Error {
  override name = 'CsvHeaderError';
}

export interface CsvImportJob {
  importId: Types.ObjectId;
  companyId: Types.ObjectId;
  listId: Types.ObjectId;
  defaultRegion: string;
}

/**
 * Imports a CSV into a contact list as it streams in: csv-parse reads the stream (back-pressure:
 * the next bytes are read only once the current batch is stored), each row is checked
 * (`readRow`), and every ~1000 rows are written in one unordered bulkWrite that changes only what
 * differs — importing the same file again changes nothing. Memory holds one batch and at most
 * `MAX_REPORTED_ERRORS` row errors, whatever the file's size. The import job document carries
 * the counters after every batch, so another request can follow the progress.
 */
export async function importCsv(
  imports: Pick<ContactImports, 'progress' | 'complete' | 'writerFor'>,
  job: CsvImportJob,
  input: Readable,
  now: () => number = Date.now,
): Promise<ContactImportDoc> {
  const listId = String(job.listId);
  const progress = { rowsRead: 0, imported: 0, created: 0, updated: 0, rejected: 0, duplicates: 0 };
  const errors: ImportRowError[] = [];
  const warnings: ImportRowError[] = [];
  let errorsTruncated = false;
  let errorsChanged = false;
  const reject = (line: number, reason: string) => {
    progress.rejected++;
    if (errors.length < MAX_REPORTED_ERRORS) {
      errors.push({ line, reason });
      errorsChanged = true;
    } else errorsTruncated = true;
  };
  const warn = (line: number, reason: string) => {
    if (warnings.length < MAX_REPORTED_ERRORS) {
      warnings.push({ line, reason });
      errorsChanged = true;
    }
  };
  /** E.164 digits (15 at most: exact as a number) → the first line that had them. */
  const firstLineOf = new Map<number, number>();

  const unreadable = (line: number, reason: string) => {
    progress.rowsRead++;
    reject(line, reason);
  };
  const records = csvRecords(input, {
    maxRecordBytes: MAX_RECORD_BYTES,
    maxLineBytes: MAX_LINE_BYTES,
    onUnreadable: unreadable,
  });

  let header: CsvHeader | null = null;
  let batch: IncomingContact[] = [];
  const writer = imports.writerFor(job.companyId);
  const flush = async () => {
    const contacts = batch;
    batch = [];
    if (contacts.length > 0) {
      const written = await writer.write(contacts, new Date(now()));
      progress.created += written.created.length;
      progress.updated += written.updated;
      progress.imported += contacts.length;
    }
    await imports.progress(job.importId, {
      ...progress,
      ...(errorsChanged ? { errors, errorsTruncated, warnings } : {}),
    });
    errorsChanged = false;
  };

  let pendingRows = 0;
  for await (const { record, line } of records) {
    if (!header) {
      const read = readHeader(record);
      if (!read.ok) throw new CsvHeaderError(read.reason);
      header = read.header;
      continue;
    }
    progress.rowsRead++;
    const row = readRow(header, record, line, job.defaultRegion, listId);
    if (record.some((cell) => cell.includes('\uFFFD')))
      warn(line, 'bytes that are not UTF-8 were replaced by U+FFFD: save the file as UTF-8');
    if (row.ok) {
      batch.push(row.contact);
      const key = Number(row.contact.phone.slice(1));
      const first = firstLineOf.get(key);
      if (first !== undefined) {
        progress.duplicates++;
        warn(line, `duplicate of line ${first} (${row.contact.phone}): this line's values are the ones kept`);
      } else if (firstLineOf.size < MAX_TRACKED_PHONES) firstLineOf.set(key, line);
      else if (firstLineOf.size === MAX_TRACKED_PHONES) {
        warn(line, `more than ${MAX_TRACKED_PHONES} phones: duplicates after this line are not looked for`);
        firstLineOf.set(-1, line);
      }
    } else reject(row.line, row.reason);
    if (++pendingRows >= IMPORT_BATCH_ROWS) {
      pendingRows = 0;
      await flush();
    }
  }
  if (!header) throw new CsvHeaderError('the file is empty: a header row with a "phone" column is expected');
  await flush();
  return imports.complete(job.importId, { ...progress, errors, errorsTruncated, warnings }, new Date(now()));
}

export function importView(job: ContactImportDoc) {
  return {
    id: String(job._id),
    listId: String(job.listId),
    status: job.status,
    rowsRead: job.rowsRead,
    imported: job.imported,
    created: job.created,
    updated: job.updated,
    rejected: job.rejected,
    errors: job.errors,
    errorsTruncated: job.errorsTruncated,
    duplicates: job.duplicates ?? 0,
    warnings: job.warnings ?? [],
    failure: job.failure,
    startedAt: job.startedAt,
    finishedAt: job.finishedAt,
  };
}

export const newImportId = () => new Types.ObjectId();
