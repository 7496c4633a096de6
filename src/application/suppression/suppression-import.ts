import type { Readable } from 'node:stream';
import { normalisePhone } from '../../domain/contacts/phone';
import { csvRecords } from '../../infrastructure/csv/csv-records';
import { CsvHeaderError } from '../contacts/csv-import';

const BATCH_ROWS = 1_000;
const MAX_REPORTED_ERRORS = 100;
const MAX_RECORD_BYTES = 64 * 1024;

export interface SuppressionImportReport {
  rowsRead: number;
  /** Phones newly put on the list (or put back after being lifted). */
  suppressed: number;
  alreadySuppressed: number;
  rejected: number;
  errors: Array<{ line: number; reason: string }>;
  errorsTruncated: boolean;
}

/**
 * Reads a CSV of phones (a `phone` column; other columns are ignored) as it streams in, normalising
 * each with the company's region, and hands the valid ones to `writeRound` 1000 at a time (each
 * phone once per round). The report counts rows read, rejected rows (with line and reason) and what
 * the rounds wrote.
 */
export async function readSuppressionCsv(
  input: Readable,
  defaultRegion: string,
  writeRound: (phones: string[]) => Promise<{ suppressed: number; already: number }>,
): Promise<SuppressionImportReport> {
  const report: SuppressionImportReport = {
    rowsRead: 0,
    suppressed: 0,
    alreadySuppressed: 0,
    rejected: 0,
    errors: [],
    errorsTruncated: false,
  };
  const reject = (line: number, reason: string) => {
    report.rejected++;
    if (report.errors.length < MAX_REPORTED_ERRORS) report.errors.push({ line, reason });
    else report.errorsTruncated = true;
  };
  const records = csvRecords(input, {
    maxRecordBytes: MAX_RECORD_BYTES,
    onUnreadable: (line, reason) => {
      report.rowsRead++;
      reject(line, reason);
    },
  });

  let phoneColumn = -1;
  let batch = new Set<string>();
  const flush = async () => {
    const phones = [...batch];
    batch = new Set();
    if (phones.length === 0) return;
    const counts = await writeRound(phones);
    report.suppressed += counts.suppressed;
    report.alreadySuppressed += counts.already;
  };
  for await (const { record, line } of records) {
    if (phoneColumn < 0) {
      phoneColumn = record.map((cell) => cell.trim().toLowerCase()).indexOf('phone');
      if (phoneColumn < 0)
        throw new CsvHeaderError(`the header has no "phone" column (columns: ${record.join(', ') || 'none'})`);
      continue;
    }
    report.rowsRead++;
    const raw = record[phoneColumn] ?? '';
    const phone = normalisePhone(raw, defaultRegion);
    if (!phone.valid) reject(line, `bad phone "${raw.slice(0, 40)}": ${phone.reason}`);
    else batch.add(phone.e164);
    if (batch.size >= BATCH_ROWS) await flush();
  }
  if (phoneColumn < 0) throw new CsvHeaderError('the file is empty: a header row with a "phone" column is expected');
  await flush();
  return report;
}
