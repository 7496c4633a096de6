/**
 * Loaded with `NODE_OPTIONS=--import …` into a spawned worker of a fault test: the first time this
 * process is about to publish a message with the routing key CRASH_BEFORE_PUBLISH, it dies by
 * SIGKILL instead (once per CRASH_MARKER file, which it creates first, so its successor runs on).
 * Everything before that moment is the worker's real code path: for `message.dispatched` the send
 * went out and the shipping was recorded as sent, and its event was never published.
 */
import { existsSync, writeFileSync } from 'node:fs';
import { dirname, join } from 'node:path';

const routingKey = process.env.CRASH_BEFORE_PUBLISH;
const marker = process.env.CRASH_MARKER;
if (routingKey && marker) {
  // The channel class amqp-connection-manager publishes through (the one module instance of amqplib).
  // (by its file: the package's exports do not list it).
  const { ConfirmChannel } = require(join(dirname(require.resolve('amqplib')), 'lib', 'channel_model.js')) as {
    ConfirmChannel: { prototype: { publish: (...args: unknown[]) => boolean } };
  };
  const publish = ConfirmChannel.prototype.publish;
  ConfirmChannel.prototype.publish = function (this: unknown, exchange: unknown, key: unknown, ...rest: unknown[]) {
    if (key === routingKey && !existsSync(marker)) {
      writeFileSync(marker, `${process.pid}\n`);
      process.kill(process.pid, 'SIGKILL');
    }
    return publish.call(this, exchange, key, ...rest);
  };
}
