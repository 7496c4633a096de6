import type { Readable } from 'node:stream';
import { type Parser, parse } from 'csv-parse';
import { LongLineGuard } from './long-line-guard';

/** One record of a CSV file and the line it ends on (what a row error names). */
export interface CsvRecord {
  record: string[];
  line: number;
}

export interface CsvReadOptions {
  /** A record (quoted line breaks included) larger than this is unreadable. */
  maxRecordBytes: number;
  /** A single line larger than this is dropped whole and reported once (absent: no line limit). */
  maxLineBytes?: number;
  /** A record that could not be read (malformed, too long): its line and why. Reading goes on. */
  onUnreadable(line: number, reason: string): void;
}

/**
 * Reads a CSV stream record by record, header first, as it streams in (back-pressure: the next
 * bytes are read only once the caller took the current record): a BOM is dropped, rows may have
 * fewer or more cells than the header, empty lines are skipped, and a broken record is reported
 * and skipped rather than ending the file. An error of `input` ends the iteration with that error.
 * Used by the contact import and the suppression import.
 */
export function csvRecords(input: Readable, options: CsvReadOptions): AsyncIterable<CsvRecord> {
  const parser: Parser = parse({
    bom: true,
    info: true,
    relax_column_count: true,
    skip_empty_lines: true,
    skip_records_with_error: true,
    max_record_size: options.maxRecordBytes,
    on_skip: (error) => {
      const line = (error as { lines?: number } | undefined)?.lines ?? parser.info.lines;
      options.onUnreadable(line, `unreadable CSV: ${error?.message ?? 'malformed record'}`);
    },
  });
  let source: Readable = input;
  if (options.maxLineBytes !== undefined) {
    const maxLineBytes = options.maxLineBytes;
    const guard = new LongLineGuard(maxLineBytes, (line) =>
      options.onUnreadable(line, `the row is longer than ${maxLineBytes / 1024} KB, the limit of one row`),
    );
    input.on('error', (error) => guard.destroy(error));
    source = input.pipe(guard);
  }
  source.on('error', (error) => parser.destroy(error));
  return (async function* () {
    for await (const { record, info } of source.pipe(parser) as AsyncIterable<{
      record: string[];
      info: { lines: number };
    }>)
      yield { record, line: info.lines };
  })();
}
