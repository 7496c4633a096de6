/**
 * API throughput and latency under load from a second process, with a full database.
 *
 *   npm run bench:api      (bash scripts/with-infra.sh tsx bench/api.ts)
 *
 * 1. Seeds a dedicated database (`disparo_bench_api_<time>`, listed in `disparo_bench_api`) with one company, one sandbox connection,
 *    one list, BENCH_CAMPAIGNS campaigns (default 10,000; running, with counters) and
 *    BENCH_SHIPPINGS shippings (default 1,000,000) spread over them, through the mongoose models'
 *    collections (unordered bulk inserts, 1,000 per call, a few in parallel). A seeded database is
 *    reused when its counts match (seeding 1M shippings takes minutes on the local server);
 *    BENCH_API_RESEED=1 forces a fresh one.
 * 2. Starts the API as a child process (`disparo api`) on its own vhost.
 * 3. From this process, autocannon on loopback: `GET /v1/campaigns/:id/progress` over a rotating
 *    set of campaign ids, then `POST /v1/campaigns` (each creates a draft), BENCH_SECONDS (10) each,
 *    BENCH_CONNECTIONS (10, autocannon's default) connections.
 * The last line is JSON: {"progressRps","progressP99Ms","createRps","createP99Ms", …}.
 */
import { performance } from 'node:perf_hooks';
import autocannon from 'autocannon';
import mongoose, { Types } from 'mongoose';
import { hashApiKey } from '../src/application/companies/api-keys';
import { DEFAULT_PACING } from '../src/domain/pacing/pacing-settings';
import { ensureIndexes, type Models, modelsOf } from '../src/infrastructure/mongo/models';
import { exitOf, spawnDisparo } from '../test/support/processes';
import { freePort } from '../test/support/system';
import { positiveInt } from './support/env';
import { withVhost } from './support/infra';

const CAMPAIGNS = positiveInt('BENCH_CAMPAIGNS', 10_000);
const SHIPPINGS = positiveInt('BENCH_SHIPPINGS', 1_000_000);
const SECONDS = positiveInt('BENCH_SECONDS', 10);
const CONNECTIONS = positiveInt('BENCH_CONNECTIONS', 10);
const PARALLEL_INSERTS = 3;
const BATCH = 1_000;
const API_KEY = 'dsp_bench-api-key-0123456789abcdef';
const ADMIN = 'bench-admin-key-0123456789';
const INDEX_DATABASE = 'disparo_bench_api';

interface Seeded {
  campaignIds: string[];
  connectionId: string;
  listId: string;
}

function mongoUrlOf(database: string): string {
  const url = new URL(process.env.MONGO_URL ?? 'mongodb://127.0.0.1:27017/disparo');
  url.pathname = `/${database}`;
  return url.toString();
}

/** Runs `work(i)` for i in [0, count) with at most `parallel` at once. */
async function inParallel(count: number, parallel: number, work: (i: number) => Promise<void>): Promise<void> {
  let next = 0;
  await Promise.all(
    Array.from({ length: parallel }, async () => {
      while (next < count) await work(next++);
    }),
  );
}

interface SeedMark {
  _id: string;
  campaigns: number;
  shippings: number;
  database: string;
  seeded: Seeded;
}

/**
 * The seeded database to use: the last one when its counts match, else a fresh one (a new name each
 * time: the local server does not take a dropped and re-created collection well). The index of
 * seeded databases lives in `disparo_bench_api`.
 */
async function seededDatabase(): Promise<{ db: mongoose.Connection; seeded: Seeded }> {
  const index = await mongoose.createConnection(mongoUrlOf(INDEX_DATABASE)).asPromise();
  try {
    const marks = index.collection<SeedMark>('seeds');
    const mark = await marks.findOne({ _id: 'last' });
    if (mark && mark.campaigns === CAMPAIGNS && mark.shippings === SHIPPINGS && process.env.BENCH_API_RESEED !== '1') {
      process.stdout.write(
        `  reusing the seeded database ${mark.database} (${CAMPAIGNS} campaigns, ${SHIPPINGS} shippings)\n`,
      );
      return { db: await mongoose.createConnection(mongoUrlOf(mark.database)).asPromise(), seeded: mark.seeded };
    }
    if (mark) await dropQuietly(mark.database);
    const database = `${INDEX_DATABASE}_${Date.now().toString(36)}`;
    const db = await mongoose.createConnection(mongoUrlOf(database)).asPromise();
    const seeded = await seed(modelsOf(db));
    await marks.replaceOne(
      { _id: 'last' },
      { campaigns: CAMPAIGNS, shippings: SHIPPINGS, database, seeded },
      { upsert: true },
    );
    return { db, seeded };
  } finally {
    await index.close();
  }
}

async function dropQuietly(database: string): Promise<void> {
  const db = await mongoose.createConnection(mongoUrlOf(database)).asPromise();
  await db
    .dropDatabase()
    .catch((error: Error) => process.stdout.write(`  (could not drop ${database}: ${error.message})\n`));
  await db.close();
}

