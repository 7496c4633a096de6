/**
 * Disparo against the seed's Bull design (bench/baseline/), on the same work, in one run.
 *
 *   npm run bench:baseline     (provisions Redis with scripts/provision-redis.sh; RabbitMQ and the
 *                               MongoDB-wire server through scripts/with-infra.sh)
 *
 * Both systems use the same MongoDB-wire server (each step its own database), the same sandbox
 * gateway (it records every send and judges it against the number's pacing rule on its own) and
 * a worker in a process of its own. The baseline's queues live in Redis under a prefix of their own.
 *
 * 1. prepare: one campaign of N contacts (seeded with the driver before the clock starts), fastest
 *    pacing, a worker without dispatch. Disparo: bench/support/disparo-prepare.ts (POST start →
 *    counters.prepared = N). Baseline: a ProcessCampaign job added (its "start now") → N
 *    DispatchCampaign jobs in Redis, each added by a PrepareContact job after it wrote the
 *    contact's shipping. prepareRatio = Disparo contacts/s ÷ baseline contacts/s.
 * 2. first send across companies: 20 companies, one sandbox connection each (200 ms provider
 *    latency), a 3-contact campaign each, all scheduled for the same moment T through each system's
 *    own check (both every 20 s). allFirstSendS = when the last company's first message reached the
 *    sandbox, minus T.
 * 3. overlap: one company, one connection (0.1 s interval, 0.3 s after every 10), two 30-contact
 *    campaigns scheduled 1 s apart; pacing violations flagged by the sandbox on that connection.
 *
 * BENCH_BASELINE_PREPARE_CONCURRENCY sets PrepareContact's concurrency in the baseline (default
 * the seed's 1; the campaign queue's other processors keep theirs).
 * BENCH_SEND_LATENCY_MS sets the sandbox's answer time in step 2 (default 200 ms).
 * BENCH_CONTACTS overrides N (default 100000). BENCH_PREPARE_BUDGET_S (default 300) caps each
 * prepare measurement: past it the rate so far is reported and the total projected (flagged).
 * Human-readable table first; the last line is one JSON object.
 */
