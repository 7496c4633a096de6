/**
 * Messaging core vs raw amqplib, on the same broker in the same run.
 *
 *   npm run bench:messaging          (or: npx tsx bench/messaging.ts with RABBITMQ_URL and
 *                                     RABBITMQ_MANAGEMENT_URL exported, or .infra.env present)
 *
 * Four measurements, each in a fresh vhost (deleted afterwards), each run twice alternating raw and
 * core (the machine is small and shared with the broker), best run kept:
 *   publish: N persistent, confirmed ~300-byte envelopes into a quorum work queue.
 *            raw  = amqplib ConfirmChannel, all pipelined (waits for 'drain'), then all confirms;
 *            core = Publisher.send for all N at once (its own in-flight limit does the pacing).
 *   consume: N pre-loaded messages, prefetch P, rate from the first delivery to the last ack.
 *            raw  = amqplib channel, JSON.parse + ack each;
 *            core = ConsumerRunner (decode, zod validation, empty handler, ack).
 * The last line of output is one JSON object with the rates and the core/raw ratios.
 *
 * BENCH_MESSAGES overrides N (default 20000); BENCH_PREFETCH overrides P (default 200);
 * BENCH_ROUNDS overrides the number of rounds (default 2).
 */
import { performance } from 'node:perf_hooks';
import type { Channel, ChannelModel, ConfirmChannel, ConsumeMessage } from 'amqplib';
import * as amqplib from 'amqplib';
import type { ErrorReporter } from '../src/infrastructure/observability/error-reporter';
import { createLogger } from '../src/infrastructure/observability/logger';
import { Metrics } from '../src/infrastructure/observability/metrics';
import { Broker } from '../src/infrastructure/rabbitmq/broker';
import { ConsumerRunner } from '../src/infrastructure/rabbitmq/consumer-runner';
import { Publisher } from '../src/infrastructure/rabbitmq/publisher';
import { positiveInt } from './support/env';
import { withVhost } from './support/infra';
import {
  BENCH_QUEUE,
  BenchPing,
  type BenchPingMessage,
  benchTopology,
  encode,
  makeEnvelopes,
  PREFIX,
  properties,
  workQueueArguments,
} from './support/messages';
import { publishAllConfirmed } from './support/raw-publish';

const N = positiveInt('BENCH_MESSAGES', 20_000);
const PREFETCH = positiveInt('BENCH_PREFETCH', 200);
const ROUNDS = positiveInt('BENCH_ROUNDS', 2);
/** Messages published before the timed publish, so connection/channel setup is not timed. */
const WARMUP = 200;
const MEASUREMENT_TIMEOUT_MS = 90_000;

const logger = createLogger({ level: 'error', service: 'bench' });
const metrics = new Metrics({ defaultMetrics: false });
const silentReporter: ErrorReporter = { capture: () => undefined, flush: async () => undefined };

type Side = 'raw' | 'core';
type Kind = 'publish' | 'consume';

interface Sample {
  kind: Kind;
  side: Side;
  round: number;
  perSec: number;
  elapsedMs: number;
  /** This process's CPU time (user + system) per message in the timed window. */
  cpuUsPerMessage: number;
}

interface Timed {
  elapsedMs: number;
  cpuUs: number;
}

/** Starts the clock (wall time and this process's CPU time); the returned function stops it. */
function startClock(): () => Timed {
  const wall = performance.now();
  const cpu = process.cpuUsage();
  return () => {
    const used = process.cpuUsage(cpu);
    return { elapsedMs: performance.now() - wall, cpuUs: used.user + used.system };
  };
}

// ---------------------------------------------------------------------------------------------
// raw amqplib

async function rawConnect(url: string, name: string): Promise<ChannelModel> {
  return amqplib.connect(url, { clientProperties: { connection_name: name } });
}

async function declareRawQueue(channel: Channel): Promise<void> {
  await channel.assertQueue(BENCH_QUEUE, { durable: true, arguments: workQueueArguments() });
}

function rawPublishAll(channel: ConfirmChannel, messages: BenchPingMessage[]): Promise<void> {
  return publishAllConfirmed(channel, BENCH_QUEUE, messages.length, (i) => ({
    content: encode(messages[i]!),
    options: properties(messages[i]!),
  }));
}

async function rawPublish(url: string, envelopes: BenchPingMessage[], warmup: BenchPingMessage[]): Promise<Timed> {
  const connection = await rawConnect(url, 'bench:raw-publish');
  try {
    const channel = await connection.createConfirmChannel();
    await declareRawQueue(channel);
    await rawPublishAll(channel, warmup);
    const stop = startClock();
    await rawPublishAll(channel, envelopes);
    return stop();
  } finally {
    await connection.close();
  }
}

