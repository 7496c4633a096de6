/** Disparo's prepare measurement (bench/pipeline.ts and bench/baseline/run.ts): N contacts of one campaign prepared. */
import { performance } from 'node:perf_hooks';
import mongoose, { Types } from 'mongoose';
import type { Models } from '../../src/infrastructure/mongo/models';
import { sleep } from '../../test/support/collector';
import { liveQueue } from '../../test/support/live-queue';
import { createCampaign, seedCompany, spawnWorker, type TestSystem } from '../../test/support/system';
import { fmt, log } from './bench-log';
import { children, stopChild } from './lifecycle';
import { cpuShare, cpuSnapshot, infraPids, procStatus } from './proc-stats';

const SEED_BATCH = 5_000;
/** The fastest pacing the API accepts: prepare is measured, not the lane. */
export const FASTEST = { messageInterval: 0.001, longerIntervalAfter: 100_000, greaterInterval: 0.001 };
export const VARIANTS = [
  'Olá {name}, temos uma oferta especial para você nesta semana!',
  'Oi {name}! Chegaram novidades na loja, venha conferir.',
];

export interface PrepareSize {
  /** N: contacts in the campaign. */
  contacts: number;
  /** Longest the measurement may run before it stops and projects. */
  budgetS: number;
}

export interface PrepareSetup {
  key: string;
  campaignId: string;
  seedPerSec: number;
}

export interface PrepareResult {
  seedPerSec: number;
  /** Seconds for all N contacts: measured, or projected from the rate when the budget ran out. */
  prepareSeconds: number;
  preparePerSec: number;
  /** Contacts prepared when the clock stopped (N unless the budget ran out). */
  prepared: number;
  measuredSeconds: number;
  budgetHit: boolean;
  processingDone: boolean;
  planFixedMs: number | null;
  streamDoneMs: number | null;
  peakRssMb: number;
  rssTimeline: Array<{ at: number; rssMb: number }>;
  progress: Array<{ at: number; prepared: number; backlog: number | null; lane: number | null }>;
  cpu: Record<string, number>;
  shippingBytes: number;
}

/** Inserts `count` valid contacts of one list straight into the database (driver insertMany); answers docs/s. */
export async function seedContacts(models: Models, companyId: string, listId: string, count: number): Promise<number> {
  const company = new Types.ObjectId(companyId);
  const list = new Types.ObjectId(listId);
  const now = new Date();
  const started = performance.now();
  for (let from = 0; from < count; from += SEED_BATCH) {
    const docs = [];
    for (let i = from; i < Math.min(count, from + SEED_BATCH); i++) {
      docs.push({
        _id: new Types.ObjectId(),
        companyId: company,
        phone: `+55119${String(i).padStart(8, '0')}`,
        name: `Cliente ${i}`,
        fields: {},
        listIds: [list],
        valid: true,
        onWhatsApp: null,
        rejectReason: null,
        checkedAt: null,
        updatedAt: now,
      });
    }
    await models.Contact.collection.insertMany(docs, { ordered: false });
  }
  return (count / (performance.now() - started)) * 1000;
}

/**
 * With BENCH_LIMITS=1 the campaign carries every sending limit, set so none stalls it: the company's
 * windows open all week (planned and checked at every send), daily caps high enough on the company
 * and on each number (read and planned), a jittered gap range (drawn per send), and three numbers
 * (contacts split and dealt over three lanes).
 */
export const BENCH_LIMITS = process.env.BENCH_LIMITS === '1';
const LIMIT_NUMBERS = 3;
const WIDE_OPEN = [{ days: ['sun', 'mon', 'tue', 'wed', 'thu', 'fri', 'sat'], start: '00:00', end: '24:00' }] as const;

/** A company on the fastest pacing, its N contacts seeded before anything is timed, and a campaign to them. */
export async function setUpPrepare(system: TestSystem, size: PrepareSize): Promise<PrepareSetup> {
  const N = size.contacts;
  const seeded = await seedCompany(system, {
    pacing: FASTEST,
    contacts: 0,
    sandbox: { latencyMs: 0 },
    connections: BENCH_LIMITS ? LIMIT_NUMBERS : 1,
  });
  if (BENCH_LIMITS) {
    const cap = { perDay: 10_000_000 };
    const answers = [
      await system.api('PATCH', '/v1/company', { sendingWindows: WIDE_OPEN, dailyCap: cap }, seeded.key),
    ];
    for (const id of seeded.connections)
      answers.push(
        await system.api('PATCH', `/v1/connections/${id}`, { dailyCap: { ...cap, warmUp: [5_000_000] } }, seeded.key),
      );
    const refused = answers.find((answer) => answer.status !== 200);
    if (refused) throw new Error(`limits: ${refused.status} ${JSON.stringify(refused.body)}`);
  }
  log(`seeding ${N} contacts with insertMany (batches of ${SEED_BATCH})…`);
  const seedPerSec = await seedContacts(system.models, seeded.companyId, seeded.listId, N);
  log(`seeded at ${fmt(seedPerSec)} docs/s`);
  const campaignId = await createCampaign(system, seeded.key, {
    ...(BENCH_LIMITS ? { connectionIds: seeded.connections } : { connectionId: seeded.connectionId }),
    listId: seeded.listId,
    variants: VARIANTS,
    ...(BENCH_LIMITS ? { pacing: { messageInterval: { min: 0.001, max: 0.003 } }, sendingWindows: WIDE_OPEN } : {}),
  });
  return { key: seeded.key, campaignId, seedPerSec };
}

