/**
 * The campaign pipeline end to end, on the real broker and MongoDB-wire server, in one run.
 *
 *   npm run bench:pipeline          (or: npx tsx bench/pipeline.ts with RABBITMQ_URL,
 *                                    RABBITMQ_MANAGEMENT_URL and MONGO_URL exported, or .infra.env present)
 *
 * 1. prepare: a campaign of N contacts (seeded straight into MongoDB with the driver) on the fastest
 *    pacing; a separate worker process runs campaign-process + contact-prepare (not dispatch). Timed
 *    from POST /v1/campaigns/:id/start until counters.prepared + counters.missing = N (the campaign
 *    document polled every 100 ms). preparePerSec = N / seconds.
 * 2. the same servers, raw: driver insertMany of N shipping-sized documents (unordered, batches of
 *    1000, 4 at once) into a scratch collection with the unique (campaignId, contactId) index, and N
 *    confirmed persistent ~400-byte messages published pipelined on a raw amqplib ConfirmChannel into
 *    a quorum queue. limitRatio = preparePerSec / min(rawInsertPerSec, rawPublishPerSec).
 * 3. dueToFirstSendMs: 20 one-contact campaigns on 20 sandbox connections of one company, scheduled
 *    through the API 3 s + i × 150 ms ahead, one worker process with every role; from scheduledAt to
 *    the sandbox's first receivedAt on that connection.
 * 4. pacing: one 60-contact campaign, 0.2 s interval, a 0.6 s gap after every 20; each gap minus the
 *    gap the pacing rule requires (pacingErrorMs), and the sends the sandbox flagged as violations
 *    (checked against findViolations).
 * 5. peak RSS (VmHWM) of the prepare worker process after the campaign of step 1 is fully prepared.
 *
 * Steps 1 and 5 run in one system (vhost + database), 3 and 4 in another, so lane messages left in
 * the delay levels by step 1 (its lane has no dispatcher) do not load the broker during 3 and 4.
 * Everything created is deleted at the end; the spawned workers are stopped.
 *
 * BENCH_CONTACTS overrides N (default 100000). BENCH_PREPARE_BUDGET_S caps the prepare measurement
 * (default 180 s): past it the worker is stopped, the rate so far is reported, prepareSeconds is
 * projected from it (flagged in the table) and rssContacts is the number actually prepared. BENCH_WORKER_NODE_OPTIONS is passed to the prepare
 * worker as NODE_OPTIONS (e.g. "--cpu-prof --cpu-prof-dir=/tmp/prof" to profile it).
 * BENCH_LIMITS=1 gives the prepare campaign every sending limit without letting one stall it (windows
 * open all week, daily caps of 10,000,000 on the company and each number with a warm-up entry, a
 * jittered gap range, three numbers): compare its preparePerSec with a run without it.
 * Human-readable table first; the last line is one JSON object.
 */
import { performance } from 'node:perf_hooks';
import type { ConfirmChannel } from 'amqplib';
import * as amqplib from 'amqplib';
import mongoose, { Types } from 'mongoose';
import { ContactPrepared } from '../src/domain/events/dispatch-messages';
import { createMessage, newCorrelation } from '../src/domain/events/envelope';
import { findViolations, IDLE_LANE, recordSend, requiredGap } from '../src/domain/pacing/pacing-rule';
import type { PacingSettings } from '../src/domain/pacing/pacing-settings';
import { sandboxStore } from '../src/infrastructure/gateways/sandbox/sandbox-store';
import { encode, properties } from '../src/infrastructure/rabbitmq/publisher';
import { percentile } from '../test/support/collector';
import { testMongoUrl } from '../test/support/infrastructure';
import {
  createCampaign,
  seedCompany,
  spawnWorker,
  startSystem,
  type TestSystem,
  waitForStatus,
  waitUntil,
} from '../test/support/system';
import { fmt, log, round2, wallStart } from './support/bench-log';
import { BENCH_LIMITS, measurePrepare, type PrepareResult, setUpPrepare, VARIANTS } from './support/disparo-prepare';
import { positiveInt } from './support/env';
import { withVhost } from './support/infra';
import { children, runBench, stopChild, stopSystem, systems } from './support/lifecycle';
import { publishAllConfirmed } from './support/raw-publish';

