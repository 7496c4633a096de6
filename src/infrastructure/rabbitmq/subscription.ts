import { z } from 'zod';
import type { ConsumerSpec, HandlerContext } from './consumer-runner';
import type { TopologySpec } from './topology-spec';
import { workQueue } from './work-queue';

/** What a subscription needs of a message definition: its type, routing key and envelope schema. */
export interface ConsumableMessage {
  readonly type: string;
  readonly routingKey: string;
  readonly schema: z.ZodType;
}

/**
 * How a consumed message reaches the queue. `published`: an event on the events exchange, so the
 * queue is bound by the message's routing key. `sent`: a command addressed to this queue alone
 * (straight or through the delay levels), so no binding — publishing it as an event reaches nobody.
 */
export type Arrival = 'published' | 'sent';

export interface Consumed<TMessage extends ConsumableMessage = ConsumableMessage> {
  readonly message: TMessage;
  readonly arrives: Arrival;
}

export const published = <TMessage extends ConsumableMessage>(message: TMessage): Consumed<TMessage> => ({
  message,
  arrives: 'published',
});

export const sent = <TMessage extends ConsumableMessage>(message: TMessage): Consumed<TMessage> => ({
  message,
  arrives: 'sent',
});

/**
 * One consumer, declared once: the queue it reads, what it consumes (and so the queue's bindings and
 * the schema a delivery must match), its prefetch, and the worker role that runs it. The worker
 * pairs each subscription of its roles with a handler; the topology declares the queue from it.
 */
export interface Subscription {
  /** The consumer's name in logs and metrics. */
  readonly name: string;
  /** The worker role (`disparo worker --roles …`) that runs this consumer. */
  readonly role: string;
  /** Queue name after the prefix. With `keyedBy: 'connection'` it is a template: `<prefix>.<queue>.<connectionId>`. */
  readonly queue: string;
  /** One queue per WhatsApp connection (declared when the connection is created) instead of one queue. */
  readonly keyedBy?: 'connection';
  readonly purpose: string;
  readonly consumes: readonly Consumed[];
  /** Unacknowledged messages per channel; `CONSUMER_PREFETCH` reads the setting of that name. */
  readonly prefetch: number | 'CONSUMER_PREFETCH';
  /** One consumer at a time receives (the others stand by and take over when it goes). */
  readonly singleActiveConsumer?: boolean;
}

/** The message type a subscription's handler receives: any of the envelopes it consumes. */
export type MessageOfSubscription<S extends Subscription> = z.infer<S['consumes'][number]['message']['schema']>;

/** A consumer file's part: what to do with one message (the subscription says which and from where). */
export interface ConsumerHandler<TMessage> {
  handle(message: TMessage, context: HandlerContext): Promise<void>;
}

/** Routing-key patterns that bind the subscription's queue to the events exchange, in declaration order. */
export function bindingPatterns(subscription: Subscription): string[] {
  const patterns = subscription.consumes
    .filter((consumed) => consumed.arrives === 'published')
    .map((consumed) => consumed.message.routingKey);
  return [...new Set(patterns)];
}

export function subscriptionQueue(prefix: string, subscription: Subscription, connectionId?: string): string {
  if (subscription.keyedBy === 'connection') {
    if (!connectionId) throw new Error(`subscription ${subscription.name} has one queue per connection; name one`);
    return `${prefix}.${subscription.queue}.${connectionId}`;
  }
  return `${prefix}.${subscription.queue}`;
}

/** The schema a delivery must match: the one message consumed, or any of them. */
export function subscriptionSchema(subscription: Subscription): z.ZodType {
  const schemas = subscription.consumes.map((consumed) => consumed.message.schema);
  const [first, ...rest] = schemas;
  if (!first) throw new Error(`subscription ${subscription.name} consumes nothing`);
  return rest.length === 0 ? first : z.union([first, ...rest] as [z.ZodType, z.ZodType, ...z.ZodType[]]);
}

export function resolvePrefetch(subscription: Subscription, settings: { CONSUMER_PREFETCH: number }): number {
  return subscription.prefetch === 'CONSUMER_PREFETCH' ? settings.CONSUMER_PREFETCH : subscription.prefetch;
}

/** The subscription's queue (and dead-letter queue), bound by what it consumes. */
export function subscriptionTopology(
  subscription: Subscription,
  settings: { prefix: string; deliveryLimit: number },
  connectionId?: string,
): TopologySpec {
  const queue = subscriptionQueue(settings.prefix, subscription, connectionId);
  return workQueue({
    prefix: settings.prefix,
    name: queue.slice(settings.prefix.length + 1),
    purpose: connectionId ? `${subscription.purpose} (connection ${connectionId})` : subscription.purpose,
    eventPatterns: bindingPatterns(subscription),
    deliveryLimit: settings.deliveryLimit,
    singleActiveConsumer: subscription.singleActiveConsumer,
  });
}

/** What the consumer runner runs: the subscription's queue, schema and prefetch with its handler. */
export function consumerSpec<TMessage>(
  subscription: Subscription,
  handler: ConsumerHandler<TMessage>,
  settings: { prefix: string; CONSUMER_PREFETCH: number },
  connectionId?: string,
): ConsumerSpec<TMessage> {
  return {
    name: subscription.name,
    queue: subscriptionQueue(settings.prefix, subscription, connectionId),
    prefetch: resolvePrefetch(subscription, settings),
    schema: subscriptionSchema(subscription) as z.ZodType<TMessage>,
    handle: (message, context) => handler.handle(message, context),
  };
}
