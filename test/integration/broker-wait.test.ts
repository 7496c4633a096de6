import assert from 'node:assert/strict';
import { createServer, type Server, type Socket, connect as tcpConnect } from 'node:net';
import { after, before, describe, test } from 'node:test';
import { createTestVhost, infraUrls, testMongoUrl } from '../support/infrastructure';
import { exitOf, spawnDisparo, waitForOutput } from '../support/processes';

/**
 * A worker started while its broker does not answer: a local TCP server accepts the connection
 * and says nothing (a broker that is slow, or a firewall that swallows packets), then starts
 * forwarding to the real broker. The worker must log each attempt and keep trying, then start.
 */

/** Holds every connection silently until `open()`, then forwards new ones to the real broker. */
async function silentThenForwarding(target: URL): Promise<{ port: number; open(): void; close(): Promise<void> }> {
  let forwarding = false;
  const sockets = new Set<Socket>();
  const server: Server = createServer((client) => {
    sockets.add(client);
    client.on('close', () => sockets.delete(client));
    client.on('error', () => undefined);
    if (!forwarding) return; // accepted, never answered
    const upstream = tcpConnect(Number(target.port || 5672), target.hostname);
    sockets.add(upstream);
    upstream.on('error', () => client.destroy());
    client.on('error', () => upstream.destroy());
    client.pipe(upstream).pipe(client);
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const address = server.address();
  if (!address || typeof address !== 'object') throw new Error('no port');
  return {
    port: address.port,
    open: () => {
      forwarding = true;
    },
    close: () =>
      new Promise<void>((resolve) => {
        for (const socket of sockets) socket.destroy();
        server.close(() => resolve());
      }),
  };
}

describe('a worker started before its broker answers', () => {
  let vhost: Awaited<ReturnType<typeof createTestVhost>>;
  let proxy: Awaited<ReturnType<typeof silentThenForwarding>>;
  before(async () => {
    vhost = await createTestVhost('broker-wait');
    proxy = await silentThenForwarding(new URL(infraUrls().rabbitmqUrl));
  });
  after(async () => {
    await proxy.close();
    await vhost.dispose();
  });

  test('logs a warning per attempt with a capped backoff, keeps trying, and starts once the broker answers', async () => {
    const url = new URL(vhost.url);
    url.port = String(proxy.port);
    const worker = spawnDisparo('worker', {
      RABBITMQ_URL: url.toString(),
      MONGO_URL: testMongoUrl('broker-wait'),
      WORKER_ROLES: 'event-recorder',
      METRICS_PORT: '0',
      LOG_LEVEL: 'info',
      BROKER_CONNECT_TIMEOUT_MS: '1000',
      BROKER_RETRY_MAX_MS: '2000',
    });
    try {
      await waitForOutput(worker, /(broker not reachable yet[\s\S]*){4}/, 30_000);
      assert.equal(worker.exitCode, null, 'the worker is still running');
      const warnings = worker
        .output()
        .split('\n')
        .filter((line) => line.includes('broker not reachable yet'))
        .map((line) => JSON.parse(line));
      assert.deepEqual(
        warnings.slice(0, 4).map((line) => [line.attempt, line.retryInMs]),
        [
          [1, 1000],
          [2, 2000],
          [3, 2000],
          [4, 2000],
        ],
      );
      assert.doesNotMatch(warnings[0].url, /guest:guest@/, 'the password is not logged');
      proxy.open();
      await waitForOutput(worker, /worker started/, 30_000);
      await new Promise((resolve) => setTimeout(resolve, 1_500)); // its signal handlers come right after
      worker.kill('SIGTERM');
      assert.equal(await exitOf(worker), 0);
    } finally {
      if (worker.exitCode === null) worker.kill('SIGKILL');
    }
  });
});
