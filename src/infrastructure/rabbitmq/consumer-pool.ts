import type { AmqpConnectionManager } from 'amqp-connection-manager';
import type { Channel, ConsumeMessage } from 'amqplib';
import { errorFields, type Logger } from '../observability/logger';
import { type ConsumerRunnerDeps, type ConsumerSpec, DeliveryProcessor } from './consumer-runner';
import { isChannelClosed, ResilientChannel, settleWithin } from './resilient-channel';

export interface ConsumerPoolOptions {
  /** Consumers sharing one channel. */
  consumersPerChannel: number;
  /** Channels per AMQP connection (the broker's channel_max is 2047); more open another connection. */
  channelsPerConnection: number;
  /** Prefetch of every consumer in the pool (`basic.qos`, global=false: per consumer). */
  prefetch: number;
  /** Name of the pool's connections in the management console. */
  name: string;
  /** AMQP heartbeat of the pool's connections (the broker's default connections' when unset). */
  heartbeatSeconds?: number;
}

/** How a queue is subscribed: `first` before the pool's standbys when a channel (re)subscribes them all. */
export type Standing = 'first' | 'standby';

interface Subscription {
  channel: Channel;
  consumerTag: string | undefined;
  /** The `basic.consume` round trip: a cancel waits for it (a cancel without the tag would not reach the broker). */
  consuming: Promise<{ consumerTag: string }>;
  /** Cancelled by us: a delivery still arriving on it goes back to the queue untouched. */
  cancelled: boolean;
}

interface Member {
  spec: ConsumerSpec<unknown>;
  processor: DeliveryProcessor<unknown>;
  slot: Slot;
  standing: Standing;
  subscription: Subscription | undefined;
  /** The handlers running for this consumer's deliveries (prefetch 1: at most one). */
  inFlight: Set<Promise<void>>;
  /** At the end of its next delivery: cancel, then subscribe again at the back of the single-active-consumer line. */
  handBack: boolean;
  /** At the end of its next delivery: cancel and leave (the queue moved away). */
  leaving: boolean;
}

interface Slot {
  index: number;
  channel: ResilientChannel;
  members: Set<Member>;
  /** Resolves once the slot's first channel is open (rejects when it cannot be). */
  ready: Promise<void>;
}

export interface ConsumerPoolHooks {
  /** Every delivery, before its handler runs (e.g. to decide a hand-over). */
  onDelivery?(queue: string): void;
  /** A queue turned out not to exist; it was dropped from the pool (declare it and add it again). */
  onMissingQueue?(queue: string): void;
  /**
   * Only in a pool with a prefetch above 1: the queue is being handed to another consumer (or left)
   * while its consumer holds deliveries. Its handler should stop starting anything, finish what it
   * started and give back what it did not.
   */
  onHandBack?(queue: string): void;
}

/**
 * Many consumers on few channels, for queues by the thousand (a dispatch lane per WhatsApp number):
 * each channel carries up to `consumersPerChannel` consumers, each keeping its own prefetch (qos is
 * per consumer, set once per channel before its consumers subscribe); past `channelsPerConnection`
 * channels another AMQP connection is opened. A channel that comes back (reconnect) subscribes its
 * consumers again, those standing `first` before the standbys: on a single-active-consumer queue
 * the broker makes the first registered consumer the active one.
 *
 * Acks go on the channel that delivered, as in ConsumerRunner. Handing a queue over (a dispatch
 * worker joining or leaving) cancels the consumer only while it holds a delivery — when its handler
 * is done and before its ack — never while it is idle. With prefetch 1 the broker cannot send it
 * another message before that ack, and the ack goes out after the broker confirmed the cancel, so
 * no delivery ever reaches a consumer being cancelled. That matters on quorum queues: RabbitMQ
 * 3.10 counts every message given back (nack, reject, a closed channel) towards the queue's
 * delivery limit, and a single-active-consumer queue makes the next consumer active the moment
 * the cancel is applied, so a delivery that slipped in could only be given back. An idle consumer
 * asked to hand over or leave therefore keeps its place until its next message (the queue is served
 * all along, by it); a consumer that is only waiting in line stays there. Only `stop` cancels idle
 * consumers (a worker shutting down): a delivery slipping in then goes back, once, as a crash would.
 *
 * A pool with a prefetch above 1 (throughput lanes: a batch of deliveries held at once) cannot wait
 * for "the end of its delivery": there is always another. Its hand-over asks the handler to stop
 * starting sends (`onHandBack`) and cancels at once; the deliveries it held and had not started go
 * back to the queue (each return counts once towards the delivery limit; a hand-over is rare:
 * a worker joining or leaving). An idle consumer of such a pool is cancelled at once too.
 */
