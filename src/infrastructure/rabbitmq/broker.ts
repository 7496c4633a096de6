import amqp, { type AmqpConnectionManager } from 'amqp-connection-manager';
import type { Logger } from '../observability/logger';
import { errorFields } from '../observability/logger';
import { applyTopology } from './apply-topology';
import { ResilientChannel } from './resilient-channel';
import type { TopologySpec } from './topology-spec';

export interface BrokerOptions {
  url: string;
  topology: TopologySpec;
  logger: Logger;
  /** Name shown in the management console's connection list. */
  connectionName: string;
  heartbeatSeconds?: number;
}

/**
 * One AMQP connection that reconnects by itself (amqp-connection-manager), with the topology
 * declared before anything else uses it and declared again on every new channel. Publishers and
 * consumers open their own ResilientChannels on `connection`; reconnection never reaches
 * business code.
 */
export class Broker {
  private readonly declared: TopologySpec[];
  private readonly topologyChannel: ResilientChannel;

  private constructor(
    readonly connection: AmqpConnectionManager,
    topology: TopologySpec,
    private readonly logger: Logger,
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

  /** Connects and declares the topology; rejects when a declaration conflicts with the broker's. */
  static async connect(options: BrokerOptions): Promise<Broker> {
    const connection = amqp.connect([options.url], {
      heartbeatIntervalInSeconds: options.heartbeatSeconds ?? 5,
      reconnectTimeInSeconds: 1,
      connectionOptions: { clientProperties: { connection_name: options.connectionName } },
    });
    const logger = options.logger;
    connection.on('connect', () => logger.info('broker connected'));
    connection.on('disconnect', ({ err }) => logger.warn('broker disconnected', errorFields(err)));
    connection.on('connectFailed', ({ err }) => logger.warn('broker connection failed', errorFields(err)));
    connection.on('blocked', ({ reason }) => logger.warn('broker blocked publishing', { reason }));
    connection.on('unblocked', () => logger.info('broker unblocked publishing'));
    const broker = new Broker(connection, options.topology, logger);
    try {
      await broker.topologyChannel.start();
    } catch (error) {
      await connection.close().catch(() => undefined);
      throw error;
    }
    return broker;
  }

  /** Declares more topology now and on every later channel (e.g. a lane for a new connection). */
  async declare(topology: TopologySpec): Promise<void> {
    this.declared.push(topology);
    const channel = this.topologyChannel.channel;
    if (!channel) return; // applied when the next channel opens
    try {
      await applyTopology(channel, topology);
    } catch (error) {
      this.declared.splice(this.declared.indexOf(topology), 1);
      throw error;
    }
  }

  isConnected(): boolean {
    return this.connection.isConnected();
  }

  async close(): Promise<void> {
    await this.topologyChannel.close();
    await this.connection.close();
    this.logger.info('broker connection closed');
  }
}
