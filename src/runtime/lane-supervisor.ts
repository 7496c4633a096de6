import { hostname } from 'node:os';
import type { DispatchDeps } from '../../consumers/dispatch-lane';
import { declareLane } from '../application/pipeline-deps';
import { readsOf } from '../application/service-registry';
import { type LaneRole, rankWorkers, roleOf } from '../domain/dispatch/lane-assignment';
import { ConnectionCreated } from '../domain/events/contact-messages';
import type { LaneMode } from '../domain/pacing/lane-mode';
import type { DispatchMembership } from '../infrastructure/mongo/dispatch-membership';
import { errorFields } from '../infrastructure/observability/logger';
import { ConsumerPool } from '../infrastructure/rabbitmq/consumer-pool';
import type { ConsumerRunnerDeps, ConsumerSpec } from '../infrastructure/rabbitmq/consumer-runner';
import { EventSubscription } from '../infrastructure/rabbitmq/event-subscription';
import { dispatchMembershipOf } from './pipeline';

export interface LaneSupervisorOptions {
  /** Safety re-scan of every connection (new ones arrive through ConnectionCreated). */
  refreshMs: number;
  heartbeatMs: number;
  memberTtlMs: number;
  standbys: number;
  consumersPerChannel: number;
  channelsPerConnection: number;
  /** AMQP heartbeat of the lane consumers' connections (LANE_BROKER_HEARTBEAT_S). */
  brokerHeartbeatSeconds?: number;
}

/**
 * Lanes in throughput mode (src/domain/pacing/lane-mode.ts) are consumed in a pool of their own,
 * with a prefetch above 1 (the lane holds a batch of deliveries); every other lane keeps prefetch 1.
 */
export interface ThroughputLaneHosting {
  /** The consumer of a throughput lane (its handler holds each delivery until its send is recorded). */
  consumer(connectionId: string): ConsumerSpec<unknown>;
  prefetch: number;
  /** Each lane's mode, from its connection's data (throughput, the company's pacing). */
  modes(connectionIds: string[]): Promise<Map<string, LaneMode>>;
  /** The lane is leaving this worker: what it holds and has not started goes back unsent. */
  release(connectionId: string): void;
}

/** Subscriptions started at once (each is one consume round-trip on some channel). */
const SUBSCRIBE_CONCURRENCY = 64;
/** A worker active on a lane it does not own hands it back at most this often (the owner may not be subscribed yet). */
const HAND_BACK_EVERY_MS = 5_000;
/** A standby for a new lane subscribes this much after its owner would have, so the owner is first in line. */
const STANDBY_DELAY_MS = 500;

/**
 * The dispatch role: holds this worker's share of the lanes. Dispatch workers find each other
 * through heartbeats in MongoDB (DispatchMembership) and split the lanes by rendezvous hashing
 * (src/domain/dispatch/lane-assignment.ts): a worker subscribes first to the lanes it owns — on a
 * single-active-consumer queue the first consumer in line is the active one — then, behind the
 * owner, to those it stands by for (LANE_STANDBYS), which it takes over the moment the owner dies.
 * When workers join or leave, only the lanes whose owner changed move: the old owner hands the lane
 * back at the end of its next message (cancels before that message's ack and subscribes again
 * behind the new owner; an idle lane stays with it until a message comes, so a hand-back never
 * gives a message back to the queue, which a quorum queue would count as a failed delivery). A
 * worker that finds itself active on a lane it does not own (after a reconnect, say) hands it back
 * the same way.
 *
 * Consumers share channels (ConsumerPool): prefetch 1 each, on a few channels and connections.
 * New numbers arrive through the ConnectionCreated event, on a queue of this worker's own; every
 * connection is re-read only at start, after a reconnect of that queue and every `refreshMs`.
 */