async function seed(models: Models): Promise<Seeded> {
  await ensureIndexes(models);
  const companyId = new Types.ObjectId();
  await models.Company.collection.insertOne({
    _id: companyId,
    name: 'Bench',
    timezone: 'America/Sao_Paulo',
    defaultRegion: 'BR',
    pacing: DEFAULT_PACING,
    createdAt: new Date(),
  });
  await models.ApiKey.collection.insertOne({
    _id: hashApiKey(API_KEY) as never,
    keyId: new Types.ObjectId().toHexString(),
    companyId,
    label: 'bench',
    preview: API_KEY.slice(0, 8),
    createdAt: new Date(),
  });
  const connectionId = new Types.ObjectId();
  await models.Connection.collection.insertOne({
    _id: connectionId,
    companyId,
    name: 'Bench number',
    gateway: 'sandbox',
    status: 'connected',
    haltedReason: null,
    haltedAt: null,
    sandbox: { latencyMs: 0, failureRate: 0 },
    cloudApi: null,
    createdAt: new Date(),
  });
  const listId = new Types.ObjectId();
  await models.ContactList.collection.insertOne({ _id: listId, companyId, name: 'Bench list', createdAt: new Date() });

  const perCampaign = Math.ceil(SHIPPINGS / CAMPAIGNS);
  const campaignIds = Array.from({ length: CAMPAIGNS }, () => new Types.ObjectId());
  const now = Date.now();
  let started = performance.now();
  await inParallel(Math.ceil(CAMPAIGNS / BATCH), PARALLEL_INSERTS, async (batch) => {
    const docs = campaignIds.slice(batch * BATCH, (batch + 1) * BATCH).map((_id, k) => {
      const sent = Math.floor(perCampaign * 0.6);
      return {
        _id,
        companyId,
        connectionId,
        listId,
        name: `Campaign ${batch * BATCH + k}`,
        variants: ['Olá {name}!'],
        mediaUrl: null,
        pacing: null,
        scheduledAt: new Date(now - 3_600_000),
        status: 'running',
        plan: null,
        processingDone: true,
        preparedBatches: [0],
        counters: {
          audience: perCampaign,
          prepared: perCampaign,
          sent,
          failed: 1,
          cancelled: 0,
          skipped: 0,
          missing: 0,
          delivered: 0,
          read: 0,
          undelivered: 0,
        },
        queuedAt: new Date(now - 3_600_000),
        lastActivityAt: new Date(now),
        plannedUntil: new Date(now + 3_600_000),
        createdAt: new Date(now - 7_200_000),
        startedAt: new Date(now - 3_600_000),
        completedAt: null,
      };
    });
    await models.Campaign.collection.insertMany(docs, { ordered: false });
  });
  process.stdout.write(`  ${CAMPAIGNS} campaigns in ${((performance.now() - started) / 1000).toFixed(1)} s\n`);

  started = performance.now();
  const batches = Math.ceil(SHIPPINGS / BATCH);
  let done = 0;
  await inParallel(batches, PARALLEL_INSERTS, async (batch) => {
    const docs = Array.from({ length: Math.min(BATCH, SHIPPINGS - batch * BATCH) }, (_, k) => {
      const i = batch * BATCH + k;
      const campaignIndex = i % CAMPAIGNS;
      const position = Math.floor(i / CAMPAIGNS);
      const status = position < perCampaign * 0.6 ? 'sent' : 'queued';
      return {
        companyId,
        campaignId: campaignIds[campaignIndex]!,
        contactId: new Types.ObjectId(),
        connectionId,
        phone: `+5511${String(900_000_000 + (i % 100_000_000))}`,
        text: `Olá Cliente ${i}!`,
        variant: 0,
        mediaUrl: null,
        status,
        plannedAt: new Date(now + position * 20_000),
        sentAt: status === 'sent' ? new Date(now) : null,
        attempts: status === 'sent' ? 1 : 0,
        lastError: null,
        providerMessageId: null,
        deliveryStatus: null,
        deliveryRank: 0,
        deliveredAt: null,
        readAt: null,
        failedReason: null,
        createdAt: new Date(now),
      };
    });
    await models.Shipping.collection.insertMany(docs, { ordered: false });
    done += docs.length;
    if (batch % 100 === 0)
      process.stdout.write(`  … ${done} shippings (${Math.round(done / ((performance.now() - started) / 1000))}/s)\n`);
  });
  const seconds = (performance.now() - started) / 1000;
  process.stdout.write(`  ${SHIPPINGS} shippings in ${seconds.toFixed(1)} s (${Math.round(SHIPPINGS / seconds)}/s)\n`);
  return { campaignIds: campaignIds.map(String), connectionId: String(connectionId), listId: String(listId) };
}

