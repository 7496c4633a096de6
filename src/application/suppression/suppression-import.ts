import type { Readable } from 'node:stream';
import { Types } from 'mongoose';
import { normalisePhone } from '../../domain/contacts/phone';
import { csvRecords } from '../../infrastructure/csv/csv-records';
import { isDuplicateKeyError } from '../../infrastructure/mongo/insert-new';
import type { SuppressionDoc } from '../../infrastructure/mongo/models/suppression';
import { CsvHeaderError } from '../contacts/csv-import';
import type { PipelineDeps } from '../pipeline-deps';

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
 * Imports a CSV of phones (a `phone` column; other columns are ignored) into the company's
 * suppression list as it streams in, 1000 rows per round of writes. A phone already suppressed
 * keeps its original source; a lifted one is suppressed again. Messages already planned for these
 * phones are not looked for here: dispatch checks the list before every send and cancels them.
 */
export async function importSuppressions(
  deps: Pick<PipelineDeps, 'models' | 'metrics' | 'now'>,
  company: { companyId: string; defaultRegion: string },
  input: Readable,
): Promise<SuppressionImportReport> {
  const companyId = new Types.ObjectId(company.companyId);
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
    const counts = await suppressBatch(deps, companyId, phones);
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
    const phone = normalisePhone(raw, company.defaultRegion);
    if (!phone.valid) reject(line, `bad phone "${raw.slice(0, 40)}": ${phone.reason}`);
    else batch.add(phone.e164);
    if (batch.size >= BATCH_ROWS) await flush();
  }
  if (phoneColumn < 0) throw new CsvHeaderError('the file is empty: a header row with a "phone" column is expected');
  await flush();
  deps.metrics.suppressionChanged('opted-out', 'import', report.suppressed);
  return report;
}

async function suppressBatch(
  deps: Pick<PipelineDeps, 'models' | 'now'>,
  companyId: Types.ObjectId,
  phones: string[],
): Promise<{ suppressed: number; already: number }> {
  const { Suppression } = deps.models;
  const now = new Date(deps.now());
  const existing = await Suppression.find({ companyId, phone: { $in: phones } }, { phone: 1, suppressed: 1 }).lean();
  const known = new Map(existing.map((entry) => [entry.phone, entry]));
  const lifted = existing.filter((entry) => !entry.suppressed).map((entry) => entry._id);
  const fresh: SuppressionDoc[] = phones
    .filter((phone) => !known.has(phone))
    .map((phone) => ({
      _id: new Types.ObjectId(),
      companyId,
      phone,
      suppressed: true,
      source: 'import',
      keyword: null,
      connectionId: null,
      suppressedAt: now,
      liftedAt: null,
    }));
  let inserted = fresh.length;
  if (fresh.length > 0) {
    try {
      await Suppression.collection.insertMany(fresh, { ordered: false });
    } catch (error) {
      // An opt-out of one of these phones landed meanwhile: it stands (and is suppressed).
      if (!isDuplicateKeyError(error)) throw error;
      inserted = (error as { result?: { insertedCount?: number } }).result?.insertedCount ?? 0;
    }
  }
  let resuppressed = 0;
  if (lifted.length > 0) {
    const result = await Suppression.updateMany(
      { _id: { $in: lifted }, suppressed: false },
      {
        $set: {
          suppressed: true,
          source: 'import',
          keyword: null,
          connectionId: null,
          suppressedAt: now,
          liftedAt: null,
        },
      },
    );
    resuppressed = result.modifiedCount;
  }
  return { suppressed: inserted + resuppressed, already: phones.length - inserted - resuppressed };
}
