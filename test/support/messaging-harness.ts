import { z } from 'zod';
import { defineMessage, type MessageOf } from '../../src/domain/events/envelope';
import type { RetryPolicy } from '../../src/domain/messaging/retry-policy';
import type { ErrorReporter } from '../../src/infrastructure/observability/error-reporter';
import { createLogger } from '../../src/infrastructure/observability/logger';
import { Metrics } from '../../src/infrastructure/observability/metrics';
import { Broker } from '../../src/infrastructure/rabbitmq/broker';
import { ConsumerRunner, type ConsumerSpec } from '../../src/infrastructure/rabbitmq/consumer-runner';
import type { ManagementApi } from '../../src/infrastructure/rabbitmq/management-api';
import { Publisher } from '../../src/infrastructure/rabbitmq/publisher';
import { mergeTopologies, type TopologySpec } from '../../src/infrastructure/rabbitmq/topology-spec';
import { workQueue } from '../../src/infrastructure/rabbitmq/work-queue';
import { disparoTopology } from '../../src/topology';
import { createTestVhost } from './infrastructure';

/** A message type that exists only in tests: a sequence number and the sender's clock. */
export const TestPing = defineMessage({
  type: 'TestPing',
  version: 1,
  routingKey: 'test.ping',
  payload: z.object({
    seq: z.number().int(),
    sentAt: z.number(),
    fail: z.enum(['none', 'transient', 'permanent']).default('none'),
  }),
});

export const PREFIX = 'disparo';
export const PROBE_QUEUE = `${PREFIX}.probe`;

/** Quiet unless TEST_LOG_LEVEL asks for logs (e.g. TEST_LOG_LEVEL=debug npm test). */
export const silentLogger = createLogger({
  level: process.env.TEST_LOG_LEVEL ?? 'error',
  service: 'test',
  silent: !process.env.TEST_LOG_LEVEL,
});

/** Errors the runner reports, kept for assertions (the real reporter sends them to Sentry). */
export class RecordingReporter implements ErrorReporter {
  readonly captured: Array<{ error: unknown; context: unknown }> = [];
  capture(error: unknown, context?: unknown): void {
    this.captured.push({ error, context });
  }
  async flush(): Promise<void> {}
}

export interface Harness {
  vhost: string;
  url: string;
  management: ManagementApi;
  broker: Broker;
  publisher: Publisher;
  reporter: RecordingReporter;
  /** The registry the harness's publisher and consumers count into. */
  metrics: Metrics;
  run<T>(spec: ConsumerSpec<T>, retryPolicy?: RetryPolicy): Promise<ConsumerRunner<T>>;
  dispose(): Promise<void>;
}

export type Ping = MessageOf<typeof TestPing>;

/** The consumer every messaging test runs on the probe queue: TestPing messages, handled by `handle`. */
export function probeConsumer(prefetch: number, handle: ConsumerSpec<Ping>['handle']): ConsumerSpec<Ping> {
  return { name: 'probe', queue: PROBE_QUEUE, prefetch, schema: TestPing.schema, handle };
}

export function probeTopology(): TopologySpec {
  return mergeTopologies(
    disparoTopology({ prefix: PREFIX, deliveryLimit: 5 }),
    workQueue({ prefix: PREFIX, name: 'probe', purpose: 'test probe', eventPatterns: ['test.#'], deliveryLimit: 5 }),
  );
}

/** A fresh vhost with Disparo's topology plus a probe queue, a broker connection and a publisher. */
export async function startHarness(label: string, options: { publishTimeoutMs?: number } = {}): Promise<Harness> {
  const vhost = await createTestVhost(label);
  const broker = await Broker.connect({
    url: vhost.url,
    topology: probeTopology(),
    logger: silentLogger,
    connectionName: `test:${label}`,
  });
  const metrics = new Metrics({ defaultMetrics: false });
  const publisher = new Publisher(broker, {
    prefix: PREFIX,
    timeoutMs: options.publishTimeoutMs ?? 15_000,
    maxInFlight: 5_000,
    logger: silentLogger,
    metrics,
  });
  await publisher.start();
  const reporter = new RecordingReporter();
  const runners: Array<ConsumerRunner<unknown>> = [];
  return {
    vhost: vhost.vhost,
    url: vhost.url,
    management: vhost.management,
    broker,
    publisher,
    reporter,
    metrics,
    async run(spec, retryPolicy = { maxAttempts: 3, baseDelayMs: 20, maxDelayMs: 200 }) {
      const runner = new ConsumerRunner(spec, {
        broker,
        publisher,
        logger: silentLogger,
        errorReporter: reporter,
        metrics,
        retryPolicy,
        prefix: PREFIX,
        maxMessageBytes: 64 * 1024,
      });
      await runner.start();
      runners.push(runner as ConsumerRunner<unknown>);
      return runner;
    },
    async dispose() {
      await Promise.all(runners.map((runner) => runner.stop(2_000)));
      await publisher.close().catch(() => undefined);
      await broker.close().catch(() => undefined);
      await vhost.dispose();
    },
  };
}

/** Reads (and removes) every message currently in a queue, with a raw amqplib channel. */
export async function takeAll(
  url: string,
  queue: string,
): Promise<Array<{ body: string; headers: Record<string, unknown> }>> {
  const amqplib = await import('amqplib');
  const connection = await amqplib.connect(url);
  try {
    const channel = await connection.createChannel();
    const taken: Array<{ body: string; headers: Record<string, unknown> }> = [];
    for (;;) {
      const message = await channel.get(queue, { noAck: true });
      if (message === false) return taken;
      taken.push({
        body: message.content.toString('utf8'),
        headers: (message.properties.headers ?? {}) as Record<string, unknown>,
      });
    }
  } finally {
    await connection.close();
  }
}

/** Publishes raw bytes straight into a queue, as a misbehaving producer would. */
export async function injectRaw(url: string, queue: string, bodies: Buffer[]): Promise<void> {
  const amqplib = await import('amqplib');
  const connection = await amqplib.connect(url);
  try {
    const channel = await connection.createConfirmChannel();
    for (const body of bodies) channel.sendToQueue(queue, body, { persistent: true });
    await channel.waitForConfirms();
  } finally {
    await connection.close();
  }
}
