/**
 * The embedded MongoDB-wire server under real work, on a server of its own (this checkout's build,
 * port BENCH_DB_PORT, default 27101, data in BENCH_DB_DIR, default /tmp/disparo-bench-db), so it
 * never disturbs the shared one on :27017.
 *
 *   npm run bench:db
 *
 * 1. insert: N contacts (BENCH_CONTACTS, default 1,000,000) of 20 companies, shaped as Disparo
 *    stores them (each in its company's big list and in one 40-contact list), written with the
 *    driver as the importers do (insertMany, unordered, batches of 1,000, 2 at once) into the
 *    database of a running Disparo system (API in this process). insertPerSec = N / seconds.
 * 2. reads, with the N contacts present: BENCH_DB_SAMPLES (default 200) reads of one 40-contact list
 *    of a company (find {companyId, listIds}, lean) and as many countDocuments of it; p50 / p99.
 * 3. due → first send under a big import: 5 small companies (40 contacts, one sandbox number per
 *    round each) and a large company that imports 200,000 contacts by CSV through the API; one
 *    control round of 5 campaigns (one per small company) due in the same second before the import,
 *    then 3 rounds while the import runs; from scheduledAt to the sandbox's first receivedAt of each.
 *    One worker process, every role. dueToFirstSendMsP99 is over the rounds during the import.
 * 4. data files: a scratch database of 200,000 contacts is written, then dropped; the size of the
 *    data files (MB) before and after the drop.
 *
 * BENCH_DB_JAVA_OPTS adds JVM options to the server (e.g. "-XX:+UseZGC").
 * BENCH_DB_PHASES (default insert,read,due,drop) picks phases (read needs insert). To measure the
 * launcher before this change: MONGO_WIRE_HOME=<that build> BENCH_DB_LEGACY=1 (one data file).
 * Human-readable table first; the last line is one JSON object.
 */
import { performance } from 'node:perf_hooks';
import { Readable } from 'node:stream';
import mongoose, { Types } from 'mongoose';
import { sandboxStore } from '../src/infrastructure/gateways/sandbox/sandbox-store';
import { ensureIndexes, modelsOf } from '../src/infrastructure/mongo/models';
import { percentile } from '../test/support/collector';
import {
  createCampaign,
  seedCompany,
  spawnWorker,
  startSystem,
  type TestSystem,
  waitUntil,
} from '../test/support/system';
import { fmt, log, round2, wallStart } from './support/bench-log';
import { positiveInt } from './support/env';
import { children, cleanups, runBench, stopChild, stopSystem, systems } from './support/lifecycle';
import { startWireServer, type WireServer } from './support/wire-server';

const N = positiveInt('BENCH_CONTACTS', 1_000_000);
const COMPANIES = 20;
const LIST_SIZE = 40;
const SAMPLES = positiveInt('BENCH_DB_SAMPLES', 200);
const IMPORT_ROWS = positiveInt('BENCH_DB_IMPORT', 200_000);
const SCRATCH = positiveInt('BENCH_DB_SCRATCH', 200_000);
const ROUNDS = 3;
const SMALL = 5;
const PORT = positiveInt('BENCH_DB_PORT', 27101);
const DIR = process.env.BENCH_DB_DIR || '/tmp/disparo-bench-db';
const LEGACY = process.env.BENCH_DB_LEGACY === '1';
const PHASES = new Set((process.env.BENCH_DB_PHASES || 'insert,read,due,drop').split(','));
const mb = (bytes: number) => Math.round((bytes / 1e6) * 10) / 10;

function contactDoc(companyId: Types.ObjectId, allList: Types.ObjectId, list: Types.ObjectId, i: number) {
  return {
    _id: new Types.ObjectId(),
    companyId,
    phone: `+55${11 + (i % 80)}9${String(i).padStart(8, '0')}`,
    name: `Pessoa ${i}`,
    fields: { city: `Cidade ${i % 50}`, plan: i % 3 ? 'ouro' : 'prata' },
    listIds: [allList, list],
    valid: true,
    onWhatsApp: null,
    rejectReason: null,
    checkedAt: null,
    updatedAt: new Date(),
  };
}

