import { z } from 'zod';
import { createMessage, defineMessage, type MessageOf, newCorrelation } from '../../src/domain/events/envelope';
import { mergeTopologies, type TopologySpec } from '../../src/infrastructure/rabbitmq/topology-spec';
import { workQueue } from '../../src/infrastructure/rabbitmq/work-queue';
import { disparoTopology } from '../../src/topology';

/** A message type that exists only in the benchmark (same shape as the tests' TestPing). */
export const BenchPing = defineMessage({
  type: 'BenchPing',
  version: 1,
  routingKey: 'bench.ping',
  payload: z.object({
    seq: z.number().int(),
    sentAt: z.number(),
    fail: z.enum(['none', 'transient', 'permanent']).default('none'),
  }),
});
export type BenchPingMessage = MessageOf<typeof BenchPing>;

export const PREFIX = 'disparo';
export const BENCH_QUEUE_NAME = 'bench';
export const BENCH_QUEUE = `${PREFIX}.${BENCH_QUEUE_NAME}`;

function benchWorkQueue(): TopologySpec {
  return workQueue({
    prefix: PREFIX,
    name: BENCH_QUEUE_NAME,
    purpose: 'benchmark queue',
    eventPatterns: ['bench.#'],
    deliveryLimit: 5,
  });
}

/** Disparo's topology plus the benchmark's work queue (what the core side connects with). */
export function benchTopology(): TopologySpec {
  return mergeTopologies(disparoTopology({ prefix: PREFIX, deliveryLimit: 5 }), benchWorkQueue());
}

/** The queue arguments the core declares for a work queue (quorum, delivery limit, DLX, overflow). */
export function workQueueArguments(): Record<string, unknown> {
  const spec = benchWorkQueue().queues.find((queue) => queue.name === BENCH_QUEUE);
  if (!spec) throw new Error('work queue spec not found');
  return { ...spec.arguments };
}

/** `count` valid envelopes, built (and validated) before any timing starts. */
export function makeEnvelopes(count: number): BenchPingMessage[] {
  const cause = newCorrelation('company-bench-0001');
  const now = new Date();
  const envelopes: BenchPingMessage[] = [];
  for (let seq = 0; seq < count; seq++) {
    envelopes.push(createMessage(BenchPing, { seq, sentAt: now.getTime(), fail: 'none' }, cause, now));
  }
  return envelopes;
}

/** The publisher's own encoding and properties, so both sides put the same bytes on the wire. */
export { encode, properties } from '../../src/infrastructure/rabbitmq/publisher';
