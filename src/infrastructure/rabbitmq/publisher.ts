import type { ConfirmChannel, ConsumeMessage, Options } from 'amqplib';
import type { z } from 'zod';
import type { Envelope, MessageDefinition } from '../../domain/events/envelope';
import type { Logger } from '../observability/logger';
import type { Metrics } from '../observability/metrics';
import type { Broker } from './broker';
import { delayedRoute, delayNames } from './delay-levels';
import { Fifo } from './fifo';
import { ResilientChannel } from './resilient-channel';
import { eventsExchange } from './work-queue';

export interface PublisherOptions {
  prefix: string;
  /** A publish not confirmed by then (waiting for a slot included) rejects with PublishTimeoutError. */
  timeoutMs: number;
  /** Publishes awaiting confirmation at once; more wait for a slot (bounded memory while disconnected). */
  maxInFlight: number;
  logger: Logger;
  /** Counts each confirmed message by type (absent in tools that publish raw bytes only). */
  metrics?: Pick<Metrics, 'published'>;
}

export interface SendOptions {
  delayMs?: number;
  headers?: Record<string, unknown>;
  /** The broker drops the message if it is still queued after this long (per-message TTL). */
  expirationMs?: number;
}

export class PublishTimeoutError extends Error {
  override name = 'PublishTimeoutError';
}

/** The broker had no queue for the message (a missing queue, or a routing key nobody binds). */
export class UnroutableError extends Error {
  override name = 'UnroutableError';
}

interface Outgoing {
  /** Times the channel carrying it closed before its confirm: a poison message keeps closing them. */
  resends: number;
  exchange: string;
  routingKey: string;
  content: Buffer;
  options: Options.Publish;
  deadline: number;
  settled: boolean;
  /** The message type counted in the metrics once the broker confirms it (raw bytes are not counted). */
  type: string | undefined;
  resolve(): void;
  reject(error: Error): void;
}

interface SlotWaiter {
  deadline: number;
  cancelled: boolean;
  resolve(): void;
  reject(error: Error): void;
}

const NACKED = 'message nacked'; // amqplib's error for a broker nack; any other means the channel closed
/** A message whose channels closed this often before its confirm is failed, not sent again. */
const MAX_RESENDS = 5;

/**
 * Persistent, confirmed publishing: every promise resolves only after the broker has taken
 * responsibility for the message (publisher confirm). Confirms are tracked here, on a raw
 * ConfirmChannel, rather than through amqp-connection-manager's ChannelWrapper: it costs a third
 * of the CPU per message (docs/benchmarks.md) and survives channel-only closes.
 *
 * While no channel is open, messages wait in a backlog and are sent on the next channel; messages
 * unconfirmed when a channel closed are sent again, so a consumer may see a duplicate (handlers
 * are idempotent). At most `maxInFlight` messages are in flight; callers beyond wait for a slot.
 * Nothing waits longer than `timeoutMs`. Every message is `mandatory`: one that no queue would
 * take is returned by the broker and its publish fails, instead of being confirmed and dropped.
 * The publisher has its own connection, so a broker alarm that blocks publishing never stalls
 * consumers' acks.
 */
export class Publisher {
  private readonly channel: ResilientChannel;
  private readonly backlog = new Fifo<Outgoing>();
  private readonly unsettled = new Set<Outgoing>();
  private readonly slotWaiters = new Fifo<SlotWaiter>();
  private inFlight = 0;
  private writable = true;
  private readonly sweeper: NodeJS.Timeout;
  private closed = false;

  constructor(
    broker: Broker,
    private readonly options: PublisherOptions,
  ) {
    this.channel = new ResilientChannel(broker.publishConnection, {
      name: 'publisher',
      confirm: true,
      logger: options.logger,
      setup: async (channel) => {
        channel.on('return', (returned: ConsumeMessage) => this.onReturned(returned));
      },
      onOpen: () => {
        this.writable = true;
        this.flushBacklog();
      },
      onClose: (reason) => this.failUnroutable(reason),
    });
    this.sweeper = setInterval(() => this.expire(Date.now()), Math.min(250, options.timeoutMs)).unref();
  }

  async start(): Promise<void> {
    await this.channel.start();
  }

