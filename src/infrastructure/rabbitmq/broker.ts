import amqp, { type AmqpConnectionManager } from 'amqp-connection-manager';
import type { Logger } from '../observability/logger';
import { errorFields } from '../observability/logger';
import { redactText } from '../observability/redact';
import { applyTopology } from './apply-topology';
import { ResilientChannel, settleWithin } from './resilient-channel';
import type { TopologySpec } from './topology-spec';

export interface BrokerOptions {
  /** The broker, or every node of a cluster: a connection uses the first that answers, the next after a drop. */
  urls: string[];
  topology: TopologySpec;
  logger: Logger;
  /** Name shown in the management console's connection list. */
  connectionName: string;
  heartbeatSeconds?: number;
  /** One connection attempt waits this long (a broker that accepts TCP but never answers included). */
  connectTimeoutMs?: number;
  /** The longest wait between two attempts while starting (the wait doubles from 1 s up to this). */
  retryMaxMs?: number;
}

/**
 * Two AMQP connections that reconnect by themselves (amqp-connection-manager): `connection` for
 * consumers and the topology, `publishConnection` for publishing, so that a broker alarm that
 * blocks publishers never stalls consumers' acks. The topology is declared before anything else
 * uses the broker and again on every new topology channel. Reconnection never reaches business code.
 */
export class Broker {
  private readonly declared: TopologySpec[];
  private readonly topologyChannel: ResilientChannel;
  private readonly declareChannels: Array<Promise<ResilientChannel> | undefined> = [];
  private declareTurn = 0;

  private constructor(
    readonly connection: AmqpConnectionManager,
    readonly publishConnection: AmqpConnectionManager,
    topology: TopologySpec,
    private readonly logger: Logger,
    private readonly options: BrokerOptions,
  ) {
    this.declared = [topology];
    this.topologyChannel = new ResilientChannel(connection, {
      name: 'topology',
      confirm: false,
      logger,
      setup: async (channel) => {
        for (const spec of this.declared) await applyTopology(channel, spec);
      },
    });
  }

  /**
   * Connects and declares the topology. An unreachable or silent broker is waited for, one warning
   * per attempt with a capped backoff, for as long as it takes (a worker started before its broker
   * just starts later); it rejects only when the broker says no: refused credentials, a
   * declaration that conflicts with the broker's.
   */
  static async connect(options: BrokerOptions): Promise<Broker> {
    const connection = openConnection(options, 'consume');
    const publishConnection = openConnection(options, 'publish');
    const broker = new Broker(connection, publishConnection, options.topology, options.logger, options);
    const attemptMs = options.connectTimeoutMs ?? 10_000;
    const retryMaxMs = options.retryMaxMs ?? 30_000;
    for (let attempt = 1; ; attempt++) {
      try {
        await broker.topologyChannel.start(attemptMs);
        if (attempt > 1) options.logger.info('broker reached', { attempt });
        return broker;
      } catch (error) {
        if (isRefusal(error) || !isUnreachable(error)) {
          await Promise.all([connection.close(), publishConnection.close()]).catch(() => undefined);
          throw error;
        }
        const retryInMs = Math.min(retryMaxMs, 1_000 * 2 ** Math.min(attempt - 1, 16));
        options.logger.warn('broker not reachable yet; still trying', {
          attempt,
          retryInMs,
          url: options.urls.map((url) => redactText(url)).join(','),
          ...errorFields(error),
        });
        await new Promise((resolve) => setTimeout(resolve, retryInMs));
      }
    }
  }

  /**
   * Declares more topology now (waiting up to `timeoutMs` for a channel) and on every later
   * channel, e.g. the lane of a new WhatsApp connection. A declaration the broker refuses
   * (conflicting arguments) is forgotten and rejected; one interrupted by a disconnect is kept.
   */
  async declare(topology: TopologySpec, timeoutMs = 15_000): Promise<void> {
    this.declared.push(topology);
    const deadline = Date.now() + timeoutMs;
    for (;;) {
      const channel = this.topologyChannel.channel;
      if (channel) {
        try {
          await applyTopology(channel, topology);
          return;
        } catch (error) {
          if (isRefusal(error)) {
            this.declared.splice(this.declared.indexOf(topology), 1);
            throw error;
          }
        }
      }
      if (Date.now() > deadline) throw new Error('could not declare topology: no broker channel available');
      await new Promise((resolve) => setTimeout(resolve, 100));
    }
  }