/** Writes `count` contacts of `companies` with 2 insertMany batches of 1,000 in flight; docs/s. */
async function insertContacts(
  collection: mongoose.mongo.Collection,
  count: number,
  companies: Array<{ id: Types.ObjectId; all: Types.ObjectId; lists: Types.ObjectId[] }>,
  from = 0,
) {
  const started = performance.now();
  let next = 0;
  let lastLog = performance.now();
  const perCompany = Math.ceil(count / companies.length);
  const batch = async () => {
    for (;;) {
      const start = next;
      if (start >= count) return;
      next += 1_000;
      const docs = [];
      for (let i = start; i < Math.min(count, start + 1_000); i++) {
        const company = companies[Math.floor(i / perCompany)]!;
        const k = i % perCompany;
        docs.push(
          contactDoc(
            company.id,
            company.all,
            company.lists[Math.floor(k / LIST_SIZE) % company.lists.length]!,
            from + i,
          ),
        );
      }
      await collection.insertMany(docs, { ordered: false });
      if (performance.now() - lastLog > 15_000) {
        lastLog = performance.now();
        log(`  ${fmt(next)} of ${fmt(count)} (${fmt(next / ((performance.now() - started) / 1000))}/s)`);
      }
    }
  };
  await Promise.all([batch(), batch()]);
  return count / ((performance.now() - started) / 1000);
}

async function timed<T>(samples: number, run: () => Promise<T>): Promise<number[]> {
  const ms: number[] = [];
  for (let i = 0; i < samples; i++) {
    const started = performance.now();
    await run();
    ms.push(performance.now() - started);
  }
  return ms;
}

interface DueResult {
  /** The control round, before the import started. */
  quietMs: number[];
  dueToFirstSendMs: number[];
  duringImport: number;
  importRows: number;
  importSeconds: number;
}