  /** Publishes a domain event to the events exchange, to every queue bound to its routing key. */
  publish<T extends string, P>(definition: MessageDefinition<T, z.ZodType>, message: Envelope<T, P>): Promise<void> {
    return this.enqueue(
      eventsExchange(this.options.prefix),
      definition.routingKey,
      encode(message),
      properties(message),
      message.type,
    );
  }

  /** Sends a message to one queue, optionally after a delay (plugin-free delay levels). */
  send(queue: string, message: Envelope, options: SendOptions = {}): Promise<void> {
    return this.sendRaw(queue, encode(message), properties(message), options, message.type);
  }

  /** Sends bytes already encoded (a retry of a delivered message keeps its properties). */
  sendRaw(
    queue: string,
    content: Buffer,
    props: Options.Publish,
    options: SendOptions = {},
    type?: string,
  ): Promise<void> {
    const withExpiry = options.expirationMs ? { ...props, expiration: String(options.expirationMs) } : props;
    const withHeaders = options.headers
      ? { ...withExpiry, headers: { ...withExpiry.headers, ...options.headers } }
      : withExpiry;
    if (!options.delayMs || options.delayMs <= 0) return this.enqueue('', queue, content, withHeaders, type);
    const route = delayedRoute(delayNames(this.options.prefix), options.delayMs, queue);
    return this.enqueue(route.exchange, route.routingKey, content, withHeaders, type);
  }

  /** Low-level confirmed publish, for dead letters and tools that carry raw bytes. */
  publishRaw(exchange: string, routingKey: string, content: Buffer, options: Options.Publish): Promise<void> {
    return this.enqueue(exchange, routingKey, content, options, undefined);
  }

  private enqueue(
    exchange: string,
    routingKey: string,
    content: Buffer,
    options: Options.Publish,
    type: string | undefined,
  ): Promise<void> {
    if (this.closed) return Promise.reject(new Error('publisher is closed'));
    const deadline = Date.now() + this.options.timeoutMs;
    if (this.inFlight < this.options.maxInFlight && this.slotWaiters.length === 0) {
      this.inFlight++;
      return this.dispatch(exchange, routingKey, content, options, deadline, type);
    }
    return this.waitForSlot(deadline).then(() => this.dispatch(exchange, routingKey, content, options, deadline, type));
  }

  /** Messages accepted but not yet confirmed (sent, or waiting for a channel). */
  get pending(): number {
    return this.unsettled.size;
  }

  /** Waits (up to the publish timeout) for pending confirms, fails what is left, closes the channel. */
  async close(): Promise<void> {
    this.closed = true;
    const deadline = Date.now() + this.options.timeoutMs;
    while (this.unsettled.size > 0 && Date.now() < deadline && this.channel.channel) {
      await new Promise((resolve) => setTimeout(resolve, 20));
    }
    clearInterval(this.sweeper);
    for (const message of this.unsettled)
      this.settle(message, new Error('publisher closed before the broker confirmed'));
    this.expire(Number.POSITIVE_INFINITY);
    await this.channel.close();
  }

  private dispatch(
    exchange: string,
    routingKey: string,
    content: Buffer,
    options: Options.Publish,
    deadline: number,
    type: string | undefined,
  ): Promise<void> {
    return new Promise<void>((resolve, reject) => {
      const message: Outgoing = {
        exchange,
        routingKey,
        content,
        options,
        deadline,
        settled: false,
        resends: 0,
        type,
        resolve,
        reject,
      };
      this.unsettled.add(message);
      this.transmit(message);
    });
  }

  private transmit(message: Outgoing): void {
    const channel = this.channel.channel as ConfirmChannel | undefined;
    if (!channel || !this.writable) {
      this.backlog.push(message);
      return;
    }
    const props =
      message.options.persistent && message.options.mandatory
        ? message.options
        : { ...message.options, persistent: true, mandatory: true };
    try {
      const hasRoom = channel.publish(message.exchange, message.routingKey, message.content, props, (error) => {
        if (!error) this.settle(message);
        else if (error.message === NACKED)
          this.settle(
            message,
            new Error(`broker refused the message (nack) for ${message.exchange || message.routingKey}`),
          );
        else this.resend(message); // the channel closed before the confirm
      });
      if (!hasRoom) this.pauseUntilDrained(channel);
    } catch (error) {
      if ((error as Error).name === 'IllegalOperationError')
        this.backlog.push(message); // closed under us; the next channel sends it
      else this.settle(message, error as Error); // could not even be encoded (e.g. a header too large)
    }
  }

