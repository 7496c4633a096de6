import type { ConfirmChannel, Options } from 'amqplib';

/**
 * Raw amqplib baseline: publishes `count` messages into `queue` pipelined, honouring the write
 * buffer ('drain'), and resolves once every one is confirmed. `wire(i)` builds message i when it
 * is sent, so encoding is timed like the messaging core's.
 */
export function publishAllConfirmed(
  channel: ConfirmChannel,
  queue: string,
  count: number,
  wire: (index: number) => { content: Buffer; options: Options.Publish },
): Promise<void> {
  return new Promise((resolve, reject) => {
    if (count === 0) return resolve();
    let next = 0;
    let unconfirmed = count;
    let failed = false;
    const onConfirm = (error: unknown) => {
      if (failed) return;
      if (error) {
        failed = true;
        reject(error instanceof Error ? error : new Error(`publish nacked: ${String(error)}`));
        return;
      }
      if (--unconfirmed === 0) resolve();
    };
    const pump = () => {
      while (next < count) {
        const message = wire(next++);
        if (!channel.publish('', queue, message.content, message.options, onConfirm)) {
          channel.once('drain', pump);
          return;
        }
      }
    };
    pump();
  });
}
