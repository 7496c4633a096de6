import type { ChannelWrapper } from 'amqp-connection-manager';
import type { Options } from 'amqplib';
import type { Envelope, MessageDefinition } from '../../domain/events/envelope';
import type { Broker } from './broker';
import { delayNames, delayedRoute } from './delay-levels';
import { eventsExchange } from './work-queue';

export interface PublisherOptions {
  prefix: string;
  /** A publish not confirmed by then rejects (the broker may still be down). */
  timeoutMs: number;
  /** Publishes awaiting confirmation at once; more wait here (bounded memory while disconnected). */
  maxInFlight: number;
}

export interface SendOptions {
  delayMs?: number;
  headers?: Record<string, unknown>;
}

/**
 * Persistent, confirmed publishing: every promise resolves only after the broker has taken
 * responsibility for the message. While the connection is down, messages wait (bounded by
 * `maxInFlight` and `timeoutMs`) and unconfirmed ones are sent again after reconnecting, so a
 * consumer may see a duplicate; handlers are idempotent for that reason.
 */
export class Publisher {
  private readonly channel: ChannelWrapper;
  private inFlight = 0;
  private readonly waiting: Array<() => void> = [];

  constructor(
    broker: Broker,
    private readonly options: PublisherOptions,
  ) {
    this.channel = broker.connection.createChannel({
      name: 'publisher',
      confirm: true,
      publishTimeout: options.timeoutMs,
    });
  }

  /** Publishes a domain event to the events exchange, to every queue bound to its routing key. */
  async publish<T extends string, P>(definition: MessageDefinition<T, any>, message: Envelope<T, P>): Promise<void> {
    await this.publishRaw(eventsExchange(this.options.prefix), definition.routingKey, encode(message), properties(message));
  }

  /** Sends a message to one queue, optionally after a delay (plugin-free delay levels). */
  async send(queue: string, message: Envelope, options: SendOptions = {}): Promise<void> {
    await this.sendRaw(queue, encode(message), properties(message), options);
  }

  /** Sends bytes already encoded (a retry of a delivered message keeps its properties). */
  async sendRaw(queue: string, content: Buffer, props: Options.Publish, options: SendOptions = {}): Promise<void> {
    const withHeaders = { ...props, headers: { ...props.headers, ...options.headers } };
    if (!options.delayMs || options.delayMs <= 0) {
      await this.publishRaw('', queue, content, withHeaders);
      return;
    }
    const route = delayedRoute(delayNames(this.options.prefix), options.delayMs, queue);
    await this.publishRaw(route.exchange, route.routingKey, content, withHeaders);
  }

  /** Low-level confirmed publish, for dead letters and tools that carry raw bytes. */
  async publishRaw(exchange: string, routingKey: string, content: Buffer, props: Options.Publish): Promise<void> {
    await this.acquire();
    try {
      await this.channel.publish(exchange, routingKey, content, { ...props, persistent: true });
    } finally {
      this.release();
    }
  }

  async close(): Promise<void> {
    await this.channel.close();
  }

  private async acquire(): Promise<void> {
    while (this.inFlight >= this.options.maxInFlight) {
      await new Promise<void>((resolve) => this.waiting.push(resolve));
    }
    this.inFlight++;
  }

  private release(): void {
    this.inFlight--;
    this.waiting.shift()?.();
  }
}

function encode(message: Envelope): Buffer {
  return Buffer.from(JSON.stringify(message));
}

function properties(message: Envelope): Options.Publish {
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