async function dueDuringImport(system: TestSystem): Promise<DueResult> {
  const pacing = { messageInterval: 0.1, longerIntervalAfter: 20, greaterInterval: 0.3 };
  const small: Array<Awaited<ReturnType<typeof seedCompany>>> = [];
  for (let i = 0; i < SMALL; i++)
    small.push(await seedCompany(system, { pacing, contacts: LIST_SIZE, connections: ROUNDS + 1 }));
  const large = await seedCompany(system, { pacing, contacts: 1, connections: 1 });
  const worker = await spawnWorker(system, 'all');
  children.add(worker);
  await new Promise((resolve) => setTimeout(resolve, 3_000)); // the worker opens its lanes

  const Message = sandboxStore(system.db).Message;
  const round = async (index: number, connectionOf: (company: (typeof small)[number]) => string) => {
    const at = Math.ceil((Date.now() + 3_000) / 1000) * 1000; // all due in the same second
    const connections = small.map(connectionOf);
    const campaignIds: string[] = [];
    for (const company of small) {
      campaignIds.push(
        await createCampaign(system, company.key, {
          connectionId: connectionOf(company),
          listId: company.listId,
          scheduledAt: new Date(at).toISOString(),
        }),
      );
    }
    const firsts = await waitUntil(
      `round ${index}: a send on every connection`,
      async () => {
        const sends = await Message.find(
          { connectionId: { $in: connections }, receivedAt: { $gte: new Date(at - 1_000) } },
          { connectionId: 1, receivedAt: 1 },
        ).lean();
        const first = new Map<string, number>();
        for (const send of sends) {
          const t = send.receivedAt.getTime();
          if (!first.has(send.connectionId) || t < first.get(send.connectionId)!) first.set(send.connectionId, t);
        }
        return first.size === connections.length ? first : undefined;
      },
      120_000,
      50,
    );
    await logStages(index, campaignIds, at);
    return connections.map((c) => firsts.get(c)! - at);
  };
  /**
   * Where the time from due to first send goes, per campaign (ms after the due second): started
   * (CampaignDue consumed: the broker's delay levels), first shipping written (audience read and
   * planned; contact-prepare began the batch), its planned time, its claim (the lane received it and
   * dispatch read what it needs), its sentAt (the lane's send, written after the provider answered).
   */
  const logStages = async (index: number, campaignIds: string[], at: number) => {
    const ids = campaignIds.map((id) => new Types.ObjectId(id));
    const campaigns = await system.models.Campaign.find({ _id: { $in: ids } }, { startedAt: 1 }).lean();
    const stages: string[] = [];
    for (const campaign of campaigns) {
      const shippings = await system.models.Shipping.find(
        { campaignId: campaign._id },
        { createdAt: 1, plannedAt: 1, claimedAt: 1, sentAt: 1 },
      ).lean();
      const min = (values: Array<Date | null | undefined>) => {
        const times = values.filter((v): v is Date => v instanceof Date).map((v) => v.getTime() - at);
        return times.length ? Math.min(...times) : Number.NaN;
      };
      stages.push(
        [
          campaign.startedAt ? campaign.startedAt.getTime() - at : Number.NaN,
          min(shippings.map((s) => s.createdAt)),
          min(shippings.map((s) => s.plannedAt)),
          min(shippings.map((s) => s.claimedAt)),
          min(shippings.map((s) => s.sentAt)),
        ].join('/'),
      );
    }
    log(`  round ${index} stages (started/shipping written/planned/claimed/sent, ms after due): ${stages.join('  ')}`);
  };
  const quietMs = await round(0, (company) => company.connections[ROUNDS]!);
  log(`  control round before the import: due → first send ${quietMs.join(', ')} ms`);

  async function* csv() {
    yield 'name,phone,city\n';
    for (let start = 0; start < IMPORT_ROWS; start += 1_000) {
      let chunk = '';
      for (let i = start; i < Math.min(IMPORT_ROWS, start + 1_000); i++)
        chunk += `Grande ${i},+55219${String(70_000_000 + i).padStart(8, '0')},Rio\n`;
      yield chunk;
    }
  }
  log(
    `import of ${fmt(IMPORT_ROWS)} contacts by a large company starts; ${ROUNDS} rounds of ${SMALL} campaigns due in the same second`,
  );
  const importStarted = performance.now();
  let importEnded = Number.POSITIVE_INFINITY;
  const importDone = fetch(`${system.apiUrl}/v1/contact-lists/${large.listId}/imports`, {
    method: 'POST',
    headers: { authorization: `Bearer ${large.key}`, 'content-type': 'text/csv' },
    body: Readable.toWeb(Readable.from(csv())) as ReadableStream,
    duplex: 'half',
  } as RequestInit).then(async (response) => {
    importEnded = performance.now();
    const body = (await response.json()) as { rowsRead?: number; imported?: number };
    if (response.status !== 200 && response.status !== 201)
      throw new Error(`import: ${response.status} ${JSON.stringify(body)}`);
    return body;
  });
  await new Promise((resolve) => setTimeout(resolve, 2_000));

  const dueToFirstSendMs: number[] = [];
  let duringImport = 0;
  for (let r = 0; r < ROUNDS; r++) {
    const roundMs = await round(r + 1, (company) => company.connections[r]!);
    const inImport = performance.now() < importEnded;
    if (inImport) duringImport += roundMs.length;
    dueToFirstSendMs.push(...roundMs);
    log(
      `  round ${r + 1}: due → first send ${roundMs.join(', ')} ms${inImport ? ' (import still running)' : ' (import had ended)'}`,
    );
  }
  const report = await importDone;
  const importSeconds = (importEnded - importStarted) / 1000;
  log(
    `import: ${fmt(report.rowsRead ?? 0)} rows (${fmt(report.imported ?? 0)} imported) in ${importSeconds.toFixed(1)} s`,
  );
  await stopChild(worker);
  return { quietMs, dueToFirstSendMs, duringImport, importRows: report.imported ?? 0, importSeconds };
}

