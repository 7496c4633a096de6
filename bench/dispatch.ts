/**
 * One number's send rate through the dispatch lane, against the sandbox acting as a provider with a
 * realistic round trip.
 *
 *   npm run bench:dispatch      (bash scripts/with-infra.sh tsx bench/dispatch.ts; run it under
 *                                flock /work/notes/bench.lock on a shared machine)
 *
 * For each configuration: a company, one sandbox number whose `latencyMs` is the provider's round
 * trip (BENCH_DISPATCH_LATENCY_MS, default 150, about the Graph API's) and whose `throughputPerSec`
 * is the configured rate, a list of N contacts and one campaign to them. The API, campaign-process
 * and contact-prepare run in this process; dispatch runs alone in a spawned worker process, so its
 * CPU time is the lane's (and the in-process sandbox's) own.
 *
 * Configurations (N from the environment; the defaults are the figures to reach):
 * - `80/s`: pacing 0.001 s (runs longer than N), throughput 80 — BENCH_DISPATCH_SENDS_80 (5,000);
 * - `1000/s`: the same at throughput 1,000 — BENCH_DISPATCH_SENDS_1000 (20,000);
 * - `anti-ban`: the default pacing (20 s, a 60 s pause after 20), throughput 80 —
 *   BENCH_DISPATCH_SENDS_DEFAULT (3: one send every 20 s).
 * BENCH_DISPATCH_ONLY=80,1000 runs some of them. BENCH_DISPATCH_BUDGET_S (default 1,800) caps each
 * configuration: past it the campaign is cancelled and the figures are of what was sent (flagged).
 *
 * Measured, per configuration, from the sandbox's own record:
 * - sendsPerSec: (sends − 1) / (last send − first send), the rate the provider saw;
 * - startGapViolations: sends the sandbox flagged as starting too soon after the previous one
 *   (rule `start-gap`: under max(messageInterval, 1/throughput); rule `pacing`: the pacing rule);
 * - duplicates: provider sends beyond one per contact;
 * - workerCpuMsPerSend: the dispatch worker's CPU time (user + system) over the campaign / sends.
 * Human-readable table first; the last line is one JSON object.
 */
import { execSync } from 'node:child_process';
import { performance } from 'node:perf_hooks';
import { sandboxStore } from '../src/infrastructure/gateways/sandbox/sandbox-store';
import { KNOWN_ROLES } from '../src/runtime/worker';
import { sleep } from '../test/support/collector';
import { createCampaign, seedCompany, spawnWorker, startSystem, type TestSystem } from '../test/support/system';
import { fmt, log, round2 } from './support/bench-log';
import { positiveInt } from './support/env';
import { children, runBench, stopChild, stopSystem, systems } from './support/lifecycle';
import { cpuSeconds } from './support/proc-stats';

const LATENCY_MS = Number(process.env.BENCH_DISPATCH_LATENCY_MS ?? 150);
const BUDGET_S = positiveInt('BENCH_DISPATCH_BUDGET_S', 1_800);
const FAST_PACING = { messageInterval: 0.001, longerIntervalAfter: 100_000, greaterInterval: 60 };
const ANTI_BAN_PACING = { messageInterval: 20, longerIntervalAfter: 20, greaterInterval: 60 };

interface Configuration {
  name: string;
  pacing: typeof FAST_PACING;
  throughputPerSec: number;
  /** The rate the configuration allows: min(1/messageInterval, throughput). */
  configuredPerSec: number;
  sends: number;
}

const CONFIGURATIONS: Configuration[] = [
  {
    name: '80',
    pacing: FAST_PACING,
    throughputPerSec: 80,
    configuredPerSec: 80,
    sends: positiveInt('BENCH_DISPATCH_SENDS_80', 5_000),
  },
  {
    name: '1000',
    pacing: FAST_PACING,
    throughputPerSec: 1_000,
    configuredPerSec: 1_000,
    sends: positiveInt('BENCH_DISPATCH_SENDS_1000', 20_000),
  },
  {
    name: 'anti-ban',
    pacing: ANTI_BAN_PACING,
    throughputPerSec: 80,
    configuredPerSec: 1 / ANTI_BAN_PACING.messageInterval,
    sends: positiveInt('BENCH_DISPATCH_SENDS_DEFAULT', 3),
  },
];