const WORKER_NODE_OPTIONS = '--max-old-space-size=160';

/**
 * Starts the campaign through the API and times a separate worker process (campaign-process +
 * contact-prepare) until every contact is prepared (counters.prepared + counters.missing = N), or
 * until the budget runs out (the rate so far is reported and the total projected).
 */
export async function measurePrepare(
  system: TestSystem,
  setup: PrepareSetup,
  size: PrepareSize,
): Promise<PrepareResult> {
  const N = size.contacts;
  // Workers run with the heap cap docker-compose.yml gives them (docs/benchmarks.md): without it
  // Node lets ~170 MB of garbage pile up before collecting (live data stays near 50 MB).
  const extraEnv: Record<string, string> = {
    NODE_OPTIONS: process.env.BENCH_WORKER_NODE_OPTIONS ?? WORKER_NODE_OPTIONS,
  };
  const worker = await spawnWorker(system, 'campaign-process,contact-prepare', extraEnv);
  children.add(worker);
  try {
    const pid = worker.pid!;
    const infra = infraPids();
    const pids = { worker: pid, mongo: infra.mongo, rabbitmq: infra.rabbitmq, bench: process.pid };
    const { Campaign } = system.models;
    const rssTimeline: PrepareResult['rssTimeline'] = [];
    const progress: PrepareResult['progress'] = [];
    let planFixedMs: number | null = null;
    let streamDoneMs: number | null = null;
    let backlog: number | null = null;
    let lane: number | null = null;
    const laneQueue = `disparo.lane.${String((await Campaign.findById(setup.campaignId, { connectionId: 1 }).lean())!.connectionId)}`;

    const cpuBefore = cpuSnapshot(pids);
    const t0 = performance.now();
    const since = () => performance.now() - t0;
    // Samplers of their own, so a slow campaign read (the database saturated) does not thin them out.
    const rssSampler = setInterval(() => rssTimeline.push({ at: since(), rssMb: procStatus(pid, 'VmRSS') }), 100);
    let queueProbe: Promise<void> | null = null;
    const queueSampler = setInterval(() => {
      // Queue depths about once a second, as the queues answer them (a passive declare): the
      // management API samples quorum queues on their tick (30 s with the node's settings).
      queueProbe ??= Promise.all([
        liveQueue(system.env.RABBITMQ_URL!, 'disparo.contact-prepare'),
        liveQueue(system.env.RABBITMQ_URL!, laneQueue).catch(() => ({ messages: 0 })),
      ])
        .then(([prepare, laneDepth]) => {
          backlog = prepare.messages;
          lane = laneDepth.messages;
        })
        .catch(() => undefined)
        .finally(() => (queueProbe = null));
    }, 1_000);
    const budgetMs = size.budgetS * 1000;
    let done = 0;
    let doneAt = 0;
    let processingDone = false;
    try {
      const started = await system.api('POST', `/v1/campaigns/${setup.campaignId}/start`, undefined, setup.key);
      if (started.status !== 202) throw new Error(`start: ${started.status} ${JSON.stringify(started.body)}`);
      for (;;) {
        const read = Campaign.findById(setup.campaignId, { counters: 1, processingDone: 1, plan: 1 }).lean();
        const campaign = await Promise.race([
          read,
          sleep(Math.max(0, budgetMs - since())).then(() => 'budget' as const),
        ]);
        if (campaign === 'budget') {
          read.catch(() => undefined);
        } else {
          if (!campaign) throw new Error('campaign vanished');
          const at = since();
          if (planFixedMs === null && campaign.plan) planFixedMs = at;
          if (streamDoneMs === null && campaign.processingDone) streamDoneMs = at;
          done = campaign.counters.prepared + campaign.counters.missing;
          doneAt = at;
          processingDone = campaign.processingDone;
          progress.push({ at, prepared: done, backlog, lane });
          if (done >= N) break;
        }
        if (since() >= budgetMs) {
          log(
            `prepare budget of ${size.budgetS} s spent with ${done} of ${N} prepared; stopping it there and projecting`,
          );
          break;
        }
        await sleep(100);
      }
    } finally {
      clearInterval(rssSampler);
      clearInterval(queueSampler);
    }
    const cpu = cpuShare(cpuBefore, cpuSnapshot(pids), since() / 1000);
    const peakRssMb = procStatus(pid, 'VmHWM');
    await stopChild(worker);
    await queueProbe;
    const elapsedMs = doneAt;
    const sample = await system.models.Shipping.collection.findOne({
      campaignId: new Types.ObjectId(setup.campaignId),
    });
    const shippingBytes = sample ? mongoose.mongo.BSON.calculateObjectSize(sample) : Number.NaN;
    const measuredSeconds = elapsedMs / 1000;
    const budgetHit = done < N;
    const preparePerSec = measuredSeconds > 0 ? done / measuredSeconds : 0;
    return {
      seedPerSec: setup.seedPerSec,
      prepareSeconds: budgetHit ? (preparePerSec > 0 ? N / preparePerSec : Number.POSITIVE_INFINITY) : measuredSeconds,
      preparePerSec,
      prepared: done,
      measuredSeconds,
      budgetHit,
      processingDone,
      planFixedMs,
      streamDoneMs,
      peakRssMb,
      rssTimeline,
      progress,
      cpu,
      shippingBytes,
    };
  } finally {
    await stopChild(worker);
  }
}