async function main(): Promise<void> {
  log(
    `db bench: N=${fmt(N)} contacts, ${COMPANIES} companies; own wire server on :${PORT} (${LEGACY ? 'legacy single file' : 'one file per database'}), data in ${DIR}`,
  );
  const javaOptions = (process.env.BENCH_DB_JAVA_OPTS || '').split(' ').filter(Boolean);
  const server: WireServer = await startWireServer({
    port: PORT,
    dir: DIR,
    heap: process.env.BENCH_DB_HEAP || '3g',
    legacyFile: LEGACY,
    javaOptions,
  });
  cleanups.add(() => server.stop());
  process.env.MONGO_URL = server.url;

  const system = await startSystem('bench-db', { workers: [] });
  systems.add(system);
  await ensureIndexes(system.models);
  const companies = Array.from({ length: COMPANIES }, () => ({
    id: new Types.ObjectId(),
    all: new Types.ObjectId(),
    lists: Array.from({ length: Math.max(1, Math.floor(N / COMPANIES / LIST_SIZE)) }, () => new Types.ObjectId()),
  }));

  let insertPerSec = Number.NaN;
  if (PHASES.has('insert')) {
    log(`insert: ${fmt(N)} contacts (insertMany of 1,000, 2 at once)…`);
    insertPerSec = await insertContacts(system.models.Contact.collection, N, companies);
    log(`insert: ${fmt(insertPerSec)} contacts/s`);
  }

  let listMs: number[] = [];
  let countMs: number[] = [];
  if (PHASES.has('read')) {
    const company = companies[COMPANIES - 1]!;
    const list = company.lists[7 % company.lists.length]!;
    const found = await system.models.Contact.find({ companyId: company.id, listIds: list }).lean();
    log(`reads: a ${found.length}-contact list of one company, ${SAMPLES} times each (find, countDocuments)…`);
    listMs = await timed(SAMPLES, () => system.models.Contact.find({ companyId: company.id, listIds: list }).lean());
    countMs = await timed(SAMPLES, () =>
      system.models.Contact.countDocuments({ companyId: company.id, listIds: list }),
    );
    log(
      `list read p50 ${percentile(listMs, 50).toFixed(1)} / p99 ${percentile(listMs, 99).toFixed(1)} ms; count p50 ${percentile(countMs, 50).toFixed(1)} / p99 ${percentile(countMs, 99).toFixed(1)} ms`,
    );
  }

  let due: DueResult | null = null;
  if (PHASES.has('due')) due = await dueDuringImport(system);

  let dataBefore = Number.NaN;
  let dataAfter = Number.NaN;
  if (PHASES.has('drop')) {
    const scratchUrl = new URL(server.url);
    scratchUrl.pathname = '/bench_db_scratch';
    const scratch = await mongoose.createConnection(scratchUrl.toString()).asPromise();
    await ensureIndexes(modelsOf(scratch));
    log(`drop: a scratch database of ${fmt(SCRATCH)} contacts…`);
    await insertContacts(modelsOf(scratch).Contact.collection, SCRATCH, companies.slice(0, 2), 5_000_000);
    await new Promise((resolve) => setTimeout(resolve, 2_000)); // the store's background writer flushes
    dataBefore = server.dataBytes();
    await scratch.dropDatabase();
    await scratch.close();
    await new Promise((resolve) => setTimeout(resolve, 2_000));
    dataAfter = server.dataBytes();
    log(`data files: ${mb(dataBefore)} MB before the drop, ${mb(dataAfter)} MB after`);
  }

  // how long writes waited for a collection's write lock over the whole run (the server counts it)
  const lockWaits: Record<string, unknown> = {};
  for (const collection of ['contacts', 'shippings', 'campaigns']) {
    const stats = await system.models.Contact.db.db!.command({ disparoIndexStats: collection }).catch(() => null);
    if (stats?.lock) lockWaits[collection] = stats.lock;
  }
  log(`write-lock waits: ${JSON.stringify(lockWaits)}`);

  await stopSystem(system);
  report({ insertPerSec, listMs, countMs, due, dataBefore, dataAfter });
}

