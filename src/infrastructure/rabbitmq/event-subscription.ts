import type { Channel, ConsumeMessage } from 'amqplib';
import type { z } from 'zod';
import type { Envelope, MessageDefinition } from '../../domain/events/envelope';
import { errorFields, type Logger } from '../observability/logger';
import type { Broker } from './broker';
import { ResilientChannel } from './resilient-channel';
import { eventsExchange } from './work-queue';

export interface EventSubscriptionOptions<T extends string, P extends z.ZodType> {
  name: string;
  prefix: string;
  definition: MessageDefinition<T, P>;
  logger: Logger;
  handle(message: Envelope<T, z.infer<P>>): Promise<void>;
  /**
   * Called when the queue is declared again after a reconnect: events published while it was gone
   * were not kept for this process, so the caller looks for what it missed.
   */
  onResubscribed(): void;
}

/**
 * Domain events for this process alone: a server-named, exclusive queue (deleted with its
 * connection) bound to one routing key, so every process running the role gets its own copy. A
 * notification, not work: the event log keeps the event (the event recorder's queue), so an event
 * that is not a valid message is logged and dropped here rather than dead-lettered a second time.
 */
export class EventSubscription<T extends string, P extends z.ZodType> {
  private readonly channel: ResilientChannel;
  private opened = 0;

  constructor(
    broker: Broker,
    private readonly options: EventSubscriptionOptions<T, P>,
  ) {
    this.channel = new ResilientChannel(broker.connection, {
      name: `events:${options.name}`,
      confirm: false,
      logger: options.logger,
      setup: (channel) => this.subscribe(channel),
    });
  }

  start(): Promise<void> {
    return this.channel.start();
  }

  stop(): Promise<void> {
    return this.channel.close();
  }

  private async subscribe(channel: Channel): Promise<void> {
    const { queue } = await channel.assertQueue('', { exclusive: true, autoDelete: true, durable: false });
    await channel.bindQueue(queue, eventsExchange(this.options.prefix), this.options.definition.routingKey);
    await channel.prefetch(50);
    await channel.consume(queue, (delivery) => void this.deliver(channel, delivery));
    if (this.opened++ > 0) this.options.onResubscribed();
  }

  private async deliver(channel: Channel, delivery: ConsumeMessage | null): Promise<void> {
    if (!delivery) return;
    try {
      const parsed = this.options.definition.schema.safeParse(JSON.parse(delivery.content.toString('utf8')));
      if (parsed.success) await this.options.handle(parsed.data);
      else
        this.options.logger.warn('invalid event dropped', {
          queue: this.options.name,
          issues: parsed.error.issues.length,
        });
    } catch (error) {
      this.options.logger.error('event handling failed', { queue: this.options.name, ...errorFields(error) });
    }
    try {
      channel.ack(delivery);
    } catch {
      // closed: this copy is gone with the exclusive queue; the caller re-scans on resubscribe
    }
  }
}