export class LaneSupervisor {
  private readonly lanes = new Set<string>();
  private readonly laneOfQueue = new Map<string, string>();
  private readonly handedBackAt = new Map<string, number>();
  private workers: string[] = [];
  private readonly pool: ConsumerPool;
  /** Throughput lanes' consumers (prefetch above 1), on channels of their own. */
  private readonly fastPool: ConsumerPool | undefined;
  private readonly modeOf = new Map<string, LaneMode>();
  /** Lanes whose mode is being read again (one check at a time each). */
  private readonly modeChecks = new Set<string>();
  private readonly discovery: EventSubscription<'ConnectionCreated', typeof ConnectionCreated.payload>;
  private readonly membership: DispatchMembership;
  private readonly timers: NodeJS.Timeout[] = [];
  /** Rebalancing and scans run one at a time. */
  private queue: Promise<void> = Promise.resolve();
  private stopped = false;
  /** Lanes announced by ConnectionCreated and not opened yet: opened together, in the next step. */
  private readonly announcedLanes = new Set<string>();

  constructor(
    private readonly deps: DispatchDeps,
    /** The lane consumer of a number (the `dispatch` subscription keyed by connection). */
    private readonly laneConsumer: (connectionId: string) => ConsumerSpec<unknown>,
    runnerDeps: ConsumerRunnerDeps,
    private readonly options: LaneSupervisorOptions,
    memberId = `${hostname()}:${process.pid}:${Math.random().toString(36).slice(2, 8)}`,
    private readonly throughput?: ThroughputLaneHosting,
  ) {
    this.pool = new ConsumerPool(
      runnerDeps,
      {
        consumersPerChannel: options.consumersPerChannel,
        channelsPerConnection: options.channelsPerConnection,
        prefetch: 1,
        name: 'lanes',
        heartbeatSeconds: options.brokerHeartbeatSeconds,
      },
      {
        onDelivery: (queue) => this.onDelivery(queue),
        onMissingQueue: (queue) => this.onMissingQueue(queue),
      },
    );
    if (throughput)
      this.fastPool = new ConsumerPool(
        runnerDeps,
        {
          consumersPerChannel: options.consumersPerChannel,
          channelsPerConnection: options.channelsPerConnection,
          prefetch: throughput.prefetch,
          name: 'throughput-lanes',
        },
        {
          onDelivery: (queue) => this.onDelivery(queue),
          onMissingQueue: (queue) => this.onMissingQueue(queue),
          onHandBack: (queue) => {
            const lane = this.laneOfQueue.get(queue);
            if (lane) throughput.release(lane);
          },
        },
      );
    this.discovery = new EventSubscription(deps.broker, {
      name: 'dispatch-new-lanes',
      prefix: deps.topology.prefix,
      definition: ConnectionCreated,
      logger: deps.logger,
      handle: async (event) => this.announced(event.payload.connectionId),
      onResubscribed: () => void this.serially(() => this.scan()),
    });
    this.membership = dispatchMembershipOf(deps, memberId, options.memberTtlMs, {
      host: hostname(),
      pid: process.pid,
    });
  }

  get memberId(): string {
    return this.membership.memberId;
  }

  async start(): Promise<void> {
    await this.membership.join(this.deps.now(), this.holding());
    this.workers = await this.membership.alive(this.deps.now());
    await this.discovery.start();
    await this.serially(() => this.scan());
    this.timers.push(
      setInterval(() => void this.heartbeat(), this.options.heartbeatMs),
      setInterval(() => void this.serially(() => this.scan()), this.options.refreshMs),
    );
    this.deps.logger.info('dispatch lanes held', {
      member: this.memberId,
      workers: this.workers.length,
      ...this.holding(),
    });
  }

  /** Lanes this worker subscribes to, owned or standing by. */
  get subscribed(): string[] {
    return [...this.pool.queues, ...(this.fastPool?.queues ?? [])].map((queue) => this.laneOfQueue.get(queue) ?? queue);
  }

  /** A lane's handler saw its data give `mode`: a lane in the other mode's pool moves (between two messages). */
  noteMode(connectionId: string, mode: LaneMode): void {
    if (!this.throughput || !this.lanes.has(connectionId)) return;
    if ((this.modeOf.get(connectionId) ?? 'one-at-a-time') === mode || this.modeChecks.has(connectionId)) return;
    this.modeChecks.add(connectionId);
    void this.serially(() => this.decideModes([connectionId])).finally(() => this.modeChecks.delete(connectionId));
  }

