import { performance } from 'node:perf_hooks';
import type { Channel, ConsumeMessage } from 'amqplib';
import type { z } from 'zod';
import { PermanentError } from '../../domain/errors';
import { decideRetry, type RetryPolicy } from '../../domain/messaging/retry-policy';
import { GatewayError } from '../../domain/whatsapp/gateway';
import type { ErrorReporter } from '../observability/error-reporter';
import { errorFields, type LogContext, type Logger } from '../observability/logger';
import type { DeadLetterKind, Metrics } from '../observability/metrics';
import type { Broker } from './broker';
import { republishProperties } from './delivery';
import { clip, HEADERS, readCount } from './headers';
import type { Publisher } from './publisher';
import { isChannelClosed, ResilientChannel, settleWithin } from './resilient-channel';
import { deadLetterExchange } from './work-queue';

export interface HandlerContext {
  logger: Logger;
  /** Failed attempts before this one (0 on the first try). */
  previousFailures: number;
  /** The broker delivered this message before (a crash or reconnect interrupted it). */
  redelivered: boolean;
}

/** What a consumer file declares: its queue, the schema it accepts and the handler. */
export interface ConsumerSpec<TMessage> {
  name: string;
  queue: string;
  prefetch: number;
  schema: z.ZodType<TMessage>;
  handle(message: TMessage, context: HandlerContext): Promise<void>;
}

export interface ConsumerRunnerDeps {
  broker: Broker;
  publisher: Publisher;
  logger: Logger;
  errorReporter: ErrorReporter;
  metrics: Metrics;
  retryPolicy: RetryPolicy;
  prefix: string;
  maxMessageBytes: number;
}

const REQUEUE_PAUSE_MS = 1_000;

type Outcome =
  | { kind: 'ack' }
  | { kind: 'retry'; delayMs: number; error: unknown; failures: number }
  | { kind: 'dead'; why: DeadLetterKind; reason: string; error?: unknown };

/**
 * Runs one consumer: decode → validate → handle → ack once the handler's work is stored.
 * A transient failure comes back later through the delay levels with a failure count in its
 * headers; a message that can never succeed (undecodable, invalid, permanent error, retries
 * exhausted) goes to the queue's dead-letter queue with the reason. Nothing is dropped silently
 * and nothing loops: if even the retry cannot be published, the message is requeued and the
 * quorum queue's delivery limit stops a crash loop.
 *
 * Each delivery is settled on the channel it came from. After a reconnect that channel is gone,
 * the broker has already requeued the message, and the stale ack is skipped rather than sent on
 * the new channel (where its delivery tag would mean another message).
 */
export class ConsumerRunner<TMessage> {
  private channel: ResilientChannel | undefined;
  private active: { channel: Channel; consumerTag: string } | undefined;
  private readonly inFlight = new Set<Promise<void>>();
  private stopping = false;
  private readonly logger: Logger;
  private readonly processor: DeliveryProcessor<TMessage>;

  constructor(
    private readonly spec: ConsumerSpec<TMessage>,
    private readonly deps: ConsumerRunnerDeps,
  ) {
    this.logger = deps.logger.child({ consumer: spec.name, queue: spec.queue });
    this.processor = new DeliveryProcessor(spec, deps, this.logger);
  }

  async start(): Promise<void> {
    this.channel = new ResilientChannel(this.deps.broker.connection, {
      name: `consumer:${this.spec.name}`,
      confirm: false,
      logger: this.logger,
      setup: (channel) => this.subscribe(channel),
    });
    await this.channel.start();
    this.logger.info('consumer started', { prefetch: this.spec.prefetch });
  }

  /** Stops taking messages, lets in-flight handlers finish (up to `timeoutMs`), closes the channel. */
  async stop(timeoutMs: number): Promise<void> {
    this.stopping = true;
    const active = this.active;
    if (active && !isChannelClosed(active.channel))
      await settleWithin(active.channel.cancel(active.consumerTag), 2_000);
    const drained = Promise.allSettled([...this.inFlight]);
    const timedOut = await Promise.race([drained.then(() => false), sleep(timeoutMs).then(() => true)]);
    if (timedOut)
      this.logger.warn('stopped with handlers still running; their messages will be redelivered', {
        inFlight: this.inFlight.size,
      });
    await this.channel?.close();
    this.logger.info('consumer stopped');
  }

