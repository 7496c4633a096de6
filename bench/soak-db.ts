/**
 * Soak test of the embedded MongoDB-wire server (this checkout's build, on a port and data
 * directory of its own: SOAK_DB_PORT, default 27103; SOAK_DB_DIR, default /tmp/disparo-soak-db).
 *
 *   npm run soak:db
 *
 * Until SOAK_DOCS documents (default 2,000,000) are written, bounded by SOAK_SECONDS (default 600;
 * reaching the bound before the documents is a failed check) — sized for a 2-core machine:
 * - 2 writers, each in a loop: create a database with Disparo's indexes, insert 100,000 contacts
 *   (insertMany of 1,000), $addToSet a list on 10,000 of them, delete 5,000, then drop the database;
 * - 1 long-lived database takes churn all along: batches of inserts, updates that rewrite documents,
 *   deletes, so it stays at ~50,000 contacts while its file sees millions of writes;
 * - 1 reader asks listDatabases, dbStats, find and countDocuments by list, and an aggregate, all along.
 * Then every command must still answer (listDatabases included), the data files must be back under
 * SOAK_DB_MAX_MB (default 200) once the scratch databases are dropped, and after a restart (which
 * compacts the files) the long-lived database must answer with the same count.
 * Prints a table and a JSON last line; exit status 1 when a check fails.
 */
import { performance } from 'node:perf_hooks';
import mongoose, { Types } from 'mongoose';
import { ensureIndexes, modelsOf } from '../src/infrastructure/mongo/models';
import { sleep } from '../test/support/collector';
import { fmt, log, wallStart } from './support/bench-log';
import { positiveInt } from './support/env';
import { cleanups, runBench } from './support/lifecycle';
import { startWireServer, type WireServer } from './support/wire-server';

const SECONDS = positiveInt('SOAK_SECONDS', 600);
const DOCS = positiveInt('SOAK_DOCS', 2_000_000);
const PORT = positiveInt('SOAK_DB_PORT', 27103);
const DIR = process.env.SOAK_DB_DIR || '/tmp/disparo-soak-db';
const MAX_MB = positiveInt('SOAK_DB_MAX_MB', 200);
const SCRATCH_DOCS = 100_000;
const LIVE_DOCS = 50_000;

const mb = (bytes: number) => Math.round((bytes / 1e6) * 10) / 10;

function contact(companyId: Types.ObjectId, listId: Types.ObjectId, i: number) {
  return {
    companyId,
    phone: `+55119${String(i).padStart(8, '0')}`,
    name: `Pessoa ${i}`,
    fields: { city: 'Santos', note: 'x'.repeat(80) },
    listIds: [listId],
    valid: true,
    onWhatsApp: null,
    rejectReason: null,
    checkedAt: null,
    updatedAt: new Date(),
  };
}

