/**
 * Contact sync and CSV import throughput, beside the database's raw bulk-write rate.
 *
 *   npm run bench:contacts      (bash scripts/with-infra.sh tsx bench/contacts.ts)
 *
 * The system under test is its own process, built as deployed: `node dist/src/cli/disparo.js start`
 * with the API and the contact-sync worker role (fresh vhost and database, dropped afterwards),
 * against the real broker and MongoDB-wire server. This process drives it:
 *   raw:  unordered insertMany of N contact-shaped documents, 1000 per call (the server's bound);
 *         then N unordered upserts keyed by the unique (companyId, phone) index, 1000 per call
 *         (what both paths below write).
 *   sync: a sandbox address book of N contacts (seeded untimed; 1% malformed, 10% off WhatsApp),
 *         from POST /v1/connections/:id/sync to the run's status `completed`.
 *   csv:  an N-row CSV generated as a stream (never in memory) and POSTed as the request body,
 *         until the 201 report.
 * Peak RSS is the system process's (API + contact-sync worker, both runs): its VmHWM.
 * BENCH_CONTACTS overrides N (default 100000). The last line is JSON.
 */
import { performance } from 'node:perf_hooks';
import { Readable } from 'node:stream';
import mongoose, { Types } from 'mongoose';
import { seedSandboxContacts } from '../src/infrastructure/gateways/sandbox/sandbox-contacts';
import { sandboxStore } from '../src/infrastructure/gateways/sandbox/sandbox-store';
import { modelsOf } from '../src/infrastructure/mongo/models';
import { testMongoUrl } from '../test/support/infrastructure';
import { withVhost } from './support/infra';
import { startSystemProcess } from './support/system-process';

const N = Number(process.env.BENCH_CONTACTS ?? 100_000);
const ADMIN = 'bench-admin-key-0123456789';
const phoneOf = (prefix: number, i: number) => `+55 ${prefix} 9${String(60_000_000 + i)}`;

