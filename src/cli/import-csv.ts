/**
 * Streams a CSV file into a contact list through the API and draws a progress bar on stderr.
 *
 *   npx tsx src/cli/import-csv.ts --list <listId> --key <apiKey> [--api http://127.0.0.1:3000] file.csv
 *
 * The file is never read whole: it is piped into the request body. The import is named up front
 * (`?importId=`), so its progress (rows read, imported, rejected) is polled from another request
 * while the upload runs. The final report is printed on stdout as JSON. Exit codes: 0 done, 1 the
 * import failed, 2 bad usage.
 */
import { randomBytes } from 'node:crypto';
import { createReadStream, statSync } from 'node:fs';
import { Readable, Transform } from 'node:stream';
import { parseArgs } from 'node:util';

const USAGE = 'usage: import-csv --list <listId> --key <apiKey> [--api <url>] <file.csv>';

interface Progress {
  status: string;
  rowsRead: number;
  imported: number;
  rejected: number;
}

function bar(sentBytes: number, totalBytes: number, progress: Progress | null, startedAt: number): string {
  const share = totalBytes === 0 ? 1 : Math.min(1, sentBytes / totalBytes);
  const width = 30;
  const filled = Math.round(share * width);
  const seconds = (Date.now() - startedAt) / 1000;
  const rows = progress?.rowsRead ?? 0;
  const rate = seconds > 0 ? Math.round(rows / seconds) : 0;
  const counts = progress ? `${rows.toLocaleString('en-US')} rows, ${progress.imported.toLocaleString('en-US')} imported, ${progress.rejected.toLocaleString('en-US')} rejected, ${rate.toLocaleString('en-US')} rows/s` : 'starting';
  return `\r[${'#'.repeat(filled)}${'-'.repeat(width - filled)}] ${(share * 100).toFixed(0).padStart(3)}%  ${counts}   `;
}

async function main(): Promise<number> {
  let parsed;
  try {
    parsed = parseArgs({ options: { list: { type: 'string' }, key: { type: 'string' }, api: { type: 'string', default: 'http://127.0.0.1:3000' }, help: { type: 'boolean' } }, allowPositionals: true });
  } catch (error) {
    process.stderr.write(`${(error as Error).message}\n${USAGE}\n`);
    return 2;
  }
  const { values, positionals } = parsed;
  if (values.help) {
    process.stdout.write(`${USAGE}\n`);
    return 0;
  }
  const file = positionals[0];
  if (!values.list || !values.key || !file || positionals.length > 1) {
    process.stderr.write(`${USAGE}\n`);
    return 2;
  }
  let totalBytes: number;
  try {
    totalBytes = statSync(file).size;
  } catch (error) {
    process.stderr.write(`cannot read ${file}: ${(error as Error).message}\n`);
    return 2;
  }
  const api = values.api!.replace(/\/$/, '');
  const importId = randomBytes(12).toString('hex');
  const headers = { authorization: `Bearer ${values.key}` };
  const progressUrl = `${api}/v1/contact-lists/${values.list}/imports/${importId}`;

  let sentBytes = 0;
  const counter = new Transform({
    transform(chunk: Buffer, _encoding, callback) {
      sentBytes += chunk.length;
      callback(null, chunk);
    },
  });
  const body = Readable.toWeb(createReadStream(file).pipe(counter)) as ReadableStream;
  const startedAt = Date.now();
  let latest: Progress | null = null;
  const draw = () => process.stderr.write(bar(sentBytes, totalBytes, latest, startedAt));
  const poller = setInterval(() => {
    fetch(progressUrl, { headers })
      .then(async (response) => {
        if (response.ok) latest = (await response.json()) as Progress;
      })
      .catch(() => undefined)
      .finally(draw);
  }, 500);
  try {
    const response = await fetch(`${api}/v1/contact-lists/${values.list}/imports?importId=${importId}`, {
      method: 'POST',
      headers: { ...headers, 'content-type': 'text/csv' },
      body,
      duplex: 'half',
    } as RequestInit);
    const report = (await response.json()) as Progress & Record<string, unknown>;
    clearInterval(poller);
    if (response.status === 201) latest = report;
    draw();
    process.stderr.write('\n');
    process.stdout.write(`${JSON.stringify(report, null, 2)}\n`);
    return response.status === 201 ? 0 : 1;
  } catch (error) {
    clearInterval(poller);
    process.stderr.write(`\nimport failed: ${(error as Error).message}\n`);
    return 1;
  }
}

main().then((code) => {
  process.exitCode = code;
});