const N = positiveInt('BENCH_CONTACTS', 100_000);
/** Longest the prepare measurement may run; past it the rate so far is reported (and flagged). */
const PREPARE_BUDGET_S = positiveInt('BENCH_PREPARE_BUDGET_S', 180);
const PREPARE_SIZE = { contacts: N, budgetS: PREPARE_BUDGET_S };
const RAW_INSERT_BATCH = 1_000;
const RAW_INSERT_PARALLEL = 4;
const LATENCY_CAMPAIGNS = 20;
const PACING_CONTACTS = 60;
const PACING = { messageInterval: 0.2, longerIntervalAfter: 20, greaterInterval: 0.6 };
const PACING_MS: PacingSettings = { messageIntervalMs: 200, longerIntervalAfter: 20, greaterIntervalMs: 600 };

// ---------------------------------------------------------------------------------------------
// 2: raw driver insert and raw amqplib publish, same servers

async function rawInsert(): Promise<{ perSec: number; docBytes: number }> {
  const connection = await mongoose.createConnection(testMongoUrl('bench_raw_insert')).asPromise();
  try {
    const collection = connection.db!.collection('raw_shippings');
    await collection.createIndex({ campaignId: 1, contactId: 1 }, { unique: true });
    const campaignId = new Types.ObjectId();
    const companyId = new Types.ObjectId();
    const connectionId = new Types.ObjectId();
    const now = new Date();
    const batches: Array<Record<string, unknown>[]> = [];
    for (let from = 0; from < N; from += RAW_INSERT_BATCH) {
      const batch = [];
      for (let i = from; i < Math.min(N, from + RAW_INSERT_BATCH); i++) {
        batch.push({
          _id: new Types.ObjectId(),
          companyId,
          campaignId,
          contactId: new Types.ObjectId(),
          connectionId,
          phone: `+55119${String(i).padStart(8, '0')}`,
          text: `Olá Cliente ${i}, temos uma oferta especial para você nesta semana!`,
          variant: i % 2,
          mediaUrl: null,
          status: 'queued',
          plannedAt: new Date(now.getTime() + i),
          sentAt: null,
          attempts: 0,
          lastError: null,
          providerMessageId: null,
          createdAt: now,
        });
      }
      batches.push(batch);
    }
    const docBytes = mongoose.mongo.BSON.calculateObjectSize(batches[0]![0]!);
    let next = 0;
    const started = performance.now();
    await Promise.all(
      Array.from({ length: RAW_INSERT_PARALLEL }, async () => {
        while (next < batches.length) await collection.insertMany(batches[next++]!, { ordered: false });
      }),
    );
    const perSec = (N / (performance.now() - started)) * 1000;
    return { perSec, docBytes };
  } finally {
    await connection.dropDatabase().catch(() => undefined);
    await connection.close().catch(() => undefined);
  }
}

function publishAll(
  channel: ConfirmChannel,
  queue: string,
  messages: Array<{ content: Buffer; options: amqplib.Options.Publish }>,
): Promise<void> {
  return publishAllConfirmed(channel, queue, messages.length, (i) => messages[i]!);
}