import { execFileSync } from 'node:child_process';
import { readdirSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { performance } from 'node:perf_hooks';
import { type Connection, Types } from 'mongoose';
import type { PacingSettings } from '../../src/domain/pacing/pacing-settings';
import { type SandboxMessageDoc, sandboxStore } from '../../src/infrastructure/gateways/sandbox/sandbox-store';
import type { Models } from '../../src/infrastructure/mongo/models';
import { percentile, sleep } from '../../test/support/collector';
import {
  createCampaign,
  seedCompany,
  spawnWorker,
  startSystem,
  type TestSystem,
  waitUntil,
} from '../../test/support/system';
import { fmt, log, round2, wallStart } from '../support/bench-log';
import { measurePrepare, setUpPrepare, VARIANTS } from '../support/disparo-prepare';
import { positiveInt } from '../support/env';
import { type Child, children, cleanups, runBench, stopChild, stopSystem, systems } from '../support/lifecycle';
import { cpuShare, cpuSnapshot, infraPids, procStatus } from '../support/proc-stats';
import { JOBS, openQueues, type ProcessCampaignData, VERIFY_CRON } from './queues';
import { createBaselineCampaign, seedBaselineCompany } from './seed';
import { type BaselineSystem, startBaselineSystem } from './system';

const N = positiveInt('BENCH_CONTACTS', 100_000);
const PREPARE_SIZE = { contacts: N, budgetS: positiveInt('BENCH_PREPARE_BUDGET_S', 300) };
/** PrepareContact's concurrency in the baseline worker: the seed's default 1 unless overridden. */
const BASELINE_PREPARE_CONCURRENCY = positiveInt('BENCH_BASELINE_PREPARE_CONCURRENCY', 1);
/** The worker heap cap both systems run with (docker-compose.yml's, see bench/pipeline.ts). */
const WORKER_NODE_OPTIONS = '--max-old-space-size=160';
const FASTEST_MS: PacingSettings = { messageIntervalMs: 1, longerIntervalAfter: 100_000, greaterIntervalMs: 1 };

const COMPANIES = 20;
const FIRST_SEND = {
  contacts: 3,
  latencyMs: positiveInt('BENCH_SEND_LATENCY_MS', 200),
  pacing: { messageInterval: 1, longerIntervalAfter: 20, greaterInterval: 3 },
};
const OVERLAP = {
  contacts: 30,
  secondAfterMs: 1_000,
  pacing: { messageInterval: 0.1, longerIntervalAfter: 10, greaterInterval: 0.3 },
};
/** Far enough ahead that a 20-s check claims every campaign before it is due. */
const SCHEDULE_AHEAD_MS = 25_000;
/** The overlap campaigns start this long after the first-send ones (which are over by then). */
const OVERLAP_AFTER_MS = 25_000;

const toMs = (pacing: {
  messageInterval: number;
  longerIntervalAfter: number;
  greaterInterval: number;
}): PacingSettings => ({
  messageIntervalMs: Math.round(pacing.messageInterval * 1000),
  longerIntervalAfter: pacing.longerIntervalAfter,
  greaterIntervalMs: Math.round(pacing.greaterInterval * 1000),
});

// ---------------------------------------------------------------------------------------------
// Redis

function provisionRedis(): string {
  const script = join(__dirname, '..', '..', 'scripts', 'provision-redis.sh');
  const url = execFileSync('bash', [script], { encoding: 'utf8', stdio: ['ignore', 'pipe', 'inherit'] })
    .trim()
    .split('\n')
    .pop();
  if (!url?.startsWith('redis://'))
    throw new Error(`provision-redis.sh printed no Redis URL (got ${JSON.stringify(url)})`);
  return url;
}

/** The redis-server serving `redisUrl` (to attribute CPU time; read only). */
function redisPid(redisUrl: string): number | undefined {
  const port = new URL(redisUrl).port || '6379';
  for (const entry of readdirSync('/proc')) {
    if (!/^\d+$/.test(entry)) continue;
    try {
      if (readFileSync(`/proc/${entry}/comm`, 'utf8').trim() !== 'redis-server') continue;
      if (readFileSync(`/proc/${entry}/cmdline`, 'utf8').includes(`:${port}`)) return Number(entry);
    } catch {
      // gone meanwhile
    }
  }
  return undefined;
}

type WorkerProcess = Child & { output: () => string };

/** Keeps a worker's output for a look afterwards when its step went wrong. */
function keepOutput(worker: WorkerProcess, label: string): void {
  const file = join(tmpdir(), `bench-baseline-${label}-worker.log`);
  writeFileSync(file, worker.output().slice(-200_000));
  log(`the ${label} worker's output is in ${file}`);
}

// ---------------------------------------------------------------------------------------------
// 1: prepare

interface PrepareFigures {
  perSec: number;
  seconds: number;
  prepared: number;
  budgetHit: boolean;
  peakRssMb: number;
  cpu: Record<string, number>;
  /** CPU time of the system's own processes (worker, database, broker or Redis) per contact prepared. */
  cpuMsPerContact: number;
}

/** The processes that do a system's work (the benchmark's own polling and the rest of the machine left out). */
const SYSTEM_PROCESSES = ['worker', 'mongo', 'rabbitmq', 'redis'];

function cpuMsPerContact(cpu: Record<string, number>, seconds: number, prepared: number): number {
  const busy = SYSTEM_PROCESSES.reduce((sum, name) => sum + (Number.isFinite(cpu[name]) ? cpu[name]! : 0), 0);
  return prepared > 0 ? ((busy / 100) * seconds * 1000) / prepared : Number.NaN;
}

async function disparoPrepare(): Promise<PrepareFigures> {
  const system = await startSystem('baseline-disparo-prepare', { workers: [] });
  systems.add(system);
  try {
    const setup = await setUpPrepare(system, PREPARE_SIZE);
    log('Disparo prepare: worker process with campaign-process,contact-prepare; starting the campaign…');
    const result = await measurePrepare(system, setup, PREPARE_SIZE);
    log(
      `Disparo prepared ${fmt(result.prepared)} in ${result.measuredSeconds.toFixed(1)} s (${fmt(result.preparePerSec)}/s)`,
    );
    // measurePrepare's CPU window runs until the worker is stopped, a moment after the last contact.
    const window = result.progress.at(-1)?.at ?? result.measuredSeconds * 1000;
    return {
      perSec: result.preparePerSec,
      seconds: result.prepareSeconds,
      prepared: result.prepared,
      budgetHit: result.budgetHit,
      peakRssMb: result.peakRssMb,
      cpu: result.cpu,
      cpuMsPerContact: cpuMsPerContact(result.cpu, window / 1000, result.prepared),
    };
  } finally {
    await stopSystem(system);
  }
}

async function baselinePrepare(redisUrl: string): Promise<PrepareFigures> {
  const system = await startBaselineSystem('baseline_prepare', redisUrl);
  const stop = () => system.stop();
  cleanups.add(stop);
  const queues = openQueues(redisUrl, system.prefix);
  try {
    log(`baseline: seeding ${fmt(N)} contacts with insertMany…`);
    const company = await seedBaselineCompany(system.models, {
      pacing: FASTEST_MS,
      connections: 1,
      contacts: N,
      sandboxLatencyMs: 0,
    });
    log(`seeded at ${fmt(company.seedPerSec)} docs/s`);
    const campaignId = await createBaselineCampaign(system.models, company, {
      connectionId: company.connectionIds[0]!,
      variants: VARIANTS,
    });
    const worker = await system.spawnWorker('verify,process,prepare', {
      NODE_OPTIONS: process.env.BENCH_WORKER_NODE_OPTIONS ?? WORKER_NODE_OPTIONS,
      BASELINE_PREPARE_CONCURRENCY: String(BASELINE_PREPARE_CONCURRENCY),
    });
    children.add(worker);
    log(
      'baseline prepare: worker process with VerifyCampaigns, ProcessCampaign, PrepareContact; adding ProcessCampaign…',
    );
    const infra = infraPids();
    const pids = { worker: worker.pid, mongo: infra.mongo, redis: redisPid(redisUrl), bench: process.pid };
    const cpuBefore = cpuSnapshot(pids);
    const t0 = performance.now();
    const since = () => performance.now() - t0;
    const budgetMs = PREPARE_SIZE.budgetS * 1000;
    const data: ProcessCampaignData = { campaignId };
    await queues.campaign.add(JOBS.processCampaign, data, { jobId: `process-${campaignId}`, removeOnComplete: true });
    let prepared = 0;
    let preparedAt = 0;
    let nextLog = 5_000;
    for (;;) {
      const counts = await queues.dispatch.getJobCounts();
      prepared = counts.waiting + counts.delayed + counts.active + counts.completed + counts.failed;
      preparedAt = since();
      if (prepared >= N) break;
      if (preparedAt >= nextLog) {
        nextLog += 5_000;
        const backlog = await queues.campaign.getJobCounts();
        log(`  ${fmt(prepared)} prepared, ${fmt(backlog.waiting)} PrepareContact jobs waiting`);
      }
      if (preparedAt >= budgetMs) {
        log(
          `baseline prepare budget of ${PREPARE_SIZE.budgetS} s spent with ${fmt(prepared)} of ${fmt(N)}; stopping it there and projecting`,
        );
        break;
      }
      await sleep(100);
    }
    const cpu = cpuShare(cpuBefore, cpuSnapshot(pids), since() / 1000);
    const peakRssMb = procStatus(worker.pid!, 'VmHWM');
    await stopChild(worker);
    const shippings = await system.models.Shipping.countDocuments({ campaignId: new Types.ObjectId(campaignId) });
    if (shippings < prepared)
      throw new Error(`baseline: ${prepared} dispatch jobs but only ${shippings} shippings stored`);
    const perSec = preparedAt > 0 ? (prepared / preparedAt) * 1000 : 0;
    const budgetHit = prepared < N;
    log(
      `baseline prepared ${fmt(prepared)} in ${(preparedAt / 1000).toFixed(1)} s (${fmt(perSec)}/s); ${fmt(shippings)} shippings stored`,
    );
    return {
      perSec,
      seconds: budgetHit ? N / perSec : preparedAt / 1000,
      prepared,
      budgetHit,
      peakRssMb,
      cpu,
      cpuMsPerContact: cpuMsPerContact(cpu, since() / 1000, prepared),
    };
  } finally {
    await queues.close();
    cleanups.delete(stop);
    await stop();
  }
}

// ---------------------------------------------------------------------------------------------
// 2 + 3: first send across companies, two campaigns overlapping on one number

interface ScenarioPlan {
  firstSendAt: number;
  overlapAt: number;
  firstSendConnections: string[];
  overlapConnection: string;
}

interface ScenarioFigures {
  /** Seconds from T until each company's first message reached the sandbox. */
  firstSendS: number[];
  allFirstSendS: number;
  /** When each company's campaign began processing, and its first shipping was stored (s after T). */
  processingS: number[];
  shippingS: number[];
  /** Every first-send campaign's message was sent (all of them) before the overlap started. */
  firstSendDrained: boolean;
  overlapSends: number;
  overlapComplete: boolean;
  violations: number;
  /** Violations whose gap was under half the required one: sends back to back. */
  backToBack: number;
  /** Violations among the sends made before the second campaign's first send (the first one alone). */
  soloViolations: number;
  soloSends: number;
  minGapMs: number;
}

function scenarioTimes(): { firstSendAt: number; overlapAt: number } {
  const firstSendAt = Date.now() + SCHEDULE_AHEAD_MS;
  return { firstSendAt, overlapAt: firstSendAt + OVERLAP_AFTER_MS };
}

/** Seconds after T at which each company's campaign began processing and its first shipping was stored. */
async function firstSendStages(
  models: Models,
  plan: ScenarioPlan,
): Promise<{ processingS: number[]; shippingS: number[] }> {
  const connections = plan.firstSendConnections.map((id) => new Types.ObjectId(id));
  const campaigns = await models.Campaign.find({ connectionId: { $in: connections } }, { startedAt: 1 }).lean();
  const shippings = await models.Shipping.find(
    { connectionId: { $in: connections } },
    { connectionId: 1, createdAt: 1 },
  ).lean();
  const firstShipping = new Map<string, number>();
  for (const shipping of shippings) {
    const key = String(shipping.connectionId);
    firstShipping.set(key, Math.min(firstShipping.get(key) ?? Number.POSITIVE_INFINITY, shipping.createdAt.getTime()));
  }
  const after = (at: number) => (at - plan.firstSendAt) / 1000;
  return {
    processingS: campaigns
      .filter((campaign) => campaign.startedAt)
      .map((campaign) => after(campaign.startedAt!.getTime())),
    shippingS: [...firstShipping.values()].map(after),
  };
}

/** When the later-scheduled campaign on the number sent first (the sandbox's key is the shipping id). */
async function firstSendOfSecondCampaign(
  models: Models,
  connectionId: string,
  sends: SandboxMessageDoc[],
): Promise<number> {
  const campaigns = await models.Campaign.find({ connectionId: new Types.ObjectId(connectionId) }, { scheduledAt: 1 })
    .sort({ scheduledAt: 1 })
    .lean();
  const second = String(campaigns[1]?._id);
  const shippings = await models.Shipping.find(
    { _id: { $in: sends.map((send) => new Types.ObjectId(send._id)) } },
    { campaignId: 1 },
  ).lean();
  const ofSecond = new Set(
    shippings.filter((shipping) => String(shipping.campaignId) === second).map((shipping) => String(shipping._id)),
  );
  const first = sends.find((send) => ofSecond.has(send._id));
  return first ? first.receivedAt.getTime() : Number.POSITIVE_INFINITY;
}

async function measureScenarios(
  db: Connection,
  models: Models,
  plan: ScenarioPlan,
  label: string,
): Promise<ScenarioFigures> {
  const { Message } = sandboxStore(db);
  log(
    `${label}: waiting for the first send of every company (T in ${((plan.firstSendAt - Date.now()) / 1000).toFixed(0)} s)…`,
  );
  const firsts = await waitUntil(
    'a send on every company’s connection',
    async () => {
      const sends = await Message.find(
        { connectionId: { $in: plan.firstSendConnections } },
        { connectionId: 1, receivedAt: 1 },
      ).lean();
      const first = new Map<string, number>();
      for (const send of sends) {
        const at = send.receivedAt.getTime();
        if (!first.has(send.connectionId) || at < first.get(send.connectionId)!) first.set(send.connectionId, at);
      }
      return first.size === plan.firstSendConnections.length ? first : undefined;
    },
    SCHEDULE_AHEAD_MS + 90_000,
    100,
  );
  const firstSendS = [...firsts.values()].map((at) => (at - plan.firstSendAt) / 1000);
  const stages = await firstSendStages(models, plan);
  log(`${label}: every company sent its first message ${Math.max(...firstSendS).toFixed(2)} s after T`);

  const firstSendTotal = COMPANIES * FIRST_SEND.contacts;
  await waitUntil(
    'every first-send campaign message',
    async () => (await Message.countDocuments({ connectionId: { $in: plan.firstSendConnections } })) >= firstSendTotal,
    Math.max(0, plan.overlapAt - Date.now()) + 60_000,
    250,
  ).catch(() => undefined);
  const firstSendDrained = Date.now() < plan.overlapAt;
  if (!firstSendDrained)
    log(`warning: ${label}'s first-send campaigns were still sending when the overlap campaigns were due`);

  log(`${label}: waiting for the two overlapping campaigns (${2 * OVERLAP.contacts} sends on one number)…`);
  const deadline = plan.overlapAt + 90_000;
  let sends: SandboxMessageDoc[] = [];
  for (;;) {
    sends = await Message.find({ connectionId: plan.overlapConnection })
      .sort({ receivedAt: 1 })
      .lean<SandboxMessageDoc[]>();
    if (sends.length >= 2 * OVERLAP.contacts || Date.now() > deadline) break;
    await sleep(250);
  }
  if (sends.length < 2 * OVERLAP.contacts) {
    // Counted as far as it got, and said so: a stuck campaign is a finding, not a reason to lose the run.
    const campaigns = await models.Campaign.find(
      { connectionId: new Types.ObjectId(plan.overlapConnection) },
      { status: 1, counters: 1, processingDone: 1 },
    ).lean();
    log(
      `warning: ${label}: only ${sends.length} of ${2 * OVERLAP.contacts} overlap sends 90 s after T; campaigns: ${JSON.stringify(campaigns.map((c) => ({ status: c.status, processingDone: c.processingDone, counters: c.counters })))}`,
    );
  }
  const violations = sends.filter((send) => send.violation);
  const secondStarted = await firstSendOfSecondCampaign(models, plan.overlapConnection, sends);
  const solo = sends.filter((send) => send.receivedAt.getTime() < secondStarted);
  const gaps = sends.slice(1).map((send, i) => send.receivedAt.getTime() - sends[i]!.receivedAt.getTime());
  log(`${label}: ${sends.length} sends, ${violations.length} pacing violations`);
  return {
    firstSendS,
    allFirstSendS: Math.max(...firstSendS),
    ...stages,
    firstSendDrained,
    overlapSends: sends.length,
    overlapComplete: sends.length >= 2 * OVERLAP.contacts,
    violations: violations.length,
    backToBack: violations.filter((send) => send.violation!.gapMs < send.violation!.requiredMs / 2).length,
    soloViolations: solo.filter((send) => send.violation).length,
    soloSends: solo.length,
    minGapMs: gaps.length ? Math.min(...gaps) : Number.NaN,
  };
}

async function disparoScenarios(): Promise<ScenarioFigures> {
  // The same check cadence as the seed's VerifyCampaigns (and Disparo's default).
  const system: TestSystem = await startSystem('baseline-disparo-scenarios', {
    workers: [],
    env: { CAMPAIGN_CHECK_CRON: VERIFY_CRON },
  });
  systems.add(system);
  let worker: WorkerProcess | undefined;
  try {
    log(`Disparo scenarios: ${COMPANIES} companies + the overlap company through the API…`);
    const companies = [];
    for (let i = 0; i < COMPANIES; i++) {
      companies.push(
        await seedCompany(system, {
          pacing: FIRST_SEND.pacing,
          contacts: FIRST_SEND.contacts,
          sandbox: { latencyMs: FIRST_SEND.latencyMs },
        }),
      );
    }
    const overlap = await seedCompany(system, { pacing: OVERLAP.pacing, contacts: OVERLAP.contacts });
    worker = await spawnWorker(system, 'all', { NODE_OPTIONS: WORKER_NODE_OPTIONS });
    children.add(worker);
    const times = scenarioTimes();
    for (const company of companies) {
      await createCampaign(system, company.key, {
        connectionId: company.connectionId,
        listId: company.listId,
        variants: VARIANTS,
        scheduledAt: new Date(times.firstSendAt).toISOString(),
      });
    }
    for (const offset of [0, OVERLAP.secondAfterMs]) {
      await createCampaign(system, overlap.key, {
        connectionId: overlap.connectionId,
        listId: overlap.listId,
        variants: VARIANTS,
        scheduledAt: new Date(times.overlapAt + offset).toISOString(),
      });
    }
    const plan = {
      ...times,
      firstSendConnections: companies.map((company) => company.connectionId),
      overlapConnection: overlap.connectionId,
    };
    const figures = await measureScenarios(system.db, system.models, plan, 'Disparo');
    if (!figures.overlapComplete) keepOutput(worker, 'disparo-scenarios');
    return figures;
  } catch (error) {
    if (worker) keepOutput(worker, 'disparo-scenarios');
    throw error;
  } finally {
    if (worker) await stopChild(worker);
    await stopSystem(system);
  }
}

async function baselineScenarios(redisUrl: string): Promise<ScenarioFigures> {
  const system: BaselineSystem = await startBaselineSystem('baseline_scenarios', redisUrl);
  const stop = () => system.stop();
  cleanups.add(stop);
  let worker: WorkerProcess | undefined;
  try {
    log(`baseline scenarios: ${COMPANIES} companies + the overlap company…`);
    const companies = [];
    for (let i = 0; i < COMPANIES; i++) {
      companies.push(
        await seedBaselineCompany(system.models, {
          pacing: toMs(FIRST_SEND.pacing),
          connections: 1,
          contacts: FIRST_SEND.contacts,
          sandboxLatencyMs: FIRST_SEND.latencyMs,
        }),
      );
    }
    const overlap = await seedBaselineCompany(system.models, {
      pacing: toMs(OVERLAP.pacing),
      connections: 1,
      contacts: OVERLAP.contacts,
      sandboxLatencyMs: 0,
    });
    worker = await system.spawnWorker('all', {
      NODE_OPTIONS: WORKER_NODE_OPTIONS,
      BASELINE_PREPARE_CONCURRENCY: String(BASELINE_PREPARE_CONCURRENCY),
    });
    children.add(worker);
    const times = scenarioTimes();
    for (const company of companies) {
      await createBaselineCampaign(system.models, company, {
        connectionId: company.connectionIds[0]!,
        variants: VARIANTS,
        scheduledAt: new Date(times.firstSendAt),
      });
    }
    for (const offset of [0, OVERLAP.secondAfterMs]) {
      await createBaselineCampaign(system.models, overlap, {
        connectionId: overlap.connectionIds[0]!,
        variants: VARIANTS,
        scheduledAt: new Date(times.overlapAt + offset),
      });
    }
    const plan = {
      ...times,
      firstSendConnections: companies.map((company) => company.connectionIds[0]!),
      overlapConnection: overlap.connectionIds[0]!,
    };
    const figures = await measureScenarios(system.db, system.models, plan, 'baseline');
    if (!figures.overlapComplete) keepOutput(worker, 'baseline-scenarios');
    return figures;
  } catch (error) {
    if (worker) keepOutput(worker, 'baseline-scenarios');
    throw error;
  } finally {
    if (worker) await stopChild(worker);
    cleanups.delete(stop);
    await stop();
  }
}

// ---------------------------------------------------------------------------------------------
// driver

async function main(): Promise<void> {
  const redisUrl = provisionRedis();
  log(
    `baseline bench: N=${fmt(N)} contacts; ${COMPANIES} companies; 2 × ${OVERLAP.contacts}-contact campaigns on one number; Redis at ${redisUrl}`,
  );
  const disparoPrep = await disparoPrepare();
  const baselinePrep = await baselinePrepare(redisUrl);
  const disparo = await disparoScenarios();
  const baseline = await baselineScenarios(redisUrl);
  report(disparoPrep, baselinePrep, disparo, baseline);
}

function report(
  disparoPrep: PrepareFigures,
  baselinePrep: PrepareFigures,
  disparo: ScenarioFigures,
  baseline: ScenarioFigures,
): void {
  const prepareRatio = baselinePrep.perSec > 0 ? disparoPrep.perSec / baselinePrep.perSec : Number.POSITIVE_INFINITY;
  const ok = (pass: boolean) => (pass ? 'ok' : 'MISSED');
  const seconds = (figures: PrepareFigures) =>
    `${figures.seconds.toFixed(1)}${figures.budgetHit ? ` (projected from ${fmt(figures.prepared)})` : ''}`;
  const cpu = (figures: PrepareFigures) =>
    Object.entries(figures.cpu)
      .map(([name, share]) => `${name} ${Number.isNaN(share) ? '?' : share.toFixed(0)}`)
      .join(', ');
  const spread = (values: number[]) =>
    values.length ? `${percentile(values, 50).toFixed(2)} / ${Math.max(...values).toFixed(2)}` : 'n/a';
  const rows: string[][] = [
    ['measure', 'Disparo', 'seed (Bull)', 'goal', ''],
    [`prepare ${fmt(N)} contacts (s)`, seconds(disparoPrep), seconds(baselinePrep), '', ''],
    ['prepare throughput (contacts/s)', fmt(disparoPrep.perSec), fmt(baselinePrep.perSec), '', ''],
    ['prepareRatio (Disparo / seed)', round2(prepareRatio).toFixed(2), '', '≥ 5', ok(prepareRatio >= 5)],
    [
      '  CPU per contact, worker + database + broker/Redis (ms)',
      disparoPrep.cpuMsPerContact.toFixed(2),
      baselinePrep.cpuMsPerContact.toFixed(2),
      '',
      '',
    ],
    ['prepare worker peak RSS (MB)', disparoPrep.peakRssMb.toFixed(0), baselinePrep.peakRssMb.toFixed(0), '', ''],
    ['CPU during prepare (% of one core)', cpu(disparoPrep), cpu(baselinePrep), '', ''],
    [
      `first send, ${COMPANIES} companies: p50 / last, s after T`,
      spread(disparo.firstSendS),
      spread(baseline.firstSendS),
      '',
      '',
    ],
    ['  campaign processing began: p50 / last', spread(disparo.processingS), spread(baseline.processingS), '', ''],
    ['  first shipping stored: p50 / last', spread(disparo.shippingS), spread(baseline.shippingS), '', ''],
    [`overlap: sends on the number`, String(disparo.overlapSends), String(baseline.overlapSends), '', ''],
    [
      'overlap: pacing violations (sandbox)',
      String(disparo.violations),
      String(baseline.violations),
      '0 (Disparo)',
      ok(disparo.violations === 0),
    ],
    [
      'overlap: of which back to back (< half the gap)',
      String(disparo.backToBack),
      String(baseline.backToBack),
      '',
      '',
    ],
    [
      '  while the first campaign sent alone: violations / sends',
      `${disparo.soloViolations} / ${disparo.soloSends}`,
      `${baseline.soloViolations} / ${baseline.soloSends}`,
      '',
      '',
    ],
    ['overlap: shortest gap (ms)', String(disparo.minGapMs), String(baseline.minGapMs), '', ''],
  ];
  const widths = rows[0]!.map((_, column) => Math.max(...rows.map((row) => row[column]!.length)));
  const line = (row: string[]) =>
    row
      .map((cell, column) => (column === 0 ? cell.padEnd(widths[column]!) : cell.padStart(widths[column]!)))
      .join('  ');
  process.stdout.write(`\nbaseline bench (${((performance.now() - wallStart) / 1000).toFixed(0)} s total)\n`);
  process.stdout.write(
    `${line(rows[0]!)}\n${widths.map((w) => '-'.repeat(w)).join('  ')}\n${rows.slice(1).map(line).join('\n')}\n`,
  );
  if (!disparo.firstSendDrained || !baseline.firstSendDrained)
    process.stdout.write('note: a first-send campaign was still sending when the overlap began\n');
  for (const [name, figures] of [
    ['Disparo', disparo],
    ['seed', baseline],
  ] as const) {
    if (!figures.overlapComplete)
      process.stdout.write(
        `note: ${name} made only ${figures.overlapSends} of ${2 * OVERLAP.contacts} overlap sends within 90 s\n`,
      );
  }
  process.stdout.write(
    `${JSON.stringify({
      contacts: N,
      disparoPreparePerSec: Math.round(disparoPrep.perSec),
      baselinePreparePerSec: Math.round(baselinePrep.perSec),
      prepareProjected: disparoPrep.budgetHit || baselinePrep.budgetHit,
      baselinePrepareConcurrency: BASELINE_PREPARE_CONCURRENCY,
      overlapComplete: disparo.overlapComplete && baseline.overlapComplete,
      disparoCpuMsPerContact: round2(disparoPrep.cpuMsPerContact),
      baselineCpuMsPerContact: round2(baselinePrep.cpuMsPerContact),
      prepareRatio: round2(prepareRatio),
      baselinePacingViolations: baseline.violations,
      disparoPacingViolations: disparo.violations,
      baselineAllFirstSendS: round2(baseline.allFirstSendS),
      disparoAllFirstSendS: round2(disparo.allFirstSendS),
    })}\n`,
  );
}

runBench(main);