/** Fills the queue with `envelopes` (untimed) through a raw confirm channel. */
async function preload(url: string, envelopes: BenchPingMessage[]): Promise<void> {
  const connection = await rawConnect(url, 'bench:preload');
  try {
    const channel = await connection.createConfirmChannel();
    await declareRawQueue(channel);
    await rawPublishAll(channel, envelopes);
    const { messageCount } = await channel.checkQueue(BENCH_QUEUE);
    if (messageCount !== envelopes.length)
      throw new Error(`preload: ${messageCount} messages in the queue, expected ${envelopes.length}`);
  } finally {
    await connection.close();
  }
}

async function rawConsume(url: string, envelopes: BenchPingMessage[]): Promise<Timed> {
  await preload(url, envelopes);
  const connection = await rawConnect(url, 'bench:raw-consume');
  try {
    const channel = await connection.createChannel();
    await channel.prefetch(PREFETCH);
    const total = envelopes.length;
    let count = 0;
    let stop = startClock(); // restarted on the first delivery
    const elapsed = await new Promise<Timed>((resolve, reject) => {
      channel.on('error', reject);
      channel
        .consume(BENCH_QUEUE, (message: ConsumeMessage | null) => {
          if (message === null) return reject(new Error('consumer cancelled by the broker'));
          if (count === 0) stop = startClock();
          JSON.parse(message.content.toString('utf8'));
          channel.ack(message);
          if (++count === total) resolve(stop());
        })
        .catch(reject);
    });
    return elapsed;
  } finally {
    await connection.close();
  }
}

// ---------------------------------------------------------------------------------------------
// the project's messaging core

async function withCore<T>(
  url: string,
  name: string,
  body: (broker: Broker, publisher: Publisher) => Promise<T>,
): Promise<T> {
  const broker = await Broker.connect({ urls: [url], topology: benchTopology(), logger, connectionName: name });
  // The same metrics as production: the core's figures include counting every message.
  const publisher = new Publisher(broker, { prefix: PREFIX, timeoutMs: 30_000, maxInFlight: 5_000, logger, metrics });
  await publisher.start();
  try {
    return await body(broker, publisher);
  } finally {
    await publisher.close().catch(() => undefined);
    await broker.close().catch(() => undefined);
  }
}

async function corePublish(url: string, envelopes: BenchPingMessage[], warmup: BenchPingMessage[]): Promise<Timed> {
  return withCore(url, 'bench:core-publish', async (_broker, publisher) => {
    await Promise.all(warmup.map((message) => publisher.send(BENCH_QUEUE, message)));
    const stop = startClock();
    await Promise.all(envelopes.map((message) => publisher.send(BENCH_QUEUE, message)));
    return stop();
  });
}

async function coreConsume(url: string, envelopes: BenchPingMessage[]): Promise<Timed> {
  return withCore(url, 'bench:core-consume', async (broker, publisher) => {
    // The broker has declared the topology (the bench queue included); fill it before consuming.
    await preload(url, envelopes);
    const total = envelopes.length;
    let count = 0;
    let stop = startClock(); // restarted on the first delivery
    let finish: (timed: Timed) => void = () => undefined;
    const done = new Promise<Timed>((resolve) => (finish = resolve));
    const runner = new ConsumerRunner<BenchPingMessage>(
      {
        name: 'bench',
        queue: BENCH_QUEUE,
        prefetch: PREFETCH,
        schema: BenchPing.schema,
        handle: async () => {
          if (count === 0) stop = startClock();
          // The runner acks a few microtasks after the handler resolves; a macrotask later it has.
          if (++count === total) setImmediate(() => finish(stop()));
        },
      },
      {
        broker,
        publisher,
        logger,
        errorReporter: silentReporter,
        metrics,
        retryPolicy: { maxAttempts: 3, baseDelayMs: 100, maxDelayMs: 1_000 },
        prefix: PREFIX,
        maxMessageBytes: 64 * 1024,
      },
    );
    await runner.start();
    try {
      return await done;
    } finally {
      await runner.stop(5_000);
    }
  });
}

// ---------------------------------------------------------------------------------------------
// driver

async function measure(kind: Kind, side: Side, round: number): Promise<Sample> {
  // Fresh envelopes per run (unique eventIds), built and validated before any timing.
  const envelopes = makeEnvelopes(N);
  const warmup = makeEnvelopes(WARMUP);
  const { elapsedMs, cpuUs } = await withTimeout(
    withVhost(`${side}-${kind}`, (vhost) => {
      if (kind === 'publish')
        return side === 'raw' ? rawPublish(vhost.url, envelopes, warmup) : corePublish(vhost.url, envelopes, warmup);
      return side === 'raw' ? rawConsume(vhost.url, envelopes) : coreConsume(vhost.url, envelopes);
    }),
    MEASUREMENT_TIMEOUT_MS,
    `${side} ${kind} (round ${round})`,
  );
  const sample = { kind, side, round, elapsedMs, perSec: (N / elapsedMs) * 1000, cpuUsPerMessage: cpuUs / N };
  process.stdout.write(
    `  round ${round}  ${pad(`${side} ${kind}`, 13)} ${fmt(sample.perSec).padStart(8)} msg/s  (${(elapsedMs / 1000).toFixed(2)} s; client CPU ${sample.cpuUsPerMessage.toFixed(1)} µs/msg)\n`,
  );
  return sample;
}

