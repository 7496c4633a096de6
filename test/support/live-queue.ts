import amqplib from 'amqplib';

/**
 * A queue's message and consumer counts as the queue itself answers them (a passive declare): the
 * management API samples quorum queues only on their tick (every 30 s with the node settings in
 * scripts/rabbitmq/advanced.config), so a test waiting on it would wait for the sampling, not the queue.
 */
export async function liveQueue(url: string, queue: string): Promise<{ messages: number; consumers: number }> {
  const connection = await amqplib.connect(url);
  connection.on('error', () => undefined);
  try {
    const channel = await connection.createChannel();
    channel.on('error', () => undefined);
    const { messageCount, consumerCount } = await channel.checkQueue(queue);
    return { messages: messageCount, consumers: consumerCount };
  } finally {
    await connection.close().catch(() => undefined);
  }
}
