import assert from 'node:assert/strict';
import { after, before, describe, test } from 'node:test';
import { createMessage, newCorrelation } from '../../src/domain/events/envelope';
import { Collector, sleep } from '../support/collector';
import { type Harness, probeConsumer, startHarness, TestPing } from '../support/messaging-harness';

async function closeVhostConnections(harness: Harness): Promise<number> {
  // The management API lists a new connection after its stats tick; wait until it shows.
  for (let i = 0; i < 100; i++) {
    const connections = await harness.management.connections(harness.vhost);
    if (connections.length > 0) {
      await Promise.all(
        connections.map((c) => harness.management.closeConnection(c.name, 'test: force-closed mid-stream')),
      );
      return connections.length;
    }
    await sleep(100);
  }
  throw new Error('no connection of the test vhost appeared in the management API');
}

describe('reconnection after the broker force-closes connections', () => {
  let harness: Harness;
  const received = new Collector<number>();

  before(async () => {
    harness = await startHarness('reconnect');
    await harness.run(probeConsumer(50, async (message) => received.add(message.payload.seq)));
  });
  after(() => harness.dispose());

  test('every confirmed message is consumed although connections are closed twice mid-stream', async () => {
    const total = 3_000;
    const confirmed = new Set<number>();
    let closes = 0;
    for (let seq = 0; seq < total; seq += 50) {
      const window = Array.from({ length: Math.min(50, total - seq) }, (_, i) => seq + i);
      const confirming = Promise.all(
        window.map(async (n) => {
          await harness.publisher.publish(
            TestPing,
            createMessage(TestPing, { seq: n, sentAt: Date.now() }, newCorrelation('company-1')),
          );
          confirmed.add(n);
        }),
      );
      // Mid-stream, while this window is in flight: the broker drops every connection of the vhost.
      if (seq === 1_000 || seq === 2_000) closes += await closeVhostConnections(harness);
      await confirming;
    }
    assert.ok(closes >= 2, 'connections were force-closed twice');
    assert.equal(confirmed.size, total, 'every publish was eventually confirmed');
    const deadline = Date.now() + 30_000;
    while (new Set(received.items).size < total && Date.now() < deadline) await sleep(100);
    const seen = new Set(received.items);
    const lost = [...confirmed].filter((seq) => !seen.has(seq));
    assert.deepEqual(lost, [], 'confirmed messages lost');
    const duplicates = received.items.length - seen.size;
    console.log(
      `reconnect: ${total} confirmed, ${seen.size} consumed, ${duplicates} duplicates (allowed: at-least-once)`,
    );
  });
});
