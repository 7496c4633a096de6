import amqp, { type AmqpConnectionManager, type ChannelWrapper } from 'amqp-connection-manager';
import type { Channel } from 'amqplib';
import type { Logger } from '../observability/logger';
import { errorFields } from '../observability/logger';
import { applyTopology } from './apply-topology';
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
 * declared before anything else uses it and declared again after every reconnect. Publishers and
 * consumers open their own channels on `connection`; reconnection never reaches business code.
 */
export class Broker {
  private constructor(
    readonly connection: AmqpConnectionManager,
    private readonly topologyChannel: ChannelWrapper,
    private readonly logger: Logger,
  ) {}

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

    const topologyChannel = connection.createChannel({ name: 'topology', confirm: false });
    topologyChannel.on('error', (err) => logger.error('topology channel error', errorFields(err)));
    const broker = new Broker(connection, topologyChannel, logger);
    await topologyChannel.waitForConnect();
    // addSetup runs now (rejecting on a conflicting declaration) and again after each reconnect.
    await broker.declare(options.topology);
    return broker;
  }

  /** Declares more topology now and after every reconnect (e.g. a lane for a new connection). */
  async declare(topology: TopologySpec): Promise<void> {
    await this.topologyChannel.addSetup((channel: Channel) => applyTopology(channel, topology));
  }

  isConnected(): boolean {
    return this.connection.isConnected();
  }

  async close(): Promise<void> {
    await this.topologyChannel.close().catch(() => undefined);
    await this.connection.close();
    this.logger.info('broker connection closed');
  }
}