async function main(): Promise<void> {
  let server: WireServer = await startWireServer({ port: PORT, dir: DIR, heap: process.env.SOAK_DB_HEAP || '2g' });
  cleanups.add(() => server.stop());
  const url = (db: string) => server.url.replace(/\/disparo$/, `/${db}`);
  const deadline = performance.now() + SECONDS * 1000;
  let written = 0;
  let created = 0;
  let dropped = 0;
  let reads = 0;
  let peakBytes = 0;
  const errors: string[] = [];
  const going = () => performance.now() < deadline && written < DOCS && errors.length === 0;
  log(
    `soak: ${fmt(DOCS)} documents within ${SECONDS} s; 2 writers create/fill/drop databases of ${fmt(SCRATCH_DOCS)}, 1 database of ~${fmt(LIVE_DOCS)} churns, 1 reader; server on :${PORT}`,
  );

  // the long-lived database
  const live = await mongoose.createConnection(url('soak_live')).asPromise();
  const liveModels = modelsOf(live);
  await ensureIndexes(liveModels);
  const liveCompany = new Types.ObjectId();
  const liveList = new Types.ObjectId();
  let liveNext = 0;

  const writer = async (w: number) => {
    while (going()) {
      const name = `soak_w${w}_${created++}`;
      const connection = await mongoose.createConnection(url(name)).asPromise();
      try {
        const models = modelsOf(connection);
        await ensureIndexes(models);
        const companyId = new Types.ObjectId();
        const lists = [new Types.ObjectId(), new Types.ObjectId()];
        for (let from = 0; from < SCRATCH_DOCS && going(); from += 1_000) {
          const docs = Array.from({ length: 1_000 }, (_, k) => contact(companyId, lists[(from + k) % 2]!, from + k));
          await models.Contact.collection.insertMany(docs, { ordered: false });
          written += docs.length;
        }
        await models.Contact.updateMany(
          { companyId, listIds: lists[0] },
          { $addToSet: { listIds: new Types.ObjectId() } },
        );
        await models.Contact.deleteMany({ companyId, listIds: lists[1], phone: { $lt: '+5511900010000' } });
        peakBytes = Math.max(peakBytes, server.dataBytes());
        await connection.dropDatabase();
        dropped++;
      } finally {
        await connection.close();
      }
    }
  };

  const liveIds: Types.ObjectId[][] = [];
  const churn = async () => {
    while (going()) {
      const docs = Array.from({ length: 1_000 }, () => ({
        _id: new Types.ObjectId(),
        ...contact(liveCompany, liveList, liveNext++),
      }));
      await liveModels.Contact.collection.insertMany(docs, { ordered: false });
      liveIds.push(docs.map((d) => d._id));
      written += docs.length;
      // rewrite some documents, and keep the size at ~LIVE_DOCS by deleting the oldest
      await liveModels.Contact.updateMany(
        { companyId: liveCompany, phone: { $in: docs.slice(0, 200).map((d) => d.phone) } },
        { $set: { 'fields.note': 'y'.repeat(120), updatedAt: new Date() } },
      );
      if (liveNext > LIVE_DOCS) await liveModels.Contact.deleteMany({ _id: { $in: liveIds.shift()! } });
    }
  };

  const reader = async () => {
    const admin = live.db!.admin();
    while (going()) {
      try {
        await admin.listDatabases();
        await live.db!.stats();
        await liveModels.Contact.find({ companyId: liveCompany, listIds: liveList }).limit(50).lean();
        await liveModels.Contact.countDocuments({ companyId: liveCompany, listIds: liveList });
        await liveModels.Contact.aggregate([
          { $match: { companyId: liveCompany } },
          { $group: { _id: null, n: { $sum: 1 } } },
        ]);
        reads += 5;
      } catch (error) {
        errors.push(`reader: ${(error as Error).message}`);
      }
      await sleep(200);
    }
  };

  const progress = setInterval(() => {
    peakBytes = Math.max(peakBytes, server.dataBytes());
    log(
      `  ${fmt(written)} written, ${created} databases created, ${dropped} dropped, ${reads} reads, data files ${mb(server.dataBytes())} MB`,
    );
  }, 15_000);
  const guard = (p: Promise<void>, what: string) =>
    p.catch((error: unknown) => void errors.push(`${what}: ${(error as Error).message}`));
  await Promise.all([
    guard(writer(1), 'writer 1'),
    guard(writer(2), 'writer 2'),
    guard(churn(), 'churn'),
    guard(reader(), 'reader'),
  ]);
  clearInterval(progress);
  const soakSeconds = (performance.now() - wallStart) / 1000;
  log(`soak done: ${fmt(written)} documents in ${soakSeconds.toFixed(0)} s; checking every command…`);

  // every command still answers
  const checks: Array<[string, boolean, string]> = [];
  checks.push([
    `${fmt(DOCS)} documents written within ${SECONDS} s`,
    written >= DOCS,
    `${fmt(written)} in ${soakSeconds.toFixed(0)} s (${fmt(written / soakSeconds)}/s)`,
  ]);
  const check = async (what: string, run: () => Promise<unknown>) => {
    try {
      const detail = await run();
      checks.push([what, true, detail === undefined ? '' : String(detail)]);
    } catch (error) {
      checks.push([what, false, (error as Error).message.slice(0, 200)]);
    }
  };
  const extraPhone = contact(liveCompany, liveList, 99_999_999).phone;
  await check('listDatabases', async () =>
    (await live.db!.admin().listDatabases()).databases.map((d) => d.name).join(' '),
  );
  await check('dbStats', async () => (await live.db!.stats()).objects);
  await check(
    'find by list',
    async () => (await liveModels.Contact.find({ companyId: liveCompany, listIds: liveList }).limit(5).lean()).length,
  );
  await check('countDocuments', async () =>
    liveModels.Contact.countDocuments({ companyId: liveCompany, listIds: liveList }),
  );
  await check('insert + unique index', async () => {
    await liveModels.Contact.collection.insertOne(contact(liveCompany, liveList, 99_999_999) as never);
    await liveModels.Contact.collection.insertOne(contact(liveCompany, liveList, 99_999_999) as never).then(
      () => {
        throw new Error('a duplicate was accepted');
      },
      (error: Error) => {
        if (!/E11000/.test(error.message)) throw error;
      },
    );
  });
  await check('findOneAndUpdate (claim)', async () => {
    const claimed = await liveModels.Contact.findOneAndUpdate(
      { companyId: liveCompany, phone: extraPhone, valid: true },
      { $set: { valid: false } },
      { returnDocument: 'after' },
    ).lean();
    const again = await liveModels.Contact.findOneAndUpdate(
      { companyId: liveCompany, phone: extraPhone, valid: true },
      { $set: { valid: false } },
      { returnDocument: 'after' },
    ).lean();
    if (claimed?.valid !== false || again !== null) throw new Error('a claim was not won exactly once');
  });
  await check('deleteOne', async () => {
    const { deletedCount } = await liveModels.Contact.deleteOne({ companyId: liveCompany, phone: extraPhone });
    if (deletedCount !== 1) throw new Error(`deleted ${deletedCount}`);
  });
  await check('create + drop a database', async () => {
    const c = await mongoose.createConnection(url('soak_last')).asPromise();
    await c.db!.collection('x').insertOne({ a: 1 });
    await c.dropDatabase();
    await c.close();
  });
  const liveCount = await liveModels.Contact.countDocuments({ companyId: liveCompany });
  await sleep(2_000);
  const endBytes = server.dataBytes();
  peakBytes = Math.max(peakBytes, endBytes);
  await live.close();

  // a restart compacts the files; the long-lived database answers with the same count
  await server.stop({ keepData: true }).catch(() => undefined);
  cleanups.clear();
  const restartStarted = performance.now();
  server = await startWireServer({ port: PORT, dir: DIR, heap: process.env.SOAK_DB_HEAP || '2g', keep: true });
  cleanups.add(() => server.stop());
  const restartMs = performance.now() - restartStarted;
  log(`restarted in ${Math.round(restartMs)} ms:\n${server.output().trim()}`);
  const again = await mongoose.createConnection(url('soak_live')).asPromise();
  const afterRestart = await modelsOf(again).Contact.countDocuments({ companyId: liveCompany });
  await check('after a restart: same count', async () => {
    if (afterRestart !== liveCount) throw new Error(`${afterRestart} after, ${liveCount} before`);
    return afterRestart;
  });
  await check('after a restart: listDatabases', async () => (await again.db!.admin().listDatabases()).databases.length);
  await again.close();
  const restartBytes = server.dataBytes();

  const failed = checks.filter(([, ok]) => !ok).length + errors.length;
  const sizeOk = mb(endBytes) <= MAX_MB;
  const rows: string[][] = [
    ['measure', 'value'],
    ['documents written', fmt(written)],
    ['databases created / dropped', `${created} / ${dropped}`],
    ['reads during the soak', fmt(reads)],
    ['errors during the soak', String(errors.length)],
    ['peak data files (MB)', String(mb(peakBytes))],
    [`data files at the end (MB, limit ${MAX_MB})`, `${mb(endBytes)} ${sizeOk ? 'ok' : 'MISSED'}`],
    ['data files after a restart (compacted, MB)', String(mb(restartBytes))],
    ['restart (compaction + index build) (ms)', String(Math.round(restartMs))],
    ...checks.map(([what, ok, detail]) => [`  ${what}`, `${ok ? 'ok' : 'FAILED'} ${detail}`.trim().slice(0, 100)]),
  ];
  const width = Math.max(...rows.map((r) => r[0]!.length));
  process.stdout.write(
    `\nsoak:db (${((performance.now() - wallStart) / 1000).toFixed(0)} s total)\n${rows.map((r) => `${r[0]!.padEnd(width)}  ${r[1]}`).join('\n')}\n`,
  );
  for (const error of errors) process.stdout.write(`error: ${error}\n`);
  process.stdout.write(
    `${JSON.stringify({ documents: written, soakSeconds: Math.round(soakSeconds), docsPerSec: Math.round(written / soakSeconds), databasesCreated: created, databasesDropped: dropped, reads, errors: errors.length, failedChecks: failed, peakDataMb: mb(peakBytes), endDataMb: mb(endBytes), maxDataMb: MAX_MB, restartDataMb: mb(restartBytes), restartMs: Math.round(restartMs) })}\n`,
  );
  if (failed > 0 || !sizeOk)
    throw new Error(`soak:db: ${failed} failed checks or errors, data files ${mb(endBytes)} MB (limit ${MAX_MB})`);
}

runBench(main);