async function rawPublish(): Promise<{ perSec: number; messageBytes: number }> {
  const cause = newCorrelation(new Types.ObjectId().toHexString());
  const ids = () => new Types.ObjectId().toHexString();
  const campaignId = ids();
  const connectionId = ids();
  const build = (count: number) =>
    Array.from({ length: count }, (_, i) => {
      const message = createMessage(
        ContactPrepared,
        {
          shippingId: ids(),
          campaignId,
          contactId: ids(),
          connectionId,
          plannedAt: new Date(Date.now() + i).toISOString(),
        },
        cause,
      );
      return { content: encode(message), options: { ...properties(message), mandatory: true } };
    });
  const warmup = build(200);
  const messages = build(N);
  const messageBytes = messages[0]!.content.length;
  return withVhost('pipeline-raw-publish', async (vhost) => {
    const connection = await amqplib.connect(vhost.url, { clientProperties: { connection_name: 'bench:raw-publish' } });
    try {
      const channel = await connection.createConfirmChannel();
      const queue = 'bench.raw-lane';
      await channel.assertQueue(queue, { durable: true, arguments: { 'x-queue-type': 'quorum' } });
      await publishAll(channel, queue, warmup);
      const started = performance.now();
      await publishAll(channel, queue, messages);
      const perSec = (N / (performance.now() - started)) * 1000;
      const { messageCount } = await channel.checkQueue(queue);
      if (messageCount !== N + warmup.length)
        throw new Error(`raw publish: ${messageCount} messages in the queue, expected ${N + warmup.length}`);
      return { perSec, messageBytes };
    } finally {
      await connection.close().catch(() => undefined);
    }
  });
}

// ---------------------------------------------------------------------------------------------
// 3 + 4: due → first send, and pacing accuracy (one worker process with every role)

interface LatencyResult {
  dueToFirstSendMs: number[];
  stages: { dueToProcessing: number[]; processingToShipping: number[]; shippingToSend: number[] };
}

interface PacingResult {
  sends: number;
  errorsMs: number[];
  sandboxViolations: number;
  ruleViolations: number;
  gapsLongRequired: number;
}

async function measureLatency(
  system: TestSystem,
  seeded: { key: string; connections: string[]; listId: string },
): Promise<LatencyResult> {
  const base = Date.now();
  const scheduled: Array<{ campaignId: string; connectionId: string; at: number }> = [];
  for (let i = 0; i < LATENCY_CAMPAIGNS; i++) {
    const at = base + 3_000 + i * 150;
    const connectionId = seeded.connections[i]!;
    const campaignId = await createCampaign(system, seeded.key, {
      connectionId,
      listId: seeded.listId,
      variants: VARIANTS,
      scheduledAt: new Date(at).toISOString(),
    });
    scheduled.push({ campaignId, connectionId, at });
  }
  if (Date.now() > base + 3_000)
    log(`warning: creating the campaigns took ${Date.now() - base} ms, past the first scheduled time`);
  const Message = sandboxStore(system.db).Message;
  const firstSends = await waitUntil(
    'a send on every latency connection',
    async () => {
      const sends = await Message.find(
        { connectionId: { $in: seeded.connections } },
        { connectionId: 1, receivedAt: 1 },
      ).lean();
      const first = new Map<string, number>();
      for (const send of sends) {
        const at = send.receivedAt.getTime();
        if (!first.has(send.connectionId) || at < first.get(send.connectionId)!) first.set(send.connectionId, at);
      }
      return first.size === LATENCY_CAMPAIGNS ? first : undefined;
    },
    60_000,
    100,
  );
  const stages: LatencyResult['stages'] = { dueToProcessing: [], processingToShipping: [], shippingToSend: [] };
  const dueToFirstSendMs: number[] = [];
  for (const { campaignId, connectionId, at } of scheduled) {
    const sentAt = firstSends.get(connectionId)!;
    dueToFirstSendMs.push(sentAt - at);
    const campaign = await system.models.Campaign.findById(campaignId, { startedAt: 1 }).lean();
    const shipping = await system.models.Shipping.findOne(
      { campaignId: new Types.ObjectId(campaignId) },
      { createdAt: 1 },
    ).lean();
    if (campaign?.startedAt && shipping) {
      stages.dueToProcessing.push(campaign.startedAt.getTime() - at);
      stages.processingToShipping.push(shipping.createdAt.getTime() - campaign.startedAt.getTime());
      stages.shippingToSend.push(sentAt - shipping.createdAt.getTime());
    }
  }
  return { dueToFirstSendMs, stages };
}

