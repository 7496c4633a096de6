/**
 * Dispatch lanes at scale: thousands of WhatsApp numbers over two dispatch workers.
 *
 *   npm run bench:lanes             (BENCH_LANES sets the number of lanes, default 10000)
 *
 * Runs on a RabbitMQ node of its own (started and stopped here, data removed), so creating
 * thousands of quorum queues stalls nothing else; MongoDB is the shared wire server (a database of
 * its own, dropped at the end). The API runs in this process, the two dispatch workers as separate
 * processes, as deployed: `node dist/src/cli/disparo.js worker` (built first; no tsx compiler in the
 * measured process; BENCH_WORKER_NODE_OPTIONS sets their NODE_OPTIONS), WORKER_ROLES=dispatch, the safety re-scan
 * an hour away: new lanes arrive only through ConnectionCreated. BENCH_LANES_LOG_DIR keeps their logs.
 *
 * 1. create: BENCH_LANES connections through POST /v1/connections, 8 at a time (each declares its
 *    lane: one quorum queue, bound to the delay levels and the lanes' dead-letter queue). For every
 *    (lanes/200)-th one a probe (a ContactPrepared for a shipping that does not exist: the lane's
 *    handler reads it, finds nothing to send, acks) is put in its lane right after the 201;
 *    newLaneMs = from sending the POST until the probe has left the lane (queue.declare's
 *    message count polled every 25 ms, on 8 channels, while the creation goes on; sets of more
 *    than 20 lanes every 250 ms: each poll is a query to the lane's Raft leader on the node measured).
 * 2. served: once the workers report every lane owned (their membership documents), one probe into
 *    every lane; servedLanes = lanes whose probe was consumed within 180 s.
 *    maxOverMinLanesPerWorker = most / fewest lanes owned by one worker.
 * 3. memory: brokerMemMb = RSS of the node's Erlang VM; workerRssMb = the larger worker's RSS
 *    (VmRSS, and peak VmHWM in the table).
 * 4. takeover: SIGKILL of one worker, then a probe into 200 of the lanes it owned (rendezvous over
 *    the two member ids); takeoverMs = from the kill until the survivor handled each probe, by the
 *    line its dispatcher logs (debug) when it drops the probe, with the probe's eventId (the queue's
 *    depth cannot tell: a probe the dying worker's consumer held is not ready either, until it comes back). Then the time until the survivor owns every
 *    lane (membership TTL, LANE_MEMBER_TTL_MS=5000 here).
 * lostProbes = probes published and never consumed.
 * 5. idle while due: two campaigns on one new number (pacing 1 s; the second started once the first
 *    has sent 9 of 14, LANE_HANDOFF_MS=6000 so part of the second is already in the lane while the
 *    first's later messages arrive at their time); idleWhileDueMsMax = the longest the number went
 *    without a send while a message was due, beyond the pacing rule (test/support/shared-number.ts).
 * 6. SIGKILL storm: one campaign of BENCH_STORM_CONTACTS contacts over 4 new numbers (20 ms pacing)
 *    while a random dispatch worker is SIGKILLed every 2–4 s and another started (built; one worker
 *    always left running, the next one started before another kill); lostEvents = sent
 *    shippings without exactly one MessageDispatched in the event log (after the reconciler had
 *    its chance), stormDuplicateSends = sandbox records beyond one per shipping.
 * Human-readable table first; the last line is one JSON object.
 */
import { rmSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { performance } from 'node:perf_hooks';
import * as amqplib from 'amqplib';
import { Types } from 'mongoose';
import { rankWorkers } from '../src/domain/dispatch/lane-assignment';
import { ContactPrepared } from '../src/domain/events/dispatch-messages';
import { createMessage, newCorrelation } from '../src/domain/events/envelope';
import type { DispatchMemberDoc } from '../src/infrastructure/mongo/dispatch-membership';
import { encode, properties } from '../src/infrastructure/rabbitmq/publisher';
import { queues } from '../src/topology';
import { percentile, sleep } from '../test/support/collector';
import { startDedicatedRabbitMq } from '../test/support/dedicated-rabbitmq';
import { twoCampaignsOnOneNumber } from '../test/support/shared-number';
import { createCampaign, seedCompany, startSystem, waitForStatus, waitUntil } from '../test/support/system';
import { fmt, log, round2 } from './support/bench-log';
import { positiveInt } from './support/env';
import { type Child, children, cleanups, runBench, stopChild, systems } from './support/lifecycle';
import { procStatus } from './support/proc-stats';
import { buildProject, spawnBuiltWorker } from './support/system-process';

const LANES = positiveInt('BENCH_LANES', 10_000);
const STORM_CONTACTS = positiveInt('BENCH_STORM_CONTACTS', 2_000);
const STORM_NUMBERS = 4;
/**
 * NODE_OPTIONS of the dispatch workers: by default docker-compose.yml's, as deployed
 * (`--max-old-space-size=384`: a worker holding 10,000 lanes has ~128 MB live; 160 ran out of heap).
 * Without a cap Node lets garbage pile up before collecting (348 MB RSS, survivor 542, at 10,000 lanes).
 */
const WORKER_NODE_OPTIONS = process.env.BENCH_WORKER_NODE_OPTIONS ?? '--max-old-space-size=384';
/**
 * When the worker whose log this is handled each probe (ms after `since`, epoch ms): the line a
 * dispatcher writes when it drops a lane message whose shipping does not exist, with the probe's eventId.
 */
function handledBy(log: string, eventIds: ReadonlySet<string>, since: number): number[] {
  const at: number[] = [];
  for (const line of log.split('\n')) {
    if (!line.includes('dropping this message')) continue;
    try {
      const entry = JSON.parse(line) as { eventId?: string; timestamp?: string };
      if (entry.eventId && eventIds.has(entry.eventId) && entry.timestamp) at.push(Date.parse(entry.timestamp) - since);
    } catch {
      // not a JSON line
    }
  }
  return at;
}

/** A directory to keep the workers' logs in (their timestamps show what the takeover waited for). */
const LOG_DIR = process.env.BENCH_LANES_LOG_DIR;
const CREATE_CONCURRENCY = 8;
const NEW_LANE_SAMPLES = 200;
const TAKEOVER_SAMPLES = 200;
const names = queues('disparo');

function alive(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch {
    return false;
  }
}

runBench(async () => {
  log(`lanes bench: ${fmt(LANES)} lanes, 2 dispatch workers, a RabbitMQ node of its own`);
  const node = await startDedicatedRabbitMq('lanes');
  cleanups.add(async () => {
    // A node holding thousands of quorum queues can take minutes to stop: past 90 s it is killed
    // (its data is thrown away anyway).
    const pid = node.pid();
    const stopped = await Promise.race([node.dispose().then(() => true), sleep(90_000).then(() => false)]);
    // `rabbitmqctl stop` can also give up at once on a node too busy to answer: check the process.
    if (!stopped || alive(pid)) {
      log('the node did not stop within 90 s; killing it');
      process.kill(pid, 'SIGKILL');
      await sleep(1_000);
      rmSync(node.dir, { recursive: true, force: true });
    }
  });
  const brokerBaseMb = procStatus(node.pid(), 'VmRSS');
  const system = await startSystem('bench-lanes', {
    workers: [],
    env: {
      RABBITMQ_URL: node.url,
      LOG_LEVEL: 'warn',
      LANE_REFRESH_MS: '3600000',
      LANE_HEARTBEAT_MS: '1000',
      LANE_MEMBER_TTL_MS: '5000',
      // The idle-while-due scenario (5): a short hand-off window, so the two campaigns interleave in the lane.
      LANE_HANDOFF_MS: '6000',
      // The storm (6): the reconciler (in this process) looks every 3 s, a shipping is stuck after 15 s.
      RECONCILE_EVERY_MS: '3000',
      RECONCILE_STUCK_AFTER_MS: '15000',
      COUNTER_RECOUNT_AFTER_MS: '3000',
    },
  });
  systems.add(system);
  const amqp = await amqplib.connect(node.url);
  cleanups.add(async () => amqp.close().catch(() => undefined));
  const publishChannel = await amqp.createConfirmChannel();
  const probes = new Map<string, number>(); // lane queue → probes published and not yet seen consumed
  const probe = (connectionId: string) => {
    const message = createMessage(
      ContactPrepared,
      {
        shippingId: new Types.ObjectId().toHexString(),
        campaignId: new Types.ObjectId().toHexString(),
        contactId: new Types.ObjectId().toHexString(),
        connectionId,
        plannedAt: new Date().toISOString(),
      },
      newCorrelation(new Types.ObjectId().toHexString()),
    );
    const queue = names.lane(connectionId);
    probes.set(queue, (probes.get(queue) ?? 0) + 1);
    publishChannel.sendToQueue(queue, encode(message), properties(message));
    return message.eventId;
  };
  // Several channels: a channel answers one queue.declare at a time, and the poll's resolution is one round.
  const checkChannels = await Promise.all(Array.from({ length: 8 }, () => amqp.createChannel()));
  /**
   * Polls the lanes until each has no message left; resolves with the time each emptied (ms since
   * `from`). Every poll is a query to the lane's Raft leader on the node being measured, so a large
   * set is polled every 250 ms (the figures' resolution), a handful every 25 ms.
   */
  const consumedAfter = async (lanes: string[], from: number, timeoutMs: number) => {
    const pollMs = lanes.length > 20 ? 250 : 25;
    const done = new Map<string, number>();
    const deadline = performance.now() + timeoutMs;
    let pending = [...lanes];
    while (pending.length > 0 && performance.now() < deadline) {
      const still: string[] = [];
      for (let i = 0; i < pending.length; i += 400) {
        const batch = pending.slice(i, i + 400);
        await Promise.all(
          batch.map(async (id, k) => {
            const { messageCount } = await checkChannels[k % checkChannels.length]!.checkQueue(names.lane(id));
            if (messageCount === 0) {
              done.set(id, performance.now() - from);
              probes.delete(names.lane(id));
            } else still.push(id);
          }),
        );
      }
      pending = still;
      if (pending.length > 0) await sleep(pollMs);
    }
    return done;
  };

  // As deployed: built code (no tsx compiler in the measured process), the heap cap of docker-compose.yml.
  buildProject();
  const workers: Array<Child & { output: () => string }> = [];
  for (let i = 0; i < 2; i++) {
    const worker = await spawnBuiltWorker({
      ...system.env,
      // debug: the line a dispatcher writes when it drops a probe (no such shipping) dates the takeover.
      LOG_LEVEL: 'debug',
      WORKER_ROLES: 'dispatch',
      NODE_OPTIONS: WORKER_NODE_OPTIONS,
    });
    children.add(worker);
    workers.push(worker);
  }
  if (LOG_DIR)
    cleanups.add(async () => {
      for (const worker of workers) writeFileSync(join(LOG_DIR, `worker-${worker.pid}.log`), worker.output());
    });
  const seeded = await seedCompany(system, { connections: 0, contacts: 0 });

  // 1. create, with newLaneMs on a sample
  log('creating connections through the API');
  const every = Math.max(1, Math.floor(LANES / NEW_LANE_SAMPLES));
  const connectionIds: string[] = [];
  const newLane: number[] = [];
  const watching: Array<Promise<void>> = [];
  const createStarted = performance.now();
  let next = 0;
  await Promise.all(
    Array.from({ length: CREATE_CONCURRENCY }, async () => {
      while (next < LANES) {
        const index = next++;
        const sentAt = performance.now();
        const created = await system.api('POST', '/v1/connections', { name: `Número ${index}` }, seeded.key);
        if (created.status !== 201)
          throw new Error(`connection ${index}: ${created.status} ${JSON.stringify(created.body)}`);
        const id = created.body.id as string;
        connectionIds.push(id);
        if (index % every === 0) {
          probe(id);
          // Watched from now on, while the creation goes on.
          watching.push(
            consumedAfter([id], sentAt, 120_000).then((done) => {
              const at = done.get(id);
              if (at !== undefined) newLane.push(at);
            }),
          );
        }
        if (connectionIds.length % 1000 === 0)
          log(
            `  ${fmt(connectionIds.length)} connections (${fmt(connectionIds.length / ((performance.now() - createStarted) / 1000))}/s)`,
          );
      }
    }),
  );
  await publishChannel.waitForConfirms();
  const createSeconds = (performance.now() - createStarted) / 1000;
  log(`created ${fmt(LANES)} connections and lanes in ${createSeconds.toFixed(1)} s`);
  await Promise.all(watching);
  const brokerAfterCreateMb = procStatus(node.pid(), 'VmRSS');

  // 2. served and balance
  const members = () => system.db.collection<DispatchMemberDoc>('dispatch_members').find({}).sort({ _id: 1 }).toArray();
  const subscribedStarted = performance.now();
  await waitUntil(
    'the workers to own every lane',
    async () => {
      const all = await members();
      return all.length === 2 && all.reduce((sum, member) => sum + member.owned, 0) === LANES;
    },
    600_000,
    500,
  ).catch(async (error) => {
    log(`members: ${JSON.stringify(await members())}`);
    throw error;
  });
  log(`every lane owned ${((performance.now() - subscribedStarted) / 1000).toFixed(1)} s after the last connection`);
  const held = await members();
  const owned = held.map((member) => member.owned);
  const servedStarted = performance.now();
  for (const id of connectionIds) probe(id);
  await publishChannel.waitForConfirms();
  const served = await consumedAfter(connectionIds, servedStarted, 180_000);
  const servedSeconds = (performance.now() - servedStarted) / 1000;
  log(`${fmt(served.size)} of ${fmt(LANES)} lanes consumed their probe in ${servedSeconds.toFixed(1)} s`);

  // 3. memory
  await sleep(5_000);
  const brokerMemMb = procStatus(node.pid(), 'VmRSS');
  const workerRss = workers.map((worker) => procStatus(worker.pid!, 'VmRSS'));
  const workerPeak = workers.map((worker) => procStatus(worker.pid!, 'VmHWM'));

  // 4. takeover
  const victimDoc = held.find((member) => member.pid === workers[1]!.pid) ?? held[1]!;
  const victim = workers.find((worker) => worker.pid === victimDoc.pid) ?? workers[1]!;
  const memberIds = held.map((member) => member._id);
  const victimLanes = connectionIds.filter((id) => rankWorkers(id, memberIds)[0] === victimDoc._id);
  const takeoverLanes = victimLanes
    .filter((_, i) => i % Math.max(1, Math.floor(victimLanes.length / TAKEOVER_SAMPLES)) === 0)
    .slice(0, TAKEOVER_SAMPLES);
  const victimExited = new Promise((resolve) => victim.once('exit', resolve));
  const survivor = workers.find((worker) => worker !== victim)!;
  const killedAt = performance.now();
  const killedAtWall = Date.now();
  victim.kill('SIGKILL');
  const takeoverProbes = new Set(takeoverLanes.map((id) => probe(id)));
  await publishChannel.waitForConfirms();
  // Also waited for: every probe has left its queue (lostProbes otherwise).
  const takeover = await consumedAfter(takeoverLanes, killedAt, 120_000);
  await sleep(1_000); // the survivor's last log lines
  const takeoverMs = handledBy(survivor.output(), takeoverProbes, killedAtWall);
  if (takeoverMs.length < takeoverProbes.size)
    log(`the survivor logged ${takeoverMs.length} of ${takeoverProbes.size} takeover probes as handled`);
  await victimExited;
  children.delete(victim);
  log(
    `SIGKILL of a worker: ${takeover.size}/${takeoverLanes.length} of its lanes consumed again, p99 ${fmt(percentile(takeoverMs, 99))} ms`,
  );
  let rebalancedMs: number | null = null;
  await waitUntil(
    'the survivor to own every lane',
    async () => {
      const all = await members();
      return all.length === 1 && all[0]!.owned === LANES;
    },
    180_000,
    250,
  )
    .then(() => {
      rebalancedMs = performance.now() - killedAt;
    })
    .catch(() => log('the survivor did not report every lane owned within 180 s'));
  const survivorRssMb = procStatus(workers.find((worker) => worker !== victim)!.pid!, 'VmRSS');

  const lostProbes = [...probes.values()].reduce((sum, count) => sum + count, 0);

  // 5. idle while due: two campaigns on one number (the rest of the pipeline runs in this process)
  await system.addWorker(['event-recorder', 'campaign-process', 'contact-prepare', 'scheduler']);
  const survivors = workers.filter((worker) => children.has(worker));
  log('two campaigns on one number');
  const shared = await twoCampaignsOnOneNumber(system, {
    pacing: { messageInterval: 1, longerIntervalAfter: 50, greaterInterval: 3 },
    firstContacts: 14,
    secondContacts: 5,
    secondAfterSends: 9,
    timeoutMs: 180_000,
  });
  const idleWhileDueMsMax = shared.idle.maxMs;
  const sharedViolations = shared.sends.filter((send) => send.violation).length;
  log(
    `  longest idle while a message was due: ${fmt(idleWhileDueMsMax)} ms beyond pacing, ${sharedViolations} violations`,
  );

  // 6. SIGKILL storm over the dispatch workers; every send must have exactly one MessageDispatched
  log(`SIGKILL storm: ${fmt(STORM_CONTACTS)} contacts on ${STORM_NUMBERS} numbers`);
  const stormers: Child[] = [...survivors];
  // Built, as the other dispatch workers (a worker starting holds every lane: 10,000 subscriptions at 10,000 lanes).
  const stormWorker = async () => {
    const worker = await spawnBuiltWorker({
      ...system.env,
      // debug: the line a dispatcher writes when it drops a probe (no such shipping) dates the takeover.
      LOG_LEVEL: 'debug',
      WORKER_ROLES: 'dispatch',
      NODE_OPTIONS: WORKER_NODE_OPTIONS,
    });
    children.add(worker);
    stormers.push(worker);
  };
  while (stormers.length < 2) await stormWorker();
  const stormed = await seedCompany(system, {
    pacing: { messageInterval: 0.02, longerIntervalAfter: 25, greaterInterval: 0.1 },
    contacts: STORM_CONTACTS,
    connections: STORM_NUMBERS,
  });
  const stormCampaign = await createCampaign(system, stormed.key, {
    connectionIds: stormed.connections,
    listId: stormed.listId,
  });
  const stormStarted = performance.now();
  await system.api('POST', `/v1/campaigns/${stormCampaign}/start`, undefined, stormed.key);
  let storming = true;
  let kills = 0;
  const storm = (async () => {
    while (storming) {
      await sleep(2_000 + Math.random() * 2_000);
      const live = stormers.filter((worker) => worker.exitCode === null && worker.signalCode === null);
      // One worker always stays: the next is started (and holds every lane) before another kill.
      const victim = live.length >= 2 ? live[Math.floor(Math.random() * live.length)] : undefined;
      if (storming && victim) {
        victim.kill('SIGKILL');
        await victim.exited();
        children.delete(victim);
        kills++;
      }
      if (!storming || live.length - (victim ? 1 : 0) >= 2) continue;
      // A worker that does not start in time is no reason to stop the storm (nor, unhandled, the benchmark).
      await stormWorker().catch((error: unknown) =>
        log(`  a storm worker did not start: ${String(error).slice(0, 200)}`),
      );
    }
  })();
  await waitForStatus(system, stormed.key, stormCampaign, 'completed', 600_000).finally(() => {
    storming = false;
  });
  await storm;
  const stormSeconds = (performance.now() - stormStarted) / 1000;
  const sentShippings = await system.models.Shipping.find(
    { campaignId: stormCampaign, status: 'sent' },
    { _id: 1 },
  ).lean();
  const withoutOneEvent = async () => {
    const events = await system.db
      .collection<{ payload: { shippingId: string } }>('events')
      .find({ type: 'MessageDispatched', campaignId: stormCampaign }, { projection: { payload: 1 } })
      .toArray();
    const counts = new Map<string, number>();
    for (const event of events) counts.set(event.payload.shippingId, (counts.get(event.payload.shippingId) ?? 0) + 1);
    return sentShippings.filter((shipping) => counts.get(String(shipping._id)) !== 1).length;
  };
  // The event recorder lags a little; a kill's orphan event waits for its redelivery or the reconciler (15 s).
  await waitUntil(
    'every sent shipping to have one MessageDispatched',
    async () => (await withoutOneEvent()) === 0,
    60_000,
    1_000,
  ).catch(() => undefined);
  const lostEvents = await withoutOneEvent();
  let stormSends = 0;
  for (const connectionId of stormed.connections) stormSends += (await system.sandboxSends(connectionId)).length;
  const stormDuplicateSends = stormSends - sentShippings.length;
  log(
    `  ${fmt(sentShippings.length)} sent in ${stormSeconds.toFixed(1)} s through ${kills} SIGKILLs; ${lostEvents} without exactly one MessageDispatched`,
  );
  for (const worker of stormers) if (children.has(worker)) await stopChild(worker);
  const result = {
    lanes: LANES,
    servedLanes: served.size,
    dispatchWorkers: 2,
    lanesPerWorker: owned,
    maxOverMinLanesPerWorker: round2(Math.max(...owned) / Math.max(1, Math.min(...owned))),
    createPerSec: round2(LANES / createSeconds),
    newLaneMsP50: Math.round(percentile(newLane, 50)),
    newLaneMsP99: Math.round(percentile(newLane, 99)),
    newLaneSamples: newLane.length,
    servedSeconds: round2(servedSeconds),
    takeoverMsP50: Math.round(percentile(takeoverMs, 50)),
    takeoverMsP99: Math.round(percentile(takeoverMs, 99)),
    takeoverSamples: takeoverLanes.length,
    rebalancedMs: rebalancedMs === null ? null : Math.round(rebalancedMs),
    idleWhileDueMsMax,
    idleScenarioViolations: sharedViolations,
    lostEvents,
    stormSent: sentShippings.length,
    stormContacts: STORM_CONTACTS,
    stormKills: kills,
    stormSeconds: round2(stormSeconds),
    stormDuplicateSends,
    lostProbes,
    brokerBaseMb: Math.round(brokerBaseMb),
    brokerAfterCreateMb: Math.round(brokerAfterCreateMb),
    brokerMemMb: Math.round(brokerMemMb),
    workerRssMb: Math.round(Math.max(...workerRss)),
    workerPeakRssMb: Math.round(Math.max(...workerPeak)),
    survivorRssMb: Math.round(survivorRssMb),
    channelsPerWorker: held.map((member) => member.channels),
  };
  const rows: Array<[string, string]> = [
    ['lanes (connections created through the API)', fmt(LANES)],
    ['created per second (8 at a time, lane declared by the API)', String(result.createPerSec)],
    ['lanes served (probe consumed)', fmt(result.servedLanes)],
    ['lanes owned per worker', owned.map(fmt).join(' / ')],
    ['max / min lanes per worker', String(result.maxOverMinLanesPerWorker)],
    ['lane channels per worker', result.channelsPerWorker.join(' / ')],
    ['new lane consumed, p50 / p99 (ms from POST)', `${fmt(result.newLaneMsP50)} / ${fmt(result.newLaneMsP99)}`],
    ['takeover after SIGKILL, p50 / p99 (ms)', `${fmt(result.takeoverMsP50)} / ${fmt(result.takeoverMsP99)}`],
    ['survivor owns every lane after (ms)', rebalancedMs === null ? '—' : fmt(rebalancedMs)],
    ['lost probes', fmt(lostProbes)],
    ['two campaigns on one number: longest idle while due (ms beyond pacing)', fmt(idleWhileDueMsMax)],
    [
      `SIGKILL storm: sent / contacts, kills, seconds`,
      `${fmt(sentShippings.length)} / ${fmt(STORM_CONTACTS)}, ${kills}, ${stormSeconds.toFixed(1)}`,
    ],
    ['storm: sent shippings without exactly one MessageDispatched', fmt(lostEvents)],
    ['storm: sends beyond one per shipping', fmt(stormDuplicateSends)],
    [
      'broker RSS: empty / after create / with consumers (MB)',
      `${fmt(brokerBaseMb)} / ${fmt(brokerAfterCreateMb)} / ${fmt(brokerMemMb)}`,
    ],
    ['worker RSS, now / peak (MB)', `${workerRss.map(fmt).join(' / ')} (peak ${workerPeak.map(fmt).join(' / ')})`],
    ['survivor RSS holding every lane (MB)', fmt(survivorRssMb)],
  ];
  const width = Math.max(...rows.map(([label]) => label.length));
  console.log('');
  for (const [label, value] of rows) console.log(`${label.padEnd(width)}  ${value}`);
  console.log(JSON.stringify(result));
  for (const worker of [...children]) await stopChild(worker);
});
