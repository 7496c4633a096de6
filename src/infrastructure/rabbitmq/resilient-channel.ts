import type { AmqpConnectionManager } from 'amqp-connection-manager';
import type { Channel, ChannelModel } from 'amqplib';
import { errorFields, type Logger } from '../observability/logger';

export interface ResilientChannelOptions {
  name: string;
  confirm: boolean;
  logger: Logger;
  /** Runs on every new channel before it is used: prefetch, consume, declarations. */
  setup(channel: Channel): Promise<void>;
  /** Called once the channel is current (after setup), e.g. to send what waited for it. */
  onOpen?(channel: Channel): void;
  /** Called when the current channel closes, with the broker's reason if it gave one. */
  onClose?(error: Error | undefined): void;
}

/** Channels that have closed; a delivery or confirm from one of them must not be acted upon. */
const closedChannels = new WeakSet<Channel>();

export function isChannelClosed(channel: Channel): boolean {
  return closedChannels.has(channel);
}

/** Resolves when `promise` settles or after `ms`, whichever comes first (close frames can get lost). */
export async function settleWithin(promise: Promise<unknown>, ms: number): Promise<void> {
  let timer: NodeJS.Timeout | undefined;
  await Promise.race([promise.catch(() => undefined), new Promise((resolve) => (timer = setTimeout(resolve, ms)))]);
  clearTimeout(timer);
}

const CLOSE_TIMEOUT_MS = 2_000;

/**
 * A channel that comes back by itself. amqp-connection-manager re-creates channels only when the
 * *connection* drops; a channel-only close (a 406 from a declaration, the broker's consumer
 * timeout, a cancelled consumer) would leave its ChannelWrapper dead with publishes hanging.
 * Here a channel closed while its connection is still up is re-opened on that connection, with
 * backoff; after a connection drop, the manager's `connect` event opens a new one.
 */
export class ResilientChannel {
  private current: Channel | undefined;
  private stopped = false;
  private failures = 0;
  private readonly logger: Logger;
  private readonly onConnect = ({ connection }: { connection: ChannelModel }) => void this.open(connection);

  constructor(
    private readonly manager: AmqpConnectionManager,
    private readonly options: ResilientChannelOptions,
  ) {
    this.logger = options.logger.child({ channel: options.name });
  }

  /**
   * Opens the first channel; rejects when the broker cannot be reached within `timeoutMs`, refuses
   * the credentials, or the setup fails (a conflicting declaration, say).
   */
  async start(timeoutMs = 30_000): Promise<void> {
    if (!this.manager.isConnected()) {
      await this.manager.connect({ timeout: timeoutMs }).catch((error: Error) => {
        throw new Error(`${this.options.name}: could not reach the broker: ${error.message}`);
      });
    }
    const connection = this.manager.connection;
    if (!connection) throw new Error(`${this.options.name}: broker connection lost while starting`);
    await this.open(connection, true);
    this.manager.on('connect', this.onConnect);
    // A reconnect between the first open and the listener would otherwise go unnoticed.
    if (!this.current && this.manager.connection && this.manager.connection !== connection)
      void this.open(this.manager.connection);
  }

  get channel(): Channel | undefined {
    return this.current;
  }

  async close(): Promise<void> {
    this.stopped = true;
    this.manager.removeListener('connect', this.onConnect);
    const channel = this.current;
    this.current = undefined;
    if (channel && !isChannelClosed(channel)) await settleWithin(channel.close(), CLOSE_TIMEOUT_MS);
  }

  /** Closes the current channel so that a fresh one is set up (e.g. after the broker cancelled a consumer). */
  recycle(): void {
    const channel = this.current;
    if (channel && !isChannelClosed(channel)) void settleWithin(channel.close(), CLOSE_TIMEOUT_MS);
  }

  private async open(connection: ChannelModel, rethrow = false): Promise<void> {
    if (this.stopped) return;
    let channel: Channel | undefined;
    try {
      channel = this.options.confirm ? await connection.createConfirmChannel() : await connection.createChannel();
      const opened = channel;
      let closeReason: Error | undefined;
      opened.on('error', (error) => {
        closeReason = error;
        this.logger.warn('channel error', errorFields(error));
      });
      opened.once('close', () => {
        closedChannels.add(opened);
        this.onClose(opened, connection, closeReason);
      });
      await this.options.setup(opened);
      // The awaits above give a close (ours or the broker's) the chance to land first.
      if (this.stopped) {
        await settleWithin(opened.close(), CLOSE_TIMEOUT_MS);
        return;
      }
      if (isChannelClosed(opened)) throw new Error('channel closed during setup');
      this.current = opened;
      this.failures = 0;
      this.options.onOpen?.(opened);
    } catch (error) {
      this.logger.error('channel setup failed', errorFields(error));
      if (channel && !isChannelClosed(channel)) await settleWithin(channel.close(), CLOSE_TIMEOUT_MS);
      if (rethrow) throw error;
      this.retry(connection);
    }
  }

  private onClose(channel: Channel, connection: ChannelModel, reason: Error | undefined): void {
    if (this.current !== channel) return; // setup failed (retried there) or replaced already
    this.current = undefined;
    this.options.onClose?.(reason);
    if (this.stopped) return;
    this.logger.warn('channel closed', reason ? errorFields(reason) : {});
    this.retry(connection);
  }

  private retry(connection: ChannelModel): void {
    if (this.stopped) return;
    // A dropped connection is the manager's: its `connect` event opens the next channel.
    if (this.manager.connection !== connection || !this.manager.isConnected()) return;
    const delayMs = Math.min(100 * 2 ** this.failures++, 5_000);
    setTimeout(() => {
      if (!this.current && !this.stopped && this.manager.connection === connection) void this.open(connection);
    }, delayMs).unref();
  }
}