async function measurePacing(
  system: TestSystem,
  seeded: { key: string; connectionId: string; listId: string },
): Promise<PacingResult> {
  const campaignId = await createCampaign(system, seeded.key, {
    connectionId: seeded.connectionId,
    listId: seeded.listId,
    variants: VARIANTS,
  });
  const started = await system.api('POST', `/v1/campaigns/${campaignId}/start`, undefined, seeded.key);
  if (started.status !== 202) throw new Error(`start: ${started.status} ${JSON.stringify(started.body)}`);
  await waitForStatus(system, seeded.key, campaignId, 'completed', 90_000);
  const sends = await system.sandboxSends(seeded.connectionId);
  if (sends.length !== PACING_CONTACTS) throw new Error(`pacing: ${sends.length} sends, expected ${PACING_CONTACTS}`);
  const times = sends.map((send) => send.receivedAt.getTime());
  const errorsMs: number[] = [];
  let state = IDLE_LANE;
  let gapsLongRequired = 0;
  for (const at of times) {
    if (state.lastSentAt !== null) {
      const required = requiredGap(state, PACING_MS);
      if (required === PACING_MS.greaterIntervalMs) gapsLongRequired++;
      errorsMs.push(at - state.lastSentAt - required);
    }
    state = recordSend(state, PACING_MS, at);
  }
  return {
    sends: sends.length,
    errorsMs,
    sandboxViolations: sends.filter((send) => send.violation).length,
    ruleViolations: findViolations(times, PACING_MS).length,
    gapsLongRequired,
  };
}

// ---------------------------------------------------------------------------------------------
// driver

async function main(): Promise<void> {
  log(
    `pipeline bench: N=${N} contacts; ${LATENCY_CAMPAIGNS} scheduled campaigns; ${PACING_CONTACTS}-contact pacing campaign${BENCH_LIMITS ? '; BENCH_LIMITS: windows, caps, jitter, 3 numbers on the prepare campaign' : ''}`,
  );

  // 1 (set-up) — the prepare system, its contacts seeded before anything is timed.
  const prepareSystem = await startSystem('bench-prepare', { workers: [] });
  systems.add(prepareSystem);
  const setup = await setUpPrepare(prepareSystem, PREPARE_SIZE);

  // 2 — raw figures on the same servers, just before the prepare run.
  log(
    `raw insertMany of ${N} shipping-sized documents (batches of ${RAW_INSERT_BATCH}, ${RAW_INSERT_PARALLEL} at once)…`,
  );
  const insert = await rawInsert();
  log(`raw insert: ${fmt(insert.perSec)} docs/s (${insert.docBytes} bytes each)`);
  log(`raw confirmed publish of ${N} messages into a quorum queue…`);
  const publish = await rawPublish();
  log(`raw publish: ${fmt(publish.perSec)} msg/s (${publish.messageBytes} bytes each)`);

  // 1 + 5 — prepare through a separate worker process.
  log('prepare: worker process with campaign-process,contact-prepare; starting the campaign…');
  const prepare = await measurePrepare(prepareSystem, setup, PREPARE_SIZE);
  log(
    `prepared ${prepare.prepared} of ${N} in ${prepare.measuredSeconds.toFixed(1)} s (${fmt(prepare.preparePerSec)}/s), worker peak RSS ${prepare.peakRssMb.toFixed(0)} MB`,
  );
  await stopSystem(prepareSystem);

  // 3 + 4 — dispatch system: both companies seeded first, so the worker opens every lane at start.
  const dispatchSystem = await startSystem('bench-dispatch', { workers: [] });
  systems.add(dispatchSystem);
  const latencyCompany = await seedCompany(dispatchSystem, {
    pacing: { messageInterval: 0.1, longerIntervalAfter: 20, greaterInterval: 0.3 },
    contacts: 1,
    connections: LATENCY_CAMPAIGNS,
  });
  const pacingCompany = await seedCompany(dispatchSystem, { pacing: PACING, contacts: PACING_CONTACTS });
  const worker = await spawnWorker(dispatchSystem, 'all');
  children.add(worker);
  log(`due → first send: ${LATENCY_CAMPAIGNS} campaigns scheduled 3 s + i × 150 ms ahead…`);
  const latency = await measureLatency(dispatchSystem, latencyCompany);
  log(
    `due → first send p50 ${percentile(latency.dueToFirstSendMs, 50)} ms, p99 ${percentile(latency.dueToFirstSendMs, 99)} ms`,
  );
  log(
    `pacing: ${PACING_CONTACTS} contacts at ${PACING.messageInterval} s, ${PACING.greaterInterval} s after every ${PACING.longerIntervalAfter}…`,
  );
  const pacing = await measurePacing(dispatchSystem, pacingCompany);
  await stopChild(worker);
  await stopSystem(dispatchSystem);

  report(prepare, insert, publish, latency, pacing);
}

