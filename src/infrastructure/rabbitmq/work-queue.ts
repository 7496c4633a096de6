import { delayDeliveryBinding } from './delay-levels';
import type { TopologySpec } from './topology-spec';

export interface WorkQueueOptions {
  prefix: string;
  /** Short name; the queue is `<prefix>.<name>`. */
  name: string;
  purpose: string;
  /** Routing-key patterns on the events exchange; none for queues fed only by direct sends. */
  eventPatterns: string[];
  deliveryLimit: number;
  singleActiveConsumer?: boolean;
  /**
   * A dead-letter queue shared with other queues (declared elsewhere), instead of one of its own:
   * the dead-letter exchange routes this queue's name there too. Each quorum queue is a Raft group
   * with its own memory, so thousands of lanes must not each bring a second one.
   */
  sharedDeadLetterQueue?: string;
}

export const eventsExchange = (prefix: string) => `${prefix}.events`;
export const deadLetterExchange = (prefix: string) => `${prefix}.dead-letter`;
export const deadLetterQueue = (queue: string) => `${queue}.dead`;

/**
 * A consumer's queue: quorum (replicated, delivery counting), its own dead-letter queue, reachable
 * by delayed delivery (retries and planned times come back through it). The broker's delivery
 * limit catches crash loops the consumer runner never gets to see.
 */
export function workQueue(options: WorkQueueOptions): TopologySpec {
  const queue = `${options.prefix}.${options.name}`;
  const dead = options.sharedDeadLetterQueue ?? deadLetterQueue(queue);
  return {
    exchanges: [],
    queues: [
      {
        name: queue,
        purpose: options.purpose,
        arguments: {
          'x-queue-type': 'quorum',
          'x-delivery-limit': options.deliveryLimit,
          'x-dead-letter-exchange': deadLetterExchange(options.prefix),
          'x-dead-letter-routing-key': queue,
          'x-dead-letter-strategy': 'at-least-once',
          'x-overflow': 'reject-publish',
          ...(options.singleActiveConsumer ? { 'x-single-active-consumer': true } : {}),
        },
      },
      ...(options.sharedDeadLetterQueue
        ? []
        : [
            {
              name: dead,
              purpose: `dead letters of ${queue}, with the reason in headers`,
              arguments: { 'x-queue-type': 'quorum' },
            },
          ]),
    ],
    bindings: [
      ...options.eventPatterns.map((pattern) => ({
        source: eventsExchange(options.prefix),
        destination: queue,
        destinationType: 'queue' as const,
        pattern,
      })),
      delayDeliveryBinding(options.prefix, queue),
      { source: deadLetterExchange(options.prefix), destination: dead, destinationType: 'queue', pattern: queue },
    ],
  };
}

/** Exchanges every deployment has: domain events, dead letters. */
export function coreExchanges(prefix: string): TopologySpec {
  return {
    exchanges: [
      { name: eventsExchange(prefix), type: 'topic', purpose: 'every domain event, by routing key' },
      { name: deadLetterExchange(prefix), type: 'direct', purpose: 'dead letters, routed by their source queue' },
    ],
    queues: [],
    bindings: [],
  };
}