  private async subscribe(channel: Channel): Promise<void> {
    if (this.stopping) return;
    await channel.prefetch(this.spec.prefetch);
    const { consumerTag } = await channel.consume(this.spec.queue, (message) => this.onDelivery(channel, message));
    this.active = { channel, consumerTag };
  }

  private onDelivery(channel: Channel, message: ConsumeMessage | null): void {
    if (message === null) {
      // The broker cancelled the consumer (queue deleted, say): a fresh channel subscribes again.
      this.logger.error('the broker cancelled this consumer; re-subscribing');
      this.channel?.recycle();
      return;
    }
    const work = this.processor.process(channel, message).finally(() => this.inFlight.delete(work));
    this.inFlight.add(work);
  }
}

/**
 * What happens to one delivery, whichever way its consumer is hosted (a channel of its own, or a
 * channel shared by many lane consumers): decode → validate → handle → re-route a failure → settle
 * on the channel it came from.
 */
export class DeliveryProcessor<TMessage> {
  constructor(
    private readonly spec: ConsumerSpec<TMessage>,
    private readonly deps: ConsumerRunnerDeps,
    private readonly logger: Logger,
  ) {}

  /**
   * `beforeSettle` runs once the handler's work is stored and its retry or dead letter published,
   * just before the ack (or requeue): a shared-channel consumer handing its queue to another
   * worker cancels there, so the next message cannot reach it while this one is still unacked.
   */
  async process(channel: Channel, delivery: ConsumeMessage, beforeSettle?: () => Promise<void>): Promise<void> {
    const decoded = this.decode(delivery);
    const context: LogContext = decoded.ok ? describe(decoded.message) : { messageId: delivery.properties.messageId };
    const logger = this.logger.child(context);
    const started = performance.now();
    const outcome = decoded.ok
      ? await this.runHandler(decoded.message, delivery, logger)
      : ({ kind: 'dead', why: decoded.why, reason: decoded.reason } as const);
    this.deps.metrics.consumed(
      this.spec.name,
      (context.eventType as string | undefined) ?? 'undecodable',
      outcome.kind,
      (performance.now() - started) / 1000,
    );
    if (isChannelClosed(channel)) {
      // The broker has requeued this delivery already; a retry or dead letter now would be a copy.
      logger.warn('delivery channel closed while handling; the broker redelivers the message', {
        outcome: outcome.kind,
      });
      return;
    }
    try {
      await this.apply(outcome, delivery, logger, context);
      await beforeSettle?.();
      settle(channel, delivery, 'ack', logger);
    } catch (error) {
      // The retry or dead letter could not be published: hold the message a moment (no hot loop),
      // then give it back to the queue; the quorum queue's delivery limit bounds the repeats.
      logger.error('could not re-route a failed message; requeueing it', errorFields(error));
      await sleep(REQUEUE_PAUSE_MS);
      await beforeSettle?.().catch(() => undefined);
      settle(channel, delivery, 'requeue', logger);
    }
  }

  private decode(
    delivery: ConsumeMessage,
  ): { ok: true; message: TMessage } | { ok: false; why: DeadLetterKind; reason: string } {
    const size = delivery.content.length;
    if (size > this.deps.maxMessageBytes) {
      return { ok: false, why: 'oversized', reason: `oversized: ${size} bytes, limit ${this.deps.maxMessageBytes}` };
    }
    let json: unknown;
    try {
      json = JSON.parse(delivery.content.toString('utf8'));
    } catch (error) {
      return { ok: false, why: 'malformed', reason: `malformed JSON: ${(error as Error).message}` };
    }
    const parsed = this.spec.schema.safeParse(json);
    if (!parsed.success) return { ok: false, why: 'invalid', reason: `invalid message: ${summarise(parsed.error)}` };
    return { ok: true, message: parsed.data };
  }

