import assert from 'node:assert/strict';
import { after, before, describe, test } from 'node:test';
import { createMessage, newCorrelation } from '../../src/domain/events/envelope';
import { UnroutableError } from '../../src/infrastructure/rabbitmq/publisher';
import { Collector, sleep } from '../support/collector';
import {
  type Harness,
  PROBE_QUEUE,
  probeConsumer,
  probeTopology,
  startHarness,
  TestPing,
} from '../support/messaging-harness';

describe('channel-only errors do not leave the broker connection half-dead', () => {
  let harness: Harness;
  const received = new Collector<number>();

  before(async () => {
    harness = await startHarness('channel', { publishTimeoutMs: 1_500 });
    await harness.run(probeConsumer(10, async (message) => received.add(message.payload.seq)));
  });
  after(() => harness.dispose());

  const ping = (seq: number) => createMessage(TestPing, { seq, sentAt: Date.now() }, newCorrelation('company-1'));

  test('a conflicting declaration is refused, and later declarations still work', async () => {
    const conflicting = {
      exchanges: [],
      bindings: [],
      queues: [{ name: PROBE_QUEUE, purpose: 'clash', arguments: { 'x-queue-type': 'classic' } }],
    };
    await assert.rejects(harness.broker.declare(conflicting), /PRECONDITION_FAILED/);
    const later = {
      exchanges: [],
      bindings: [],
      queues: [{ name: 'disparo.later', purpose: 'later', arguments: { 'x-queue-type': 'quorum' } }],
    };
    for (let i = 0; i < 50; i++) {
      await harness.broker.declare(later);
      try {
        await harness.management.queue(harness.vhost, 'disparo.later');
        return;
      } catch {
        await sleep(100); // the topology channel is re-opening; the declaration was kept for it
      }
    }
    assert.fail('the later declaration never reached the broker');
  });

  test('a publish to a missing exchange fails at once; the others on that channel are sent again', async () => {
    const bad = harness.publisher.publishRaw('disparo.no-such-exchange', 'x', Buffer.from('{}'), {});
    const good = harness.publisher.publish(TestPing, ping(1));
    await assert.rejects(bad, /exchange disparo.no-such-exchange does not exist/);
    await good;
    await harness.publisher.publish(TestPing, ping(2));
    const items = await received.waitFor(2, 5_000);
    assert.deepEqual([...new Set(items)].sort(), [1, 2]);
  });
});

describe('nothing is confirmed that no queue took; cancelled consumers come back', () => {
  let harness: Harness;
  const received = new Collector<number>();

  before(async () => {
    harness = await startHarness('unroutable');
    await harness.run(probeConsumer(10, async (message) => received.add(message.payload.seq)));
  });
  after(() => harness.dispose());

  test('a message to a missing queue fails with UnroutableError instead of being confirmed and dropped', async () => {
    const ping = createMessage(TestPing, { seq: 1, sentAt: Date.now() }, newCorrelation('c'));
    await assert.rejects(harness.publisher.send('disparo.no-such-queue', ping), UnroutableError);
    await harness.publisher.send(PROBE_QUEUE, ping);
    assert.deepEqual(await received.waitFor(1, 5_000), [1]);
  });

  test('a consumer the broker cancelled (queue deleted and declared again) subscribes again', async () => {
    const amqplib = await import('amqplib');
    const connection = await amqplib.connect(harness.url);
    const channel = await connection.createChannel();
    await channel.deleteQueue(PROBE_QUEUE);
    await connection.close();
    await sleep(500); // an operator's delete and a later re-declare; the broker notifies the consumer meanwhile
    await harness.broker.declare(probeTopology());
    const ping = createMessage(TestPing, { seq: 2, sentAt: Date.now() }, newCorrelation('c'));
    await harness.publisher.send(PROBE_QUEUE, ping);
    await received.waitFor(2, 10_000);
    assert.equal(received.items[1], 2);
  });
});

describe('publishing while the broker is unreachable', () => {
  test('waiting publishes are bounded: each rejects with PublishTimeoutError instead of hanging', async () => {
    const harness = await startHarness('unreachable', { publishTimeoutMs: 1_000 });
    try {
      await harness.publisher.publish(
        TestPing,
        createMessage(TestPing, { seq: 0, sentAt: Date.now() }, newCorrelation('c')),
      );
      // Deleting the vhost drops the connection, and reconnecting keeps failing.
      await harness.management.deleteVhost(harness.vhost);
      await sleep(300);
      const started = Date.now();
      const results = await Promise.allSettled(
        Array.from({ length: 20 }, (_, seq) =>
          harness.publisher.publish(
            TestPing,
            createMessage(TestPing, { seq, sentAt: Date.now() }, newCorrelation('c')),
          ),
        ),
      );
      const elapsed = Date.now() - started;
      assert.ok(
        results.every((r) => r.status === 'rejected' && (r.reason as Error).name === 'PublishTimeoutError'),
        JSON.stringify(results.map((r) => r.status)),
      );
      assert.ok(elapsed < 3_000, `rejected after ${elapsed} ms`);
      assert.equal(harness.publisher.pending, 0);
    } finally {
      await harness.dispose();
    }
  });
});