export class ConsumerPool {
  private readonly members = new Map<string, Member>();
  private readonly slots: Slot[] = [];
  private readonly connections: AmqpConnectionManager[] = [];
  private readonly logger: Logger;
  private stopped = false;

  constructor(
    private readonly deps: ConsumerRunnerDeps,
    private readonly options: ConsumerPoolOptions,
    private readonly hooks: ConsumerPoolHooks = {},
  ) {
    this.logger = deps.logger.child({ pool: options.name });
  }

  /** Queues subscribed now (whatever their standing). */
  get queues(): string[] {
    return [...this.members.keys()];
  }

  get channelCount(): number {
    return this.slots.length;
  }

  get connectionCount(): number {
    return this.connections.length;
  }

  has(queue: string): boolean {
    return this.members.has(queue);
  }

  standingOf(queue: string): Standing | undefined {
    return this.members.get(queue)?.standing;
  }

  /** Subscribes to `queue` (no-op when subscribed already; a new standing applies at the next subscription). */
  async add(spec: ConsumerSpec<unknown>, standing: Standing): Promise<void> {
    if (this.stopped) return;
    if (spec.prefetch !== this.options.prefetch)
      throw new Error(`${spec.queue}: prefetch ${spec.prefetch}, the pool's consumers use ${this.options.prefetch}`);
    const existing = this.members.get(spec.queue);
    if (existing) {
      // Wanted again: a hand-back or departure not carried out yet is called off.
      existing.leaving = false;
      if (standing === 'first') existing.handBack = false;
      existing.standing = standing;
      return;
    }
    const slot = this.slotWithRoom();
    const member: Member = {
      spec,
      processor: new DeliveryProcessor(
        spec,
        this.deps,
        this.deps.logger.child({ consumer: spec.name, queue: spec.queue }),
      ),
      slot,
      standing,
      subscription: undefined,
      inFlight: new Set(),
      handBack: false,
      leaving: false,
    };
    this.members.set(spec.queue, member);
    slot.members.add(member);
    await slot.ready;
    const channel = slot.channel.channel;
    if (channel) await this.subscribe(member, channel);
  }

  /**
   * Re-subscribes `queue` at the back of its single-active-consumer line with the new standing, so
   * the next consumer in line (another worker's) becomes the active one: at the end of the message
   * it is handling, or of the next one it gets (the cancel goes out before that message's ack). A
   * consumer that gets no message meanwhile stays where it is, active on an idle queue or waiting.
   */
  handBack(queue: string, standing: Standing = 'standby'): void {
    const member = this.members.get(queue);
    if (!member || member.leaving) return;
    member.standing = standing;
    member.handBack = true;
    if (this.options.prefetch > 1) this.cancelHolding(member);
  }

  /**
   * Cancels the consumer of `queue` and forgets it, at the end of the message it is handling or of
   * the next one it gets (as `handBack`); until then it serves the queue as before. `add` calls it off.
   */
  remove(queue: string): void {
    const member = this.members.get(queue);
    if (!member) return;
    member.leaving = true;
    if (this.options.prefetch > 1) this.cancelHolding(member);
    // Not subscribed (its channel is down): nothing can reach it, it goes now.
    if (!member.subscription || member.subscription.cancelled || isChannelClosed(member.subscription.channel))
      if (member.inFlight.size === 0) this.forget(member);
  }

  /**
   * Prefetch above 1: the handler stops starting sends and the consumer is cancelled now; it is
   * subscribed again (hand-back) or forgotten (leaving) once its handlers are done, or at once when
   * it held nothing.
   */
  private cancelHolding(member: Member): void {
    if (member.inFlight.size > 0) this.hooks.onHandBack?.(member.spec.queue);
    void this.cancel(member).then(() => {
      if (member.inFlight.size === 0) this.afterDeliveries(member);
    });
  }

