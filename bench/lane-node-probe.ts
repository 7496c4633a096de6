/**
 * What a RabbitMQ node spends on thousands of lane queues, without Disparo around it: a node of its
 * own, PROBE_QUEUES lane-shaped quorum queues (the lane's arguments), then PROBE_CONSUMERS
 * single-active consumers on each (one connection per "worker", 250 consumers a channel, prefetch
 * 1, as the dispatch workers hold them). In each phase, for PROBE_PHASE_S seconds: the node's CPU
 * (share of one core), the longest answer to a `queue.declare passive` sent every 100 ms (how long
 * the node can go silent: amqplib closes a connection after two missed heartbeats), and at the end
 * `rabbitmq-diagnostics runtime_thread_stats` (where the schedulers' time goes) and the process
 * count. Last phase: one consumer connection destroyed (as a SIGKILL of a worker does) and how long
 * the node then stays busy.
 *
 *   flock /work/notes/bench.lock node --import tsx bench/lane-node-probe.ts
 *
 * The node has Disparo's settings (scripts/rabbitmq/advanced.config); PROBE_TICK_MS sets its
 * quorum_tick_interval over them (RabbitMQ's default is 5000), PROBE_RABBIT adds other
 * `{rabbit, [...]}` entries (comma-separated Erlang terms).
 */
import { performance } from 'node:perf_hooks';
import * as amqplib from 'amqplib';
import { laneTopology } from '../src/topology';
import { sleep } from '../test/support/collector';
import { startDedicatedRabbitMq } from '../test/support/dedicated-rabbitmq';
import { fmt, log } from './support/bench-log';
import { positiveInt } from './support/env';
import { cpuSeconds, procStatus } from './support/proc-stats';

const QUEUES = positiveInt('PROBE_QUEUES', 3_000);
const CONSUMERS = Number(process.env.PROBE_CONSUMERS ?? 2);
const PHASE_S = positiveInt('PROBE_PHASE_S', 20);
const PER_CHANNEL = 250;