function report(r: {
  insertPerSec: number;
  listMs: number[];
  countMs: number[];
  due: DueResult | null;
  dataBefore: number;
  dataAfter: number;
}): void {
  const p = (values: number[], q: number) => (values.length ? round2(percentile(values, q)) : null);
  const listP99 = p(r.listMs, 99);
  const countP99 = p(r.countMs, 99);
  const dueP99 = r.due ? percentile(r.due.dueToFirstSendMs, 99) : null;
  const ok = (pass: boolean | null) => (pass === null ? '' : pass ? 'ok' : 'MISSED');
  const rows: string[][] = [
    ['measure', 'value', 'goal', ''],
    ['server', LEGACY ? 'legacy launcher (one file)' : 'one file per database, in-memory indexes', '', ''],
    ['contacts', fmt(N), '≥ 1,000,000', ok(N >= 1_000_000)],
    ['insertPerSec (insertMany 1,000 × 2)', Number.isNaN(r.insertPerSec) ? 'n/a' : fmt(r.insertPerSec), '≥ before', ''],
    [
      `listReadMs p50 / p99 (${LIST_SIZE}-contact list, ${r.listMs.length} reads)`,
      `${p(r.listMs, 50)} / ${listP99}`,
      '≤ 20',
      ok(listP99 === null ? null : listP99 <= 20),
    ],
    [
      `countMs p50 / p99 (countDocuments, ${r.countMs.length})`,
      `${p(r.countMs, 50)} / ${countP99}`,
      '≤ 20',
      ok(countP99 === null ? null : countP99 <= 20),
    ],
    [
      `dueToFirstSendMs p50 / p99 (${r.due?.dueToFirstSendMs.length ?? 0} campaigns, ${r.due?.duringImport ?? 0} during the import)`,
      r.due ? `${percentile(r.due.dueToFirstSendMs, 50)} / ${dueP99}` : 'n/a',
      '≤ 250',
      ok(dueP99 === null ? null : dueP99 <= 250),
    ],
    [
      '  control round before the import, p50 / p99 (ms)',
      r.due ? `${percentile(r.due.quietMs, 50)} / ${percentile(r.due.quietMs, 99)}` : 'n/a',
      '',
      '',
    ],
    [
      'import by the large company (rows, s)',
      r.due ? `${fmt(r.due.importRows)} in ${r.due.importSeconds.toFixed(1)} s` : 'n/a',
      '',
      '',
    ],
    [
      'dataFileMb before / after dropping a database',
      `${mb(r.dataBefore)} / ${mb(r.dataAfter)}`,
      'shrinks',
      ok(Number.isNaN(r.dataBefore) ? null : r.dataAfter < r.dataBefore),
    ],
  ];
  const widths = rows[0]!.map((_, column) => Math.max(...rows.map((row) => row[column]!.length)));
  const line = (row: string[]) =>
    row
      .map((cell, column) => (column === 0 ? cell.padEnd(widths[column]!) : cell.padStart(widths[column]!)))
      .join('  ');
  process.stdout.write(`\ndb bench (${((performance.now() - wallStart) / 1000).toFixed(0)} s total)\n`);
  process.stdout.write(
    `${line(rows[0]!)}\n${widths.map((w) => '-'.repeat(w)).join('  ')}\n${rows.slice(1).map(line).join('\n')}\n`,
  );
  process.stdout.write(
    `${JSON.stringify({
      legacy: LEGACY,
      contacts: N,
      insertPerSec: Number.isNaN(r.insertPerSec) ? null : Math.round(r.insertPerSec),
      listReadMsP50: p(r.listMs, 50),
      listReadMsP99: listP99,
      countMsP50: p(r.countMs, 50),
      countMsP99: countP99,
      dueToFirstSendMsP50: r.due ? percentile(r.due.dueToFirstSendMs, 50) : null,
      dueToFirstSendMsP99: dueP99,
      dueDuringImport: r.due?.duringImport ?? null,
      dueQuietMsP99: r.due ? percentile(r.due.quietMs, 99) : null,
      importRows: r.due?.importRows ?? null,
      importSeconds: r.due ? round2(r.due.importSeconds) : null,
      dataFileMbBeforeDrop: Number.isNaN(r.dataBefore) ? null : mb(r.dataBefore),
      dataFileMbAfterDrop: Number.isNaN(r.dataAfter) ? null : mb(r.dataAfter),
    })}\n`,
  );
}

runBench(main);