  /** Its last running handler finished (or it held none): leave, or go to the back of the line. */
  private afterDeliveries(member: Member): void {
    if (this.stopped) return;
    if (member.leaving) this.forget(member);
    else if (member.subscription?.cancelled) void this.resubscribe(member);
  }

  /** Cancels every consumer (each after its running handler, up to `timeoutMs`), closes channels and connections. */
  async stop(timeoutMs: number): Promise<void> {
    this.stopped = true;
    const all = [...this.members.values()];
    for (const member of all) member.leaving = true;
    // The one place an idle consumer is cancelled: a delivery that slips in goes back (once, as in a crash).
    await Promise.all(all.filter((member) => member.inFlight.size === 0).map((member) => this.cancel(member)));
    const running = all.flatMap((member) => [...member.inFlight]);
    const drained = await Promise.race([
      Promise.allSettled(running).then(() => true),
      new Promise<boolean>((resolve) => setTimeout(() => resolve(false), timeoutMs).unref()),
    ]);
    if (!drained)
      this.logger.warn('stopped with handlers still running; their messages will be redelivered', {
        inFlight: all.filter((member) => member.inFlight.size > 0).length,
      });
    this.members.clear();
    await Promise.all(this.slots.map((slot) => slot.channel.close()));
    await Promise.all(this.connections.map((connection) => settleWithin(connection.close(), 3_000)));
    this.logger.info('consumer pool stopped', { channels: this.slots.length, connections: this.connections.length });
  }

  private slotWithRoom(): Slot {
    const free = this.slots.find((slot) => slot.members.size < this.options.consumersPerChannel);
    if (free) return free;
    const index = this.slots.length;
    const connectionIndex = Math.floor(index / this.options.channelsPerConnection);
    let connection = this.connections[connectionIndex];
    if (!connection) {
      connection = this.deps.broker.openConsumerConnection(
        `${this.options.name} ${connectionIndex + 1}`,
        this.options.heartbeatSeconds,
      );
      this.connections[connectionIndex] = connection;
    }
    const members = new Set<Member>();
    const channel = new ResilientChannel(connection, {
      name: `${this.options.name}:${index}`,
      confirm: false,
      logger: this.logger,
      setup: (opened) => this.setUp(slot, opened),
    });
    const slot: Slot = { index, members, channel, ready: Promise.resolve() };
    this.slots.push(slot);
    slot.ready = this.open(channel);
    return slot;
  }

  /** Opens a slot's first channel, trying again while the broker cannot be reached (later ones reopen by themselves). */
  private async open(channel: ResilientChannel): Promise<void> {
    for (;;) {
      try {
        await channel.start();
        return;
      } catch (error) {
        if (this.stopped) return;
        this.logger.error('pool channel could not open; trying again', errorFields(error));
        await new Promise((resolve) => setTimeout(resolve, 1_000));
      }
    }
  }

  /** A new channel for the slot: per-consumer prefetch, then every member, those standing first before standbys. */
  private async setUp(slot: Slot, channel: Channel): Promise<void> {
    await channel.prefetch(this.options.prefetch, false);
    // Members added while this runs are subscribed by the loop's next round.
    for (;;) {
      const pending = [...slot.members]
        .filter((member) => member.subscription?.channel !== channel)
        .sort((a, b) => rank(a.standing) - rank(b.standing));
      if (pending.length === 0) return;
      for (const member of pending) {
        // Its old channel is gone: a consumer due to leave has nothing left to hand over.
        if (member.leaving) {
          if (member.inFlight.size === 0) this.forget(member);
          continue;
        }
        // A new subscription is at the back of the line already (standbys subscribe last).
        member.handBack = false;
        await this.subscribe(member, channel);
      }
    }
  }