  private async runHandler(message: TMessage, delivery: ConsumeMessage, logger: Logger): Promise<Outcome> {
    const previousFailures = readCount(delivery.properties.headers, HEADERS.attempt);
    try {
      await this.spec.handle(message, { logger, previousFailures, redelivered: delivery.fields.redelivered });
      return { kind: 'ack' };
    } catch (error) {
      if (error instanceof PermanentError)
        return { kind: 'dead', why: 'permanent', reason: `permanent: ${error.message}`, error };
      const failures = previousFailures + 1;
      const decision = decideRetry(this.deps.retryPolicy, failures);
      if (!decision.retry) {
        return {
          kind: 'dead',
          why: 'exhausted',
          reason: `retries exhausted after ${failures} failures: ${errorFields(error).error}`,
          error,
        };
      }
      return { kind: 'retry', delayMs: decision.delayMs, error, failures };
    }
  }

  private async apply(outcome: Outcome, delivery: ConsumeMessage, logger: Logger, context: LogContext): Promise<void> {
    switch (outcome.kind) {
      case 'ack':
        return;
      case 'retry': {
        logger.warn('handler failed; retrying later', {
          ...errorFields(outcome.error),
          failures: outcome.failures,
          retryInMs: outcome.delayMs,
        });
        this.deps.metrics.retried(this.spec.name, errorKind(outcome.error));
        const props = republishProperties(delivery, {
          [HEADERS.attempt]: outcome.failures,
          [HEADERS.lastError]: clip(errorFields(outcome.error).error),
        });
        await this.deps.publisher.sendRaw(this.spec.queue, delivery.content, props, { delayMs: outcome.delayMs });
        return;
      }
      case 'dead': {
        logger.error('message dead-lettered', {
          reason: outcome.reason,
          ...(outcome.error ? errorFields(outcome.error) : {}),
        });
        this.deps.metrics.deadLettered(this.spec.name, outcome.why);
        if (outcome.error)
          this.deps.errorReporter.capture(outcome.error, {
            ...context,
            consumer: this.spec.name,
            queue: this.spec.queue,
          });
        const props = republishProperties(delivery, {
          [HEADERS.deadReason]: clip(outcome.reason),
          [HEADERS.deadAt]: new Date().toISOString(),
          [HEADERS.deadConsumer]: this.spec.name,
          [HEADERS.deadQueue]: this.spec.queue,
        });
        await this.deps.publisher.publishRaw(
          deadLetterExchange(this.deps.prefix),
          this.spec.queue,
          delivery.content,
          props,
        );
        return;
      }
      default: {
        const unreachable: never = outcome;
        throw new Error(`unknown outcome ${JSON.stringify(unreachable)}`);
      }
    }
  }
}

function settle(channel: Channel, delivery: ConsumeMessage, how: 'ack' | 'requeue', logger: Logger): void {
  try {
    if (how === 'ack') channel.ack(delivery);
    else channel.nack(delivery, false, true);
  } catch (error) {
    // The channel closed under us; the broker requeues the message for another delivery.
    logger.warn('could not settle a delivery on a closed channel; it will be redelivered', errorFields(error));
  }
}

/** Log fields of an envelope-shaped message, so every line of its handling can be followed. */
function describe(message: unknown): LogContext {
  if (typeof message !== 'object' || message === null) return {};
  const envelope = message as Record<string, unknown>;
  const payload = (envelope.payload ?? {}) as Record<string, unknown>;
  const fields: LogContext = {};
  for (const key of ['eventId', 'companyId', 'correlationId', 'causationId'] as const) {
    if (typeof envelope[key] === 'string') fields[key] = envelope[key] as string;
  }
  if (typeof envelope.type === 'string') fields.eventType = envelope.type;
  for (const key of ['campaignId', 'contactId', 'connectionId'] as const) {
    if (typeof payload[key] === 'string') fields[key] = payload[key] as string;
  }
  return fields;
}

/** A bounded label for a retried error: the gateway decision and code, or the error's class. */
function errorKind(error: unknown): string {
  if (error instanceof GatewayError) return `gateway ${error.kind}${error.code ? ` ${error.code}` : ''}`;
  return error instanceof Error ? error.name : 'unknown';
}

function summarise(error: z.ZodError): string {
  return error.issues
    .slice(0, 5)
    .map((issue) => `${issue.path.join('.') || '(root)'}: ${issue.message}`)
    .join('; ');
}

function sleep(ms: number): Promise<void> {
  return new Promise((resolve) => setTimeout(resolve, ms).unref());
}