  /**
   * Declares topology now, retrying through reconnects until `timeoutMs`, without keeping it for
   * later channels: for durable queues that outlive a reconnect (a lane), so that thousands of them
   * are not declared again on every new topology channel.
   */
  async declareOnce(topology: TopologySpec, timeoutMs = 15_000): Promise<void> {
    const deadline = Date.now() + timeoutMs;
    const declaring = await this.declareChannel();
    for (;;) {
      const channel = declaring.channel;
      if (channel) {
        try {
          await applyTopology(channel, topology);
          return;
        } catch (error) {
          if (isRefusal(error)) throw error;
        }
      }
      if (Date.now() > deadline) throw new Error('could not declare topology: no broker channel available');
      await new Promise((resolve) => setTimeout(resolve, 100));
    }
  }

  /**
   * A channel for `declareOnce`, in turn from a few: a channel runs one declaration at a time, and
   * creating a quorum queue takes milliseconds, so API processes creating lanes by the thousand
   * would queue behind one channel (docs/benchmarks.md, "Lanes").
   */
  private async declareChannel(): Promise<ResilientChannel> {
    const index = this.declareTurn++ % DECLARE_CHANNELS;
    let opening = this.declareChannels[index];
    if (!opening) {
      const channel = new ResilientChannel(this.connection, {
        name: `declare:${index}`,
        confirm: false,
        logger: this.logger,
        setup: async () => undefined,
      });
      opening = channel.start().then(() => channel);
      this.declareChannels[index] = opening;
      opening.catch(() => {
        if (this.declareChannels[index] === opening) this.declareChannels[index] = undefined;
      });
    }
    return opening;
  }

  /**
   * One more consuming connection, e.g. for lane consumers past a connection's channel_max; the
   * caller closes it.
   */
  openConsumerConnection(label: string, heartbeatSeconds?: number): AmqpConnectionManager {
    return openConnection(heartbeatSeconds ? { ...this.options, heartbeatSeconds } : this.options, label);
  }

  isConnected(): boolean {
    return this.connection.isConnected() && this.publishConnection.isConnected();
  }

  async close(): Promise<void> {
    await this.topologyChannel.close();
    for (const opening of this.declareChannels)
      await opening?.then((channel) => channel.close()).catch(() => undefined);
    await Promise.all([
      settleWithin(this.connection.close(), 3_000),
      settleWithin(this.publishConnection.close(), 3_000),
    ]);
    this.logger.info('broker connections closed');
  }
}

function openConnection(options: BrokerOptions, role: string): AmqpConnectionManager {
  const connection = amqp.connect(options.urls, {
    heartbeatIntervalInSeconds: options.heartbeatSeconds ?? 5,
    reconnectTimeInSeconds: 1,
    connectionOptions: {
      clientProperties: { connection_name: `${options.connectionName} (${role})` },
      // A broker that accepts the TCP connection but never answers fails the attempt (then retried).
      timeout: options.connectTimeoutMs ?? 10_000,
    },
  });
  const logger = options.logger.child({ connection: role });
  connection.on('connect', () => logger.info('broker connected'));
  connection.on('disconnect', ({ err }) => logger.warn('broker disconnected', errorFields(err)));
  connection.on('connectFailed', ({ err }) => logger.warn('broker connection failed', errorFields(err)));
  connection.on('blocked', ({ reason }) => logger.warn('broker blocked the connection', { reason }));
  connection.on('unblocked', () => logger.info('broker unblocked the connection'));
  return connection;
}

/** The broker could not be reached or did not answer in time (as opposed to answering no). */
function isUnreachable(error: unknown): boolean {
  const message = String((error as Error)?.message ?? '');
  return (
    /could not reach the broker|connection lost while starting|timeout|ECONNREFUSED|ECONNRESET|EHOSTUNREACH|ENOTFOUND|EAI_AGAIN|ETIMEDOUT|socket closed|Socket closed/i.test(
      message,
    ) && !/ACCESS[-_]REFUSED|403/.test(message)
  );
}

/** Channels `declareOnce` spreads declarations over. */
const DECLARE_CHANNELS = 4;

/** 406 PRECONDITION_FAILED / 404 NOT_FOUND / 403 ACCESS_REFUSED: the broker said no, retrying will not help. */
function isRefusal(error: unknown): boolean {
  const code = (error as { code?: number }).code;
  return code === 406 || code === 404 || code === 403;
}