async function main(): Promise<void> {
  const rabbit = [
    ...(process.env.PROBE_TICK_MS ? [`{quorum_tick_interval, ${process.env.PROBE_TICK_MS}}`] : []),
    ...(process.env.PROBE_RABBIT ? process.env.PROBE_RABBIT.split(/,(?=\s*\{)/) : []),
  ];
  log(
    `lane node probe: ${fmt(QUEUES)} queues, ${CONSUMERS} consumers each; scripts/rabbitmq/advanced.config and: ${rabbit.join(' ') || 'nothing more'}`,
  );
  const node = await startDedicatedRabbitMq('probe', { rabbit });
  const pid = node.pid();
  const results: Record<string, unknown> = { queues: QUEUES, consumersPerQueue: CONSUMERS, rabbit };
  results.quorumTickInterval = (
    await node.diagnostics(['eval', 'application:get_env(rabbit, quorum_tick_interval).'], 'rabbitmqctl')
  ).trim();
  try {
    const admin = await amqplib.connect(`${node.url}?heartbeat=60`);
    const channels = await Promise.all(Array.from({ length: 8 }, () => admin.createChannel()));
    const names = Array.from({ length: QUEUES }, (_, i) => `probe${String(i).padStart(5, '0')}`);
    const queueOf = (id: string) => laneTopology({ prefix: 'disparo', deliveryLimit: 20 }, id).queues[0]!;
    let started = performance.now();
    const declareCpu0 = cpuSeconds(pid);
    let next = 0;
    await Promise.all(
      channels.map(async (channel) => {
        while (next < names.length) {
          const queue = queueOf(names[next++]!);
          await channel.assertQueue(queue.name, { durable: true, arguments: queue.arguments });
        }
      }),
    );
    results.declareSeconds = round((performance.now() - started) / 1000);
    results.declareCpuCores = round((cpuSeconds(pid) - declareCpu0) / ((performance.now() - started) / 1000));
    log(`declared ${fmt(QUEUES)} queues in ${results.declareSeconds} s`);

    const ping = channels[0]!;
    /** CPU share of one core and the longest ping over `seconds`. */
    const phase = async (label: string, seconds = PHASE_S) => {
      const cpu0 = cpuSeconds(pid);
      const t0 = performance.now();
      let longest = 0;
      while (performance.now() - t0 < seconds * 1000) {
        const sent = performance.now();
        await ping.checkQueue(`disparo.lane.${names[0]}`);
        longest = Math.max(longest, performance.now() - sent);
        await sleep(100);
      }
      const cpu = (cpuSeconds(pid) - cpu0) / ((performance.now() - t0) / 1000);
      const threads = await node.diagnostics(['runtime_thread_stats', '--sample-interval', '5']).catch(String);
      const processes = Number(
        (
          await node.diagnostics(['eval', 'erlang:system_info(process_count).'], 'rabbitmqctl').catch(() => 'NaN')
        ).trim(),
      );
      const entry = {
        cpuCores: round(cpu),
        longestAnswerMs: Math.round(longest),
        processes,
        rssMb: Math.round(procStatus(pid, 'VmRSS')),
      };
      results[label] = entry;
      log(`${label}: ${JSON.stringify(entry)}`);
      log(schedulerSummary(threads));
      return entry;
    };
    await phase('idleNoConsumers');

    const workers: amqplib.ChannelModel[] = [];
    /** When each queue's message reached the second "worker" (the standby of the first). */
    const reachedStandby = new Map<string, number>();
    started = performance.now();
    for (let w = 0; w < CONSUMERS; w++) {
      const connection = await amqplib.connect(`${node.url}?heartbeat=5`);
      connection.on('error', () => undefined);
      workers.push(connection);
      for (let i = 0; i < names.length; i += PER_CHANNEL) {
        const channel = await connection.createChannel();
        channel.on('error', () => undefined);
        await channel.prefetch(1, false);
        await Promise.all(
          names.slice(i, i + PER_CHANNEL).map((id) =>
            channel.consume(`disparo.lane.${id}`, () => {
              if (w === 1 && !reachedStandby.has(id)) reachedStandby.set(id, performance.now());
            }),
          ),
        );
      }
    }
    results.subscribeSeconds = round((performance.now() - started) / 1000);
    log(`subscribed ${fmt(QUEUES * CONSUMERS)} consumers in ${results.subscribeSeconds} s`);
    await phase('idleWithConsumers');

    if (workers.length > 0) {
      // As a SIGKILL: the socket goes, no close handshake; then a message into 200 of the queues,
      // which the second connection's consumers (standing by behind the first's) should get.
      const killed = workers.shift()!;
      const killedAt = performance.now();
      (killed as unknown as { connection: { stream: { destroy(): void } } }).connection.stream.destroy();
      const sample = names.filter((_, i) => i % Math.max(1, Math.floor(names.length / 200)) === 0).slice(0, 200);
      const publisher = await admin.createConfirmChannel();
      for (const id of sample) publisher.sendToQueue(`disparo.lane.${id}`, Buffer.from('{}'));
      await publisher.waitForConfirms();
      const lossPhase = phase('afterConnectionLoss', Math.max(PHASE_S, 20));
      if (CONSUMERS >= 2) {
        const deadline = performance.now() + 120_000;
        while (sample.some((id) => !reachedStandby.has(id)) && performance.now() < deadline) await sleep(50);
        const times = sample.flatMap((id) => {
          const at = reachedStandby.get(id);
          return at === undefined ? [] : [at - killedAt];
        });
        times.sort((a, b) => a - b);
        results.takeover = {
          samples: sample.length,
          reached: times.length,
          p50Ms: Math.round(times[Math.floor(times.length * 0.5)] ?? Number.NaN),
          p99Ms: Math.round(times[Math.min(times.length - 1, Math.floor(times.length * 0.99))] ?? Number.NaN),
        };
        log(`takeover: ${JSON.stringify(results.takeover)}`);
      }
      await lossPhase;
    }
    results.memoryBreakdown = (await node.diagnostics(['memory_breakdown', '--unit', 'mb']).catch(String))
      .split('\n')
      .filter((line) => /^\w.*: \d/.test(line))
      .slice(0, 8);
    for (const worker of workers) await worker.close().catch(() => undefined);
    await admin.close().catch(() => undefined);
  } finally {
    const stopping = node.dispose();
    const stopped = await Promise.race([stopping.then(() => true), sleep(90_000).then(() => false)]);
    if (!stopped) process.kill(pid, 'SIGKILL');
  }
  console.log(JSON.stringify(results));
}

/** The lines of runtime_thread_stats for the normal schedulers (scheduler, one line per thread). */
function schedulerSummary(output: string): string {
  return output
    .split('\n')
    .filter((line) => /^(Thread|\s*scheduler|\s*async|\s*dirty_cpu_|\s*aux)/i.test(line))
    .join('\n');
}

function round(value: number): number {
  return Math.round(value * 100) / 100;
}

main().catch((error) => {
  console.error(error);
  process.exit(1);
});