async function main(): Promise<void> {
  const bodyBytes = encode(makeEnvelopes(1)[0]!).length;
  process.stdout.write(
    `messaging bench: N=${N} messages of ${bodyBytes} bytes, prefetch ${PREFETCH}, ${ROUNDS} rounds, quorum work queue\n`,
  );
  const wallStart = performance.now();
  const samples: Sample[] = [];
  for (let round = 1; round <= ROUNDS; round++) {
    // Alternate which side goes first, so neither always gets the warmer (or cooler) machine.
    const order: Side[] = round % 2 === 1 ? ['raw', 'core'] : ['core', 'raw'];
    for (const kind of ['publish', 'consume'] as const) {
      for (const side of order) samples.push(await measure(kind, side, round));
    }
  }
  const best = (kind: Kind, side: Side) =>
    Math.max(...samples.filter((s) => s.kind === kind && s.side === side).map((s) => s.perSec));
  const rawPublishPerSec = best('publish', 'raw');
  const corePublishPerSec = best('publish', 'core');
  const rawConsumePerSec = best('consume', 'raw');
  const coreConsumePerSec = best('consume', 'core');
  const cpu = (kind: Kind, side: Side) =>
    Math.min(...samples.filter((s) => s.kind === kind && s.side === side).map((s) => s.cpuUsPerMessage));
  const publishRatio = corePublishPerSec / rawPublishPerSec;
  const consumeRatio = coreConsumePerSec / rawConsumePerSec;

  const rows = [
    ['', 'raw amqplib', 'core', 'core/raw'],
    ['publish (msg/s)', fmt(rawPublishPerSec), fmt(corePublishPerSec), publishRatio.toFixed(2)],
    ['consume (msg/s)', fmt(rawConsumePerSec), fmt(coreConsumePerSec), consumeRatio.toFixed(2)],
    [
      'client CPU, publish (µs/msg)',
      cpu('publish', 'raw').toFixed(1),
      cpu('publish', 'core').toFixed(1),
      (cpu('publish', 'core') / cpu('publish', 'raw')).toFixed(2),
    ],
    [
      'client CPU, consume (µs/msg)',
      cpu('consume', 'raw').toFixed(1),
      cpu('consume', 'core').toFixed(1),
      (cpu('consume', 'core') / cpu('consume', 'raw')).toFixed(2),
    ],
  ];
  const widths = rows[0]!.map((_, column) => Math.max(...rows.map((row) => row[column]!.length)));
  const line = (row: string[]) =>
    row
      .map((cell, column) => (column === 0 ? cell.padEnd(widths[column]!) : cell.padStart(widths[column]!)))
      .join('  ');
  process.stdout.write(`\nbest of ${ROUNDS} (${((performance.now() - wallStart) / 1000).toFixed(1)} s total)\n`);
  process.stdout.write(
    `${line(rows[0]!)}\n${widths.map((w) => '-'.repeat(w)).join('  ')}\n${rows.slice(1).map(line).join('\n')}\n`,
  );
  process.stdout.write('(rates: best run; client CPU: lowest run; this process only, the broker shares the machine)\n');
  // Judged on the ratios as reported (2 decimals), so the verdict never contradicts the JSON line.
  const verdict =
    round2(publishRatio) >= 0.8 && round2(consumeRatio) >= 0.8
      ? 'both ratios >= 0.80'
      : 'a ratio is below the 0.80 goal';
  process.stdout.write(`${verdict}\n`);
  process.stdout.write(
    `${JSON.stringify({
      corePublishPerSec: Math.round(corePublishPerSec),
      rawPublishPerSec: Math.round(rawPublishPerSec),
      publishRatio: round2(publishRatio),
      coreConsumePerSec: Math.round(coreConsumePerSec),
      rawConsumePerSec: Math.round(rawConsumePerSec),
      consumeRatio: round2(consumeRatio),
    })}\n`,
  );
}

// ---------------------------------------------------------------------------------------------
// helpers

function withTimeout<T>(promise: Promise<T>, ms: number, what: string): Promise<T> {
  let timer: NodeJS.Timeout | undefined;
  const timeout = new Promise<never>((_, reject) => {
    timer = setTimeout(() => reject(new Error(`${what} did not finish within ${ms} ms`)), ms);
  });
  return Promise.race([promise, timeout]).finally(() => clearTimeout(timer));
}

function fmt(perSec: number): string {
  return Math.round(perSec).toLocaleString('en-US');
}

function pad(text: string, width: number): string {
  return text.padEnd(width);
}

function round2(value: number): number {
  return Math.round(value * 100) / 100;
}

main().catch((error: unknown) => {
  process.stderr.write(`bench failed: ${error instanceof Error ? (error.stack ?? error.message) : String(error)}\n`);
  process.exitCode = 1;
  // A failed measurement may leave a connection open; do not hang.
  setTimeout(() => process.exit(1), 2_000).unref();
});