  private async subscribe(member: Member, channel: Channel): Promise<void> {
    if (member.leaving || this.stopped || isChannelClosed(channel)) return;
    if (member.subscription?.channel === channel && !member.subscription.cancelled) return;
    const consuming = channel.consume(member.spec.queue, (message) => this.deliver(member, subscription, message));
    const subscription: Subscription = { channel, consumerTag: undefined, consuming, cancelled: false };
    member.subscription = subscription;
    try {
      const { consumerTag } = await consuming;
      subscription.consumerTag = consumerTag;
    } catch (error) {
      if ((error as { code?: number }).code === 404) {
        // The queue does not exist: the broker closed the channel. Forget it, or every new channel
        // of this slot would fail the same way; its owner declares it and adds it again.
        this.logger.error('pooled consumer on a missing queue dropped', { queue: member.spec.queue });
        this.members.delete(member.spec.queue);
        member.slot.members.delete(member);
        member.leaving = true;
        this.hooks.onMissingQueue?.(member.spec.queue);
      }
      throw error;
    }
  }

  private deliver(member: Member, subscription: Subscription, delivery: ConsumeMessage | null): void {
    if (delivery === null) {
      // The broker cancelled the consumer (its queue was deleted, say): try again a little later.
      this.logger.error('the broker cancelled a pooled consumer; re-subscribing', { queue: member.spec.queue });
      subscription.cancelled = true;
      setTimeout(() => void this.resubscribe(member), 1_000).unref();
      return;
    }
    subscription.consumerTag ??= delivery.fields.consumerTag;
    if (subscription.cancelled) {
      // Only after `stop` (or a cancel by the broker): sent before the broker saw the cancel, the
      // queue's next consumer takes it. A hand-back never cancels an idle consumer, so never gets here.
      try {
        subscription.channel.nack(delivery, false, true);
      } catch {
        // channel closed: the broker requeued it
      }
      return;
    }
    const work = member.processor
      .process(subscription.channel, delivery, async () => {
        // Holding this unacked delivery (prefetch 1), the consumer gets nothing more until the ack,
        // which waits for the broker's cancel-ok: nothing can slip in after the cancel. (Prefetch
        // above 1 was cancelled when the hand-over was asked for: this returns at once.)
        if (member.handBack || member.leaving || this.stopped) await this.cancel(member, true);
      })
      .finally(() => {
        member.inFlight.delete(work);
        if (member.inFlight.size === 0) this.afterDeliveries(member);
      });
    member.inFlight.add(work);
    // After inFlight is set: a hand-back decided here waits for this handler (cancel before its ack).
    this.hooks.onDelivery?.(member.spec.queue);
  }

  /**
   * `basic.cancel`, once the consume it cancels has its tag. `untilConfirmed`: wait for the
   * broker's cancel-ok however long it takes (a delivery's ack waits for it); the channel closing
   * ends the wait (the broker then gives the delivery back itself).
   */
  private async cancel(member: Member, untilConfirmed = false): Promise<void> {
    const subscription = member.subscription;
    if (!subscription || subscription.cancelled) return;
    subscription.cancelled = true;
    const tag =
      subscription.consumerTag ??
      (await subscription.consuming.then(
        (ok) => ok.consumerTag,
        () => undefined,
      ));
    if (!tag || isChannelClosed(subscription.channel)) return;
    const cancelling = subscription.channel.cancel(tag);
    if (untilConfirmed) await cancelling.catch(() => undefined);
    else await settleWithin(cancelling, 2_000);
  }

  /** Drops a departed member (unless it was added again meanwhile). */
  private forget(member: Member): void {
    if (!member.leaving) return;
    if (this.members.get(member.spec.queue) === member) this.members.delete(member.spec.queue);
    member.slot.members.delete(member);
  }

  private async resubscribe(member: Member): Promise<void> {
    member.handBack = false;
    if (member.leaving || this.stopped || this.members.get(member.spec.queue) !== member) return;
    const channel = member.slot.channel.channel;
    if (!channel) return; // the slot's next channel subscribes it
    try {
      await this.subscribe(member, channel);
    } catch (error) {
      // The channel closed under us (or the queue is gone): the slot's next channel subscribes it.
      this.logger.warn('could not re-subscribe a pooled consumer', { queue: member.spec.queue, ...errorFields(error) });
    }
  }
}

function rank(standing: Standing): number {
  return standing === 'first' ? 0 : 1;
}