  /** The pool a lane's queue is consumed in (its mode's). */
  private poolOf(lane: string): ConsumerPool {
    return this.fastPool && this.modeOf.get(lane) === 'throughput' ? this.fastPool : this.pool;
  }

  /**
   * Each lane's mode from its data; a lane subscribed already whose mode changed (an operator set
   * its throughput, the company's pacing changed) leaves its old pool and is subscribed again.
   */
  private async decideModes(laneIds: string[]): Promise<void> {
    if (!this.throughput || laneIds.length === 0) return;
    const modes = await this.throughput.modes(laneIds);
    const moved: string[] = [];
    for (const lane of laneIds) {
      const mode = modes.get(lane) ?? 'one-at-a-time';
      const before = this.modeOf.get(lane);
      if (before === mode) continue;
      const queue = this.deps.queues.lane(lane);
      const subscribedIn = before === undefined ? undefined : this.poolOf(lane);
      this.modeOf.set(lane, mode);
      if (subscribedIn?.has(queue)) {
        await subscribedIn.remove(queue);
        moved.push(lane);
      }
    }
    if (moved.length > 0) {
      this.deps.logger.info('dispatch lanes changed mode', { lanes: moved.length });
      await this.rebalance(moved);
    }
  }

  async stop(timeoutMs: number): Promise<void> {
    this.stopped = true;
    for (const timer of this.timers) clearInterval(timer);
    await this.queue;
    await this.discovery.stop().catch(() => undefined);
    // Leaving first lets the others take this worker's share at their next heartbeat.
    await this.membership.leave().catch(() => undefined);
    await Promise.all([this.pool.stop(timeoutMs), this.fastPool?.stop(timeoutMs)]);
  }

  private serially(step: () => Promise<void>): Promise<void> {
    const next = this.queue.then(async () => {
      if (this.stopped) return;
      try {
        await step();
      } catch (error) {
        this.deps.logger.error('could not update dispatch lanes', errorFields(error));
      }
    });
    this.queue = next;
    return next;
  }

  private holding() {
    let owned = 0;
    let total = 0;
    for (const pool of [this.pool, this.fastPool]) {
      if (!pool) continue;
      for (const queue of pool.queues) if (pool.standingOf(queue) === 'first') owned++;
      total += pool.queues.length;
    }
    return {
      owned,
      standby: total - owned,
      channels: this.pool.channelCount + (this.fastPool?.channelCount ?? 0),
      connections: this.pool.connectionCount + (this.fastPool?.connectionCount ?? 0),
    };
  }

  private async heartbeat(): Promise<void> {
    if (this.stopped) return;
    try {
      await this.membership.beat(this.deps.now(), this.holding());
      const workers = await this.membership.alive(this.deps.now());
      if (workers.join() !== this.workers.join()) {
        this.deps.logger.info('dispatch workers changed; rebalancing lanes', {
          before: this.workers.length,
          after: workers.length,
        });
        this.workers = workers;
        await this.serially(() => this.rebalance([...this.lanes]));
      }
    } catch (error) {
      this.deps.logger.warn('dispatch heartbeat failed', errorFields(error));
    }
  }

  private announced(connectionId: string): void {
    if (this.lanes.has(connectionId)) return;
    const first = this.announcedLanes.size === 0;
    this.announcedLanes.add(connectionId);
    if (!first) return;
    void this.serially(async () => {
      const ids = [...this.announcedLanes];
      this.announcedLanes.clear();
      await this.open(ids, STANDBY_DELAY_MS);
    });
  }

  /** Every connection, as a safety net for a ConnectionCreated this worker did not get. */
  private async scan(): Promise<void> {
    // A WhatsApp Web number's lane is subscribed by the worker holding its socket (whatsapp-web-host.ts).
    const unknown = (await readsOf(this.deps).laneConnectionIds()).filter((id) => !this.lanes.has(id));
    await this.decideModes([...this.lanes]);
    if (unknown.length > 0) await this.open(unknown, 0);
  }