function report(
  prepare: PrepareResult,
  insert: { perSec: number; docBytes: number },
  publish: { perSec: number; messageBytes: number },
  latency: LatencyResult,
  pacing: PacingResult,
): void {
  const rawLimit = Math.min(insert.perSec, publish.perSec);
  // Contacts taken all the way through the worker (streamed and prepared) when VmHWM was read.
  const rssContacts = prepare.prepared;
  const limitRatio = prepare.preparePerSec / rawLimit;
  const due50 = percentile(latency.dueToFirstSendMs, 50);
  const due99 = percentile(latency.dueToFirstSendMs, 99);
  const err50 = percentile(pacing.errorsMs, 50);
  const err99 = percentile(pacing.errorsMs, 99);
  const errMax = Math.max(...pacing.errorsMs);
  const errMin = Math.min(...pacing.errorsMs);
  const stage = (values: number[]) => (values.length ? `${percentile(values, 50)} / ${percentile(values, 99)}` : 'n/a');
  const ok = (pass: boolean) => (pass ? 'ok' : 'MISSED');
  const at = (ms: number | null) => (ms === null ? 'n/a' : `${(ms / 1000).toFixed(1)} s`);

  const rows: string[][] = [
    ['measure', 'value', 'goal', ''],
    ['contacts (N)', fmt(N), '', ''],
    ['seed insertMany, contacts (docs/s, reference)', fmt(prepare.seedPerSec), '', ''],
    prepare.budgetHit
      ? [
          `prepare time (s), PROJECTED: ${fmt(prepare.prepared)} of ${fmt(N)} in the ${PREPARE_BUDGET_S} s budget`,
          prepare.prepareSeconds.toFixed(1),
          '',
          '',
        ]
      : ['prepare time (s)', prepare.prepareSeconds.toFixed(1), '', ''],
    ['  plan fixed at / audience streamed by', `${at(prepare.planFixedMs)} / ${at(prepare.streamDoneMs)}`, '', ''],
    ['prepare throughput (contacts/s)', fmt(prepare.preparePerSec), '', ''],
    [`raw insertMany (docs/s, ${insert.docBytes} B, unique index)`, fmt(insert.perSec), '', ''],
    [`raw confirmed publish (msg/s, ${publish.messageBytes} B, quorum)`, fmt(publish.perSec), '', ''],
    [
      'limitRatio = prepare / min(raw insert, raw publish)',
      limitRatio.toFixed(2),
      '≥ 0.5',
      ok(round2(limitRatio) >= 0.5),
    ],
    [
      'CPU during prepare (% of one core; 2 cores)',
      Object.entries(prepare.cpu)
        .map(([name, share]) => `${name} ${Number.isNaN(share) ? '?' : share.toFixed(0)}`)
        .join(', '),
      '',
      '',
    ],
    [`shipping document (BSON bytes)`, String(prepare.shippingBytes), '', ''],
    [`due → first send p50 (ms, ${LATENCY_CAMPAIGNS} campaigns)`, String(due50), '', ''],
    ['due → first send p99 (ms)', String(due99), '≤ 250', ok(due99 <= 250)],
    ['  due → processing started, p50 / p99 (ms)', stage(latency.stages.dueToProcessing), '', ''],
    ['  processing → shipping stored, p50 / p99 (ms)', stage(latency.stages.processingToShipping), '', ''],
    ['  shipping stored → sandbox received, p50 / p99 (ms)', stage(latency.stages.shippingToSend), '', ''],
    [`pacing error p50 (ms, ${pacing.errorsMs.length} gaps, ${pacing.gapsLongRequired} long)`, String(err50), '', ''],
    ['pacing error p99 (ms)', String(err99), '≤ 50', ok(err99 <= 50)],
    ['pacing error max / min (ms)', `${errMax} / ${errMin}`, '', ''],
    [
      'pacing violations (sandbox / findViolations)',
      `${pacing.sandboxViolations} / ${pacing.ruleViolations}`,
      '0',
      ok(pacing.sandboxViolations === 0 && pacing.ruleViolations === 0),
    ],
    [
      `prepare worker peak RSS (MB, VmHWM, ${fmt(rssContacts)} contacts prepared${prepare.budgetHit ? `, ${prepare.processingDone ? fmt(N) : 'not all'} streamed` : ''})`,
      prepare.peakRssMb.toFixed(0),
      '≤ 250',
      ok(prepare.peakRssMb <= 250),
    ],
  ];
  const widths = rows[0]!.map((_, column) => Math.max(...rows.map((row) => row[column]!.length)));
  const line = (row: string[]) =>
    row
      .map((cell, column) => (column === 0 ? cell.padEnd(widths[column]!) : cell.padStart(widths[column]!)))
      .join('  ');
  process.stdout.write(`\npipeline bench (${((performance.now() - wallStart) / 1000).toFixed(0)} s total)\n`);
  process.stdout.write(
    `${line(rows[0]!)}\n${widths.map((w) => '-'.repeat(w)).join('  ')}\n${rows.slice(1).map(line).join('\n')}\n`,
  );
  if (pacing.sandboxViolations !== pacing.ruleViolations)
    process.stdout.write('warning: the sandbox and findViolations disagree on the violations\n');

  // The prepare progress, every ~2 s: how far along, the contact-prepare backlog, the lane depth.
  process.stdout.write('\nprepare progress (t, prepared, contact-prepare backlog, lane queue, worker RSS MB)\n');
  let nextAt = 0;
  prepare.progress.forEach((point, index) => {
    if (point.at < nextAt && index !== prepare.progress.length - 1) return;
    nextAt = point.at + 2_000;
    const rss = [...prepare.rssTimeline].reverse().find((sample) => sample.at <= point.at)?.rssMb ?? Number.NaN;
    process.stdout.write(
      `  ${(point.at / 1000).toFixed(1).padStart(6)} s  ${String(point.prepared).padStart(8)}  ${String(point.backlog ?? '-').padStart(6)}  ${String(point.lane ?? '-').padStart(8)}  ${rss.toFixed(0).padStart(5)}\n`,
    );
  });

  if (prepare.budgetHit) {
    process.stdout.write(
      `note: prepare hit its ${PREPARE_BUDGET_S} s budget (${prepare.prepared} of ${N}); prepareSeconds is projected from the measured rate\n`,
    );
  }
  process.stdout.write(
    `${JSON.stringify({
      limits: BENCH_LIMITS,
      contacts: N,
      prepareSeconds: round2(prepare.prepareSeconds),
      preparePerSec: Math.round(prepare.preparePerSec),
      rawInsertPerSec: Math.round(insert.perSec),
      rawPublishPerSec: Math.round(publish.perSec),
      limitRatio: round2(limitRatio),
      dueToFirstSendMsP50: due50,
      dueToFirstSendMsP99: due99,
      pacingErrorMsP99: err99,
      pacingViolations: pacing.sandboxViolations,
      peakRssMb: Math.round(prepare.peakRssMb),
      rssContacts,
    })}\n`,
  );
}

runBench(main);