  private resend(message: Outgoing): void {
    if (message.settled) return;
    if (++message.resends > MAX_RESENDS) {
      this.settle(
        message,
        new Error(`channel closed ${MAX_RESENDS} times while this message was in flight; giving up on it`),
      );
      return;
    }
    this.transmit(message);
  }

  /** The broker returns a mandatory message no queue took, just before confirming it. */
  private onReturned(returned: ConsumeMessage): void {
    const { exchange, routingKey } = returned.fields;
    for (const message of this.unsettled) {
      if (
        message.exchange === exchange &&
        message.routingKey === routingKey &&
        message.content.equals(returned.content)
      ) {
        this.settle(
          message,
          new UnroutableError(
            `no queue takes messages to ${exchange || '(default exchange)'} with routing key ${routingKey}`,
          ),
        );
        return;
      }
    }
  }

  private pauseUntilDrained(channel: ConfirmChannel): void {
    if (!this.writable) return;
    this.writable = false;
    const resume = () => {
      channel.removeListener('drain', resume);
      channel.removeListener('close', resume);
      this.writable = true;
      this.flushBacklog();
    };
    channel.once('drain', resume);
    channel.once('close', resume);
  }

  private flushBacklog(): void {
    // Bounded: a message that fails again goes back to the end and waits for the next channel.
    for (let left = this.backlog.length; left > 0 && this.writable && this.channel.channel; left--) {
      const message = this.backlog.shift()!;
      if (!message.settled) this.transmit(message);
    }
  }

  /**
   * Publishing to a missing exchange makes the broker close the channel (404). Sending those
   * messages again would close every new channel too, taking the other messages down with them,
   * so they fail now; the rest are sent again on the next channel.
   */
  private failUnroutable(reason: Error | undefined): void {
    const missing = /no exchange '([^']*)'/.exec(reason?.message ?? '')?.[1];
    if (missing === undefined) return;
    for (const message of this.unsettled) {
      if (message.exchange === missing)
        this.settle(message, new Error(`exchange ${missing} does not exist: ${reason!.message}`));
    }
  }

  private settle(message: Outgoing, error?: Error): void {
    if (message.settled) return;
    message.settled = true;
    this.unsettled.delete(message);
    this.releaseSlot();
    if (error) {
      message.reject(error);
      return;
    }
    if (message.type !== undefined) this.options.metrics?.published(message.type);
    message.resolve();
  }

  private waitForSlot(deadline: number): Promise<void> {
    return new Promise<void>((resolve, reject) =>
      this.slotWaiters.push({ deadline, cancelled: false, resolve, reject }),
    );
  }

  /** Hands the freed slot straight to the next waiter, so no caller overtakes the queue. */
  private releaseSlot(): void {
    for (;;) {
      const waiter = this.slotWaiters.shift();
      if (!waiter) {
        this.inFlight--;
        return;
      }
      if (!waiter.cancelled) {
        waiter.resolve();
        return;
      }
    }
  }

  private expire(now: number): void {
    // Messages settled while waiting for a channel (timed out, say) must not pin their buffers.
    if (this.backlog.length > 0) this.backlog.removeWhere((message) => message.settled);
    for (const message of this.unsettled) {
      if (message.deadline <= now) {
        this.settle(
          message,
          new PublishTimeoutError(
            `publish to ${message.exchange || message.routingKey} not confirmed within ${this.options.timeoutMs} ms`,
          ),
        );
      }
    }
    if (this.slotWaiters.length === 0) return;
    this.slotWaiters.removeWhere((waiter) => {
      if (waiter.deadline > now) return false;
      waiter.cancelled = true;
      waiter.reject(
        new PublishTimeoutError(
          `no publish slot free within ${this.options.timeoutMs} ms (${this.inFlight} in flight)`,
        ),
      );
      return true;
    });
  }
}

export function encode(message: Envelope): Buffer {
  return Buffer.from(JSON.stringify(message));
}

export function properties(message: Envelope): Options.Publish {
  return {
    persistent: true,
    contentType: 'application/json',
    messageId: message.eventId,
    type: message.type,
    correlationId: message.correlationId,
    timestamp: Math.floor(Date.parse(message.occurredAt) / 1000),
    appId: 'disparo',
    headers: { companyId: message.companyId, causationId: message.causationId ?? undefined },
  };
}