  /** New lanes: the owned ones subscribed first, the standbys after (`standbyDelayMs` later). */
  private async open(connectionIds: string[], standbyDelayMs: number): Promise<void> {
    const fresh = connectionIds.filter((id) => !this.lanes.has(id));
    await this.decideModes(fresh);
    for (const id of fresh) {
      this.lanes.add(id);
      this.laneOfQueue.set(this.deps.queues.lane(id), id);
    }
    await this.rebalance(fresh, standbyDelayMs);
    if (fresh.length > 0)
      this.deps.logger.info('dispatch lanes opened', {
        lanes: fresh.length,
        total: this.lanes.size,
        ...this.holding(),
      });
  }

  /** Brings the subscriptions of `laneIds` in line with the current workers. */
  private async rebalance(laneIds: string[], standbyDelayMs = 0): Promise<void> {
    const owned: string[] = [];
    const standby: string[] = [];
    for (const lane of laneIds) {
      const queue = this.deps.queues.lane(lane);
      const role = this.roleOf(lane);
      const pool = this.poolOf(lane);
      const standing = pool.standingOf(queue);
      if (role === 'owner' && standing !== 'first') owned.push(lane);
      else if (role === 'standby' && standing === undefined) standby.push(lane);
      else if (role === 'standby' && standing === 'first') pool.handBack(queue, 'standby');
      else if (role === 'none' && standing !== undefined) pool.remove(queue);
    }
    await this.subscribeAll(owned, 'first');
    if (standby.length === 0) return;
    if (standbyDelayMs === 0) await this.subscribeAll(standby, 'standby');
    // Later, in its own step: the other workers' owners get in line first, and nothing waits here.
    else setTimeout(() => void this.serially(() => this.rebalance(standby)), standbyDelayMs).unref();
  }

  private async subscribeAll(laneIds: string[], standing: 'first' | 'standby'): Promise<void> {
    let next = 0;
    const subscribeNext = async () => {
      while (next < laneIds.length && !this.stopped) {
        const lane = laneIds[next++]!;
        const throughputMode = this.fastPool && this.modeOf.get(lane) === 'throughput';
        await (throughputMode ? this.fastPool! : this.pool)
          .add(throughputMode ? this.throughput!.consumer(lane) : this.laneConsumer(lane), standing)
          .catch((error: unknown) =>
            this.deps.logger.warn('could not subscribe a lane yet', { connectionId: lane, ...errorFields(error) }),
          );
      }
    };
    await Promise.all(Array.from({ length: Math.min(SUBSCRIBE_CONCURRENCY, laneIds.length) }, subscribeNext));
  }

  private roleOf(lane: string): LaneRole {
    return roleOf(lane, this.memberId, this.workers, this.options.standbys);
  }

  /** Active on a lane another live worker owns: finish this message, then step back behind the owner. */
  private onDelivery(queue: string): void {
    const lane = this.laneOfQueue.get(queue);
    if (!lane || this.workers.length < 2) return;
    const role = this.roleOf(lane);
    if (role === 'owner') return;
    const now = this.deps.now();
    if (now - (this.handedBackAt.get(lane) ?? 0) < HAND_BACK_EVERY_MS) return;
    this.handedBackAt.set(lane, now);
    this.deps.logger.debug('active on a lane another worker owns; handing it back', {
      connectionId: lane,
      owner: rankWorkers(lane, this.workers)[0],
    });
    if (role === 'standby') this.poolOf(lane).handBack(queue, 'standby');
    else this.poolOf(lane).remove(queue);
  }

  /** A lane queue was missing (a crash between creating the connection and its lane): declare it, subscribe again. */
  private onMissingQueue(queue: string): void {
    const lane = this.laneOfQueue.get(queue);
    if (!lane) return;
    void this.serially(async () => {
      await declareLane(this.deps, lane);
      await this.rebalance([lane]);
    });
  }
}