async function main(): Promise<void> {
  process.stdout.write(`contacts bench: N=${N}\n`);
  await withVhost('contacts', async (vhost) => {
    const mongoUrl = testMongoUrl('bench_contacts');
    const mongo = await mongoose.createConnection(mongoUrl).asPromise();
    const models = modelsOf(mongo);
    const system = await startSystemProcess({
      NODE_ENV: 'production',
      LOG_LEVEL: 'error',
      RABBITMQ_URL: vhost.url,
      MONGO_URL: mongoUrl,
      ADMIN_API_KEY: ADMIN,
      WORKER_ROLES: 'contact-sync',
    });
    const api = async (method: string, path: string, key: string, body?: unknown) => {
      const response = await fetch(`${system.url}${path}`, {
        method,
        headers: { authorization: `Bearer ${key}`, 'content-type': 'application/json' },
        body: body === undefined ? undefined : JSON.stringify(body),
      });
      return { status: response.status, body: (await response.json()) as any };
    };
    try {
      // --- raw rates of the database, same documents
      const rawCompany = new Types.ObjectId();
      const scratch = mongo.collection('bench_raw_contacts');
      await scratch.createIndex({ companyId: 1, phone: 1 }, { unique: true });
      let started = performance.now();
      for (let start = 0; start < N; start += 1_000) {
        const docs = Array.from({ length: Math.min(1_000, N - start) }, (_, k) => ({
          companyId: rawCompany,
          phone: `+5541${9_6000_0000 + start + k}`,
          name: `P ${start + k}`,
          fields: {},
          listIds: [],
          valid: true,
          onWhatsApp: null,
        }));
        await scratch.insertMany(docs, { ordered: false });
      }
      const rawInsertPerSec = N / ((performance.now() - started) / 1000);
      const upsertCompany = new Types.ObjectId();
      started = performance.now();
      for (let start = 0; start < N; start += 1_000) {
        const operations = Array.from({ length: Math.min(1_000, N - start) }, (_, k) => ({
          updateOne: {
            filter: { companyId: upsertCompany, phone: `+5541${9_6000_0000 + start + k}` },
            update: { $set: { valid: true, onWhatsApp: true }, $setOnInsert: { name: null, fields: {}, listIds: [] } },
            upsert: true,
          },
        }));
        await scratch.bulkWrite(operations, { ordered: false });
      }
      const rawUpsertPerSec = N / ((performance.now() - started) / 1000);
      await scratch.drop();
      process.stdout.write(`  raw insertMany ${fmt(rawInsertPerSec)}/s, raw upserts ${fmt(rawUpsertPerSec)}/s\n`);

      // --- sync
      const company = await api('POST', '/v1/companies', ADMIN, { name: 'Bench' });
      const key = company.body.apiKey as string;
      const connection = await api('POST', '/v1/connections', key, { name: 'Bench number' });
      const connectionId = connection.body.id as string;
      const store = sandboxStore(mongo);
      const seedStarted = performance.now();
      for (let start = 0; start < N; start += 5_000) {
        const seeds = Array.from({ length: Math.min(5_000, N - start) }, (_, k) => {
          const i = start + k;
          return { phone: i % 100 === 99 ? `bad-${i}` : phoneOf(21, i), name: `Pessoa ${i}`, onWhatsApp: i % 10 !== 3 };
        });
        await seedSandboxContacts(store, connectionId, seeds, 'BR');
      }
      process.stdout.write(
        `  seeded the sandbox book in ${((performance.now() - seedStarted) / 1000).toFixed(1)} s (untimed)\n`,
      );
      started = performance.now();
      const requested = await api('POST', `/v1/connections/${connectionId}/sync`, key);
      const syncId = requested.body.syncId as string;
      for (;;) {
        const run = await models.ContactSync.findById(syncId, { status: 1 }).lean();
        if (run?.status === 'completed') break;
        await new Promise((resolve) => setTimeout(resolve, 100));
      }
      const syncSeconds = (performance.now() - started) / 1000;
      const run = await models.ContactSync.findById(syncId).lean();
      const syncPerSec = run!.seen / syncSeconds;
      process.stdout.write(
        `  sync: ${run!.seen} contacts (${run!.created} created, ${run!.invalid} invalid, ${run!.notOnWhatsApp} off WhatsApp) in ${syncSeconds.toFixed(1)} s = ${fmt(syncPerSec)}/s; server peak RSS so far ${system.peakRssMb().toFixed(0)} MB\n`,
      );

      // --- CSV import, streamed
      const list = await api('POST', '/v1/contact-lists', key, { name: 'Bench list' });
      async function* csv() {
        yield 'name,phone,city,plan\n';
        for (let start = 0; start < N; start += 1_000) {
          let chunk = '';
          for (let i = start; i < Math.min(N, start + 1_000); i++)
            chunk += `Pessoa ${i},${phoneOf(31, i)},Cidade ${i % 50},${i % 3 ? 'ouro' : 'prata'}\n`;
          yield chunk;
        }
      }
      started = performance.now();
      const response = await fetch(`${system.url}/v1/contact-lists/${list.body.id}/imports`, {
        method: 'POST',
        headers: { authorization: `Bearer ${key}`, 'content-type': 'text/csv' },
        body: Readable.toWeb(Readable.from(csv())) as ReadableStream,
        duplex: 'half',
      } as RequestInit);
      const report = (await response.json()) as { rowsRead: number; imported: number; rejected: number };
      const csvSeconds = (performance.now() - started) / 1000;
      if (response.status !== 201) throw new Error(`import answered ${response.status}: ${JSON.stringify(report)}`);
      const csvPerSec = report.rowsRead / csvSeconds;
      process.stdout.write(
        `  csv: ${report.rowsRead} rows (${report.imported} imported, ${report.rejected} rejected) in ${csvSeconds.toFixed(1)} s = ${fmt(csvPerSec)}/s\n`,
      );

      const peakRssMb = system.peakRssMb();
      const verdict = [
        syncPerSec >= 5_000 ? 'sync >= 5000/s' : 'sync below 5000/s',
        csvPerSec >= 5_000 ? 'csv >= 5000/s' : 'csv below 5000/s',
        peakRssMb <= 250 ? 'peak RSS <= 250 MB' : 'peak RSS above 250 MB',
      ];
      process.stdout.write(`  peak RSS ${peakRssMb.toFixed(0)} MB; ${verdict.join(', ')}\n`);
      process.stdout.write(
        `${JSON.stringify({
          syncContacts: run!.seen,
          syncPerSec: Math.round(syncPerSec),
          csvRows: report.rowsRead,
          csvPerSec: Math.round(csvPerSec),
          peakRssMb: Math.round(peakRssMb),
          rawInsertPerSec: Math.round(rawInsertPerSec),
          rawUpsertPerSec: Math.round(rawUpsertPerSec),
        })}\n`,
      );
    } finally {
      await system.stop();
      await mongo.dropDatabase().catch(() => undefined);
      await mongo.close();
    }
  });
}

function fmt(perSec: number): string {
  return Math.round(perSec).toLocaleString('en-US');
}

main().catch((error: unknown) => {
  process.stderr.write(`bench failed: ${error instanceof Error ? (error.stack ?? error.message) : String(error)}\n`);
  process.exitCode = 1;
  setTimeout(() => process.exit(1), 2_000).unref();
});
