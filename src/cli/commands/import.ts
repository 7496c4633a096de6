import { randomBytes } from 'node:crypto';
import { createReadStream, statSync } from 'node:fs';
import { Readable, Transform } from 'node:stream';
import { parseArgs } from 'node:util';
import { type CliCommand, CommandFailure, EXIT, UsageError } from '../cli-errors';
import { percent, renderBar, thousands } from '../terminal/progress-bar';
import { print, safeText } from '../terminal/safe-text';

const USAGE = `Usage: disparo import <listId> <file.csv> [--key API_KEY] [--api URL]

  Streams a CSV file into a contact list through the API and draws a progress bar on stderr; the
  final report (rows read, imported, rejected with line numbers) is printed on stdout as JSON.
  The file is never read whole. Columns: phone (required), name, and any other column becomes a
  personalisation field.

  --key  the company's API key (default: $DISPARO_API_KEY; prefer the variable, a flag shows in ps)
  --api  the API's base URL (default: $DISPARO_API_URL or http://127.0.0.1:3000)

Exit codes: 0 imported (rejected rows are reported, not a failure), 1 the import failed or was
refused, 2 bad usage or unreadable file.`;

interface ImportProgress {
  status: string;
  rowsRead: number;
  imported: number;
  rejected: number;
}

/** The bar: bytes uploaded against the file's size, and the rows the API has read so far. */
export function importLine(
  sentBytes: number,
  totalBytes: number,
  progress: ImportProgress | null,
  elapsedMs: number,
): string {
  const share = totalBytes === 0 ? 1 : sentBytes / totalBytes;
  const rows = progress?.rowsRead ?? 0;
  const rate = elapsedMs > 0 ? Math.round((rows * 1000) / elapsedMs) : 0;
  const counts = progress
    ? `${thousands(rows)} rows, ${thousands(progress.imported)} imported, ${thousands(progress.rejected)} rejected, ${thousands(rate)} rows/s`
    : 'starting';
  return `${renderBar(share)} ${percent(share)}  ${counts}`;
}

export interface ImportRequest {
  listId: string;
  file: string;
  key: string;
  api: string;
}

/** Reads the arguments of `disparo import` (and of the older `import-csv --list <id>` form). */
export function importRequest(args: string[], env: NodeJS.ProcessEnv = process.env): ImportRequest {
  const { values, positionals } = parseArgs({
    args,
    options: { list: { type: 'string' }, key: { type: 'string' }, api: { type: 'string' } },
    allowPositionals: true,
    strict: true,
  });
  const [listId, file, ...extra] = values.list ? [values.list, ...positionals] : positionals;
  if (!listId || !file || extra.length > 0) throw new UsageError('a list id and one CSV file are needed');
  const key = values.key ?? env.DISPARO_API_KEY;
  if (!key) throw new UsageError('an API key is needed: --key or DISPARO_API_KEY');
  return { listId, file, key, api: (values.api ?? env.DISPARO_API_URL ?? 'http://127.0.0.1:3000').replace(/\/$/, '') };
}

/**
 * Pipes the file into the request body. The import is named up front (`?importId=`), so its
 * progress is polled from another request while the upload runs.
 */
export async function runImport(request: ImportRequest, err: NodeJS.WriteStream = process.stderr): Promise<number> {
  let totalBytes: number;
  try {
    totalBytes = statSync(request.file).size;
  } catch (error) {
    throw new UsageError(`cannot read ${request.file}: ${(error as Error).message}`);
  }
  const importId = randomBytes(12).toString('hex');
  const headers = { authorization: `Bearer ${request.key}` };
  const progressUrl = `${request.api}/v1/contact-lists/${encodeURIComponent(request.listId)}/imports/${importId}`;

  let sentBytes = 0;
  const counter = new Transform({
    transform(chunk: Buffer, _encoding, callback) {
      sentBytes += chunk.length;
      callback(null, chunk);
    },
  });
  const body = Readable.toWeb(createReadStream(request.file).pipe(counter)) as ReadableStream;
  const startedAt = Date.now();
  let latest: ImportProgress | null = null;
  const draw = () => err.write(`\r${safeText(importLine(sentBytes, totalBytes, latest, Date.now() - startedAt))}   `);
  const poller = setInterval(() => {
    fetch(progressUrl, { headers })
      .then(async (response) => {
        if (response.ok) latest = (await response.json()) as ImportProgress;
      })
      .catch(() => undefined)
      .finally(draw);
  }, 500);
  try {
    const response = await fetch(
      `${request.api}/v1/contact-lists/${encodeURIComponent(request.listId)}/imports?importId=${importId}`,
      {
        method: 'POST',
        headers: { ...headers, 'content-type': 'text/csv' },
        body,
        duplex: 'half',
      } as RequestInit,
    );
    const text = await response.text();
    const report = (text ? JSON.parse(text) : {}) as ImportProgress & Record<string, unknown>;
    if (response.status === 201) latest = report;
    draw();
    err.write('\n');
    print(JSON.stringify(report, null, 2));
    if (response.status !== 201)
      throw new CommandFailure(`the API answered ${response.status}: ${String(report.detail ?? report.title ?? text)}`);
    return EXIT.ok;
  } catch (error) {
    if (error instanceof CommandFailure) throw error;
    throw new CommandFailure(`import failed: ${(error as Error).message}`);
  } finally {
    clearInterval(poller);
  }
}

export const importCommand: CliCommand = {
  summary: 'import a CSV file into a contact list, with a progress bar',
  usage: USAGE,
  run: (args) => runImport(importRequest(args)),
};