interface Result {
  configuration: string;
  latencyMs: number;
  configuredPerSec: number;
  sends: number;
  sent: number;
  completed: boolean;
  sendsPerSec: number;
  startGapViolations: number;
  pacingViolations: number;
  duplicates: number;
  workerCpuMsPerSend: number;
  campaignSeconds: number;
  /** When every contact's shipping was prepared (null: not by the end): near campaignSeconds, preparation bounds the rate. */
  preparedSeconds: number | null;
  /** Sends per second while the last shippings were still being prepared, and after. */
  sendsPerSecWhilePreparing: number;
  sendsPerSecAfterPrepared: number | null;
}

async function measure(system: TestSystem, workerPid: number, configuration: Configuration): Promise<Result> {
  const seeded = await seedCompany(system, {
    pacing: configuration.pacing,
    contacts: configuration.sends,
    sandbox: { latencyMs: LATENCY_MS },
  });
  const set = await system.api(
    'PATCH',
    `/v1/connections/${seeded.connectionId}`,
    { throughputPerSec: configuration.throughputPerSec },
    seeded.key,
  );
  if (set.status !== 200) throw new Error(`throughput: ${set.status} ${JSON.stringify(set.body)}`);
  const campaignId = await createCampaign(system, seeded.key, {
    connectionId: seeded.connectionId,
    listId: seeded.listId,
  });
  const cpuBefore = cpuSeconds(workerPid);
  const started = performance.now();
  const start = await system.api('POST', `/v1/campaigns/${campaignId}/start`, undefined, seeded.key);
  if (start.status !== 202) throw new Error(`start: ${start.status} ${JSON.stringify(start.body)}`);
  let completed = false;
  let lastLog = 0;
  let preparedAt: number | null = null;
  for (;;) {
    const campaign = await system.models.Campaign.findById(campaignId, { status: 1, counters: 1 }).lean();
    if (preparedAt === null && (campaign?.counters.prepared ?? 0) >= configuration.sends)
      preparedAt = performance.now();
    if (campaign?.status === 'completed') {
      completed = true;
      break;
    }
    const seconds = (performance.now() - started) / 1000;
    if (seconds - lastLog >= 10) {
      lastLog = seconds;
      log(`  ${configuration.name}: ${fmt(campaign?.counters.sent ?? 0)}/${fmt(configuration.sends)} sent`);
    }
    if (seconds > BUDGET_S) {
      log(`  ${configuration.name}: budget of ${BUDGET_S} s reached; cancelling`);
      await system.api('POST', `/v1/campaigns/${campaignId}/cancel`, undefined, seeded.key);
      break;
    }
    await sleep(250);
  }
  const campaignSeconds = (performance.now() - started) / 1000;
  const cpuMs = (cpuSeconds(workerPid) - cpuBefore) * 1000;
  const sends = await sandboxStore(system.db)
    .Message.find({ connectionId: seeded.connectionId }, { to: 1, receivedAt: 1, violation: 1 })
    .sort({ receivedAt: 1 })
    .lean();
  const times = sends.map((send) => send.receivedAt.getTime());
  const span = times.length > 1 ? (times.at(-1)! - times[0]!) / 1000 : 0;
  // The same clock as the sandbox's record (this process's Date), to split the sends at the moment all were prepared.
  const preparedEpoch = preparedAt === null ? null : Date.now() - (performance.now() - preparedAt);
  const rateOf = (from: number, to: number) => {
    const inside = times.filter((at) => at >= from && at <= to);
    return inside.length > 1 ? round2((inside.length - 1) / ((inside.at(-1)! - inside[0]!) / 1000)) : 0;
  };
  const lastTime = times.at(-1) ?? 0;
  return {
    configuration: configuration.name,
    latencyMs: LATENCY_MS,
    configuredPerSec: configuration.configuredPerSec,
    sends: configuration.sends,
    sent: sends.length,
    completed,
    sendsPerSec: span > 0 ? round2((sends.length - 1) / span) : 0,
    startGapViolations: sends.filter((send) => send.violation?.rule === 'start-gap').length,
    pacingViolations: sends.filter((send) => send.violation?.rule === 'pacing').length,
    duplicates: sends.length - new Set(sends.map((send) => send.to)).size,
    workerCpuMsPerSend: sends.length > 0 ? round2(cpuMs / sends.length) : 0,
    campaignSeconds: round2(campaignSeconds),
    preparedSeconds: preparedAt === null ? null : round2((preparedAt - started) / 1000),
    sendsPerSecWhilePreparing: rateOf(times[0] ?? 0, preparedEpoch ?? lastTime),
    sendsPerSecAfterPrepared: preparedEpoch === null ? null : rateOf(preparedEpoch, lastTime),
  };
}