interface Load {
  rps: number;
  p50Ms: number;
  p99Ms: number;
  non2xx: number;
  errors: number;
  requests: number;
}

async function load(options: autocannon.Options): Promise<Load> {
  const result = await autocannon({ connections: CONNECTIONS, duration: SECONDS, ...options });
  return {
    rps: Math.round(result.requests.average),
    p50Ms: result.latency.p50,
    p99Ms: result.latency.p99,
    non2xx: result.non2xx,
    errors: result.errors + result.timeouts,
    requests: result.requests.total,
  };
}

async function main(): Promise<void> {
  process.stdout.write(
    `api bench: ${CAMPAIGNS} campaigns, ${SHIPPINGS} shippings, ${SECONDS} s × ${CONNECTIONS} connections per measure\n`,
  );
  const { db, seeded } = await seededDatabase();
  const models = modelsOf(db);
  try {
    const shippingCount = await models.Shipping.estimatedDocumentCount();
    await withVhost('api', async (vhost) => {
      const port = await freePort();
      const api = spawnDisparo('api', {
        NODE_ENV: 'production',
        LOG_LEVEL: 'warn',
        RABBITMQ_URL: vhost.url,
        MONGO_URL: mongoUrlOf(db.name),
        HTTP_HOST: '127.0.0.1',
        HTTP_PORT: String(port),
        ADMIN_API_KEY: ADMIN,
      });
      try {
        if (!(await ready(port))) throw new Error(`the API did not become ready:\n${api.output().slice(-3000)}`);
        const url = `http://127.0.0.1:${port}`;
        const headers = { authorization: `Bearer ${API_KEY}`, 'content-type': 'application/json' };
        let next = 0;
        const ids = seeded.campaignIds;
        // Warm-up: JIT and connection pools.
        await load({
          url,
          duration: 2,
          headers,
          requests: [
            {
              method: 'GET',
              setupRequest: (req) => ({ ...req, path: `/v1/campaigns/${ids[next++ % ids.length]}/progress` }),
            },
          ],
        });
        const progress = await load({
          url,
          headers,
          requests: [
            {
              method: 'GET',
              setupRequest: (req) => ({ ...req, path: `/v1/campaigns/${ids[next++ % ids.length]}/progress` }),
            },
          ],
        });
        process.stdout.write(
          `  GET  progress: ${progress.rps} req/s, p50 ${progress.p50Ms} ms, p99 ${progress.p99Ms} ms (${progress.requests} requests, non-2xx ${progress.non2xx}, errors ${progress.errors})\n`,
        );
        const body = JSON.stringify({
          name: 'Bench created',
          connectionId: seeded.connectionId,
          listId: seeded.listId,
          variants: ['Olá {name}!'],
        });
        const create = await load({ url: `${url}/v1/campaigns`, headers, method: 'POST', body });
        process.stdout.write(
          `  POST campaigns: ${create.rps} req/s, p50 ${create.p50Ms} ms, p99 ${create.p99Ms} ms (${create.requests} requests, non-2xx ${create.non2xx}, errors ${create.errors})\n`,
        );
        // Leave the seeded database as it was for the next run.
        await models.Campaign.deleteMany({ name: 'Bench created' });

        printTable(progress, create);
        const result = {
          progressRps: progress.rps,
          progressP99Ms: progress.p99Ms,
          createRps: create.rps,
          createP99Ms: create.p99Ms,
          progressP50Ms: progress.p50Ms,
          createP50Ms: create.p50Ms,
          non2xx: progress.non2xx + create.non2xx,
          campaigns: CAMPAIGNS,
          shippings: shippingCount,
          seconds: SECONDS,
          connections: CONNECTIONS,
        };
        process.stdout.write(`${JSON.stringify(result)}\n`);
      } finally {
        api.kill('SIGTERM');
        await exitOf(api);
      }
    });
  } finally {
    await db.close();
  }
}

async function ready(port: number): Promise<boolean> {
  for (let i = 0; i < 120; i++) {
    const ok = await fetch(`http://127.0.0.1:${port}/readyz`).then(
      (r) => r.ok,
      () => false,
    );
    if (ok) return true;
    await new Promise((resolve) => setTimeout(resolve, 500));
  }
  return false;
}

function printTable(progress: Load, create: Load): void {
  process.stdout.write('\n| | req/s | p50 ms | p99 ms | goal |\n|---|---|---|---|---|\n');
  process.stdout.write(
    `| GET /v1/campaigns/:id/progress | ${progress.rps} | ${progress.p50Ms} | ${progress.p99Ms} | p99 ≤ 50 ms ${progress.p99Ms <= 50 ? '✓' : '✗'} |\n`,
  );
  process.stdout.write(`| POST /v1/campaigns | ${create.rps} | ${create.p50Ms} | ${create.p99Ms} | |\n\n`);
}

main().catch((error) => {
  console.error(error);
  process.exitCode = 1;
});