async function main(): Promise<void> {
  const only = process.env.BENCH_DISPATCH_ONLY?.split(',').map((name) => name.trim());
  const chosen = CONFIGURATIONS.filter((configuration) => !only || only.includes(configuration.name));
  const load = execSync('uptime').toString().trim();
  log(`dispatch bench: latency ${LATENCY_MS} ms; ${chosen.map((c) => `${c.name}: ${fmt(c.sends)} sends`).join(', ')}`);
  log(`load: ${load}`);
  const results: Result[] = [];
  for (const configuration of chosen) {
    // Its own vhost, database and dispatch worker: nothing left over from the previous configuration.
    const system = await startSystem(`bench-dispatch-${configuration.name}`, {
      workers: [KNOWN_ROLES.filter((role) => role !== 'dispatch')],
    });
    systems.add(system);
    const worker = await spawnWorker(system, 'dispatch');
    children.add(worker);
    try {
      log(
        `${configuration.name}: ${fmt(configuration.sends)} contacts, throughput ${configuration.throughputPerSec}/s`,
      );
      const result = await measure(system, worker.pid!, configuration);
      log(
        `${configuration.name}: ${result.sendsPerSec} sends/s, ${result.startGapViolations} start-gap violations, ${result.duplicates} duplicates, ${result.workerCpuMsPerSend} ms CPU/send`,
      );
      results.push(result);
    } finally {
      await stopChild(worker);
      await stopSystem(system);
    }
  }
  const loadAfter = execSync('uptime').toString().trim();
  const header = [
    'config',
    'latency ms',
    'configured/s',
    'sends',
    'sent',
    'sends/s',
    'start-gap viol.',
    'pacing viol.',
    'dupes',
    'worker CPU ms/send',
    'all prepared at s',
    'sends/s preparing / after',
  ];
  const rows = results.map((r) => [
    `${r.configuration}${r.completed ? '' : ' (budget hit)'}`,
    String(r.latencyMs),
    String(round2(r.configuredPerSec)),
    fmt(r.sends),
    fmt(r.sent),
    String(r.sendsPerSec),
    String(r.startGapViolations),
    String(r.pacingViolations),
    String(r.duplicates),
    String(r.workerCpuMsPerSend),
    `${r.preparedSeconds ?? '-'} of ${r.campaignSeconds}`,
    `${r.sendsPerSecWhilePreparing} / ${r.sendsPerSecAfterPrepared ?? '-'}`,
  ]);
  const widths = header.map((title, i) => Math.max(title.length, ...rows.map((row) => row[i]!.length)));
  const line = (cells: string[]) => cells.map((cell, i) => cell.padEnd(widths[i]!)).join('  ');
  process.stdout.write(`\n${line(header)}\n${rows.map(line).join('\n')}\n`);
  log(`load after: ${loadAfter}`);
  process.stdout.write(`${JSON.stringify({ load, loadAfter, results })}\n`);
}

runBench(main);
