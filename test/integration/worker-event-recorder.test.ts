import assert from 'node:assert/strict';
import { after, before, describe, test } from 'node:test';
import mongoose from 'mongoose';
import { createMessage, newCorrelation } from '../../src/domain/events/envelope';
import { sleep } from '../support/collector';
import { testMongoUrl } from '../support/infrastructure';
import { type Harness, startHarness, TestPing } from '../support/messaging-harness';
import { exitOf, spawnDisparo, waitForOutput } from '../support/processes';

describe('worker process: event-recorder role, graceful shutdown, restart', () => {
  let harness: Harness;
  let db: mongoose.Connection;
  let mongoUrl: string;

  before(async () => {
    harness = await startHarness('worker');
    mongoUrl = testMongoUrl('worker');
    db = await mongoose.createConnection(mongoUrl).asPromise();
  });
  after(async () => {
    await db.dropDatabase().catch(() => undefined);
    await db.close();
    await harness.dispose();
  });

  const workerEnv = () => ({
    RABBITMQ_URL: harness.url,
    MONGO_URL: mongoUrl,
    WORKER_ROLES: 'event-recorder',
    QUEUE_DELIVERY_LIMIT: '5',
    SHUTDOWN_TIMEOUT_MS: '5000',
    METRICS_PORT: '0',
  });

  test('every event is recorded exactly once across a SIGTERM and a restart, duplicates included', async () => {
    const first = spawnDisparo('worker', workerEnv());
    await waitForOutput(first, /worker started/, 30_000);

    const events = Array.from({ length: 400 }, (_, seq) =>
      createMessage(TestPing, { seq, sentAt: Date.now() }, newCorrelation('company-rec', 'corr-rec')),
    );
    const publishAll = (async () => {
      for (const [i, event] of events.entries()) {
        await harness.publisher.publish(TestPing, event);
        if (i % 50 === 0) await sleep(20);
      }
      // The same events again, as a redelivery or replay would bring them.
      await Promise.all(events.slice(0, 50).map((event) => harness.publisher.publish(TestPing, event)));
    })();

    await sleep(150);
    first.kill('SIGTERM');
    assert.equal(await exitOf(first), 0, `graceful exit; output:\n${first.output().slice(-2000)}`);
    assert.match(first.output(), /consumer stopped/);
    await publishAll;

    const second = spawnDisparo('worker', workerEnv());
    await waitForOutput(second, /worker started/, 30_000);
    const collection = db.collection('events');
    const deadline = Date.now() + 30_000;
    while ((await collection.countDocuments({ companyId: 'company-rec' })) < events.length && Date.now() < deadline)
      await sleep(100);
    await assertCountedInMetrics(second.output());
    second.kill('SIGTERM');
    assert.equal(await exitOf(second), 0);

    const stored = await collection.find({ companyId: 'company-rec' }).toArray();
    assert.equal(stored.length, events.length, 'each event stored once');
    const ids = new Set(stored.map((doc) => String(doc._id)));
    assert.deepEqual([...ids].sort(), events.map((event) => event.eventId).sort());
    const sample = stored.find((doc) => doc._id === (events[7]!.eventId as unknown));
    assert.equal(sample?.type, 'TestPing');
    assert.equal(sample?.correlationId, 'corr-rec');
    assert.ok(sample?.occurredAt instanceof Date);
  });

  /** The worker serves Prometheus metrics: what it consumed is counted by consumer, type and outcome. */
  async function assertCountedInMetrics(output: string): Promise<void> {
    const url = /(http:\/\/[\d.]+:\d+\/metrics)/.exec(output)?.[1];
    assert.ok(url, `the worker logs where its metrics are served; output:\n${output.slice(-2000)}`);
    const response = await fetch(url);
    assert.equal(response.status, 200);
    assert.match(response.headers.get('content-type') ?? '', /^text\/plain/);
    const text = await response.text();
    const consumed = Number(
      /^disparo_messages_consumed_total\{consumer="event-recorder",type="TestPing",outcome="ack"\} (\d+)$/m.exec(
        text,
      )?.[1] ?? 0,
    );
    assert.ok(consumed > 0, `acked TestPing deliveries are counted:\n${text.slice(0, 3000)}`);
    assert.match(
      text,
      /^disparo_handler_duration_seconds_count\{consumer="event-recorder",type="TestPing"\} [1-9]\d*$/m,
    );
    assert.match(text, /^disparo_process_resident_memory_bytes \d+/m);
  }

  test('a bad configuration stops the process with one line naming the variable (exit 78)', async () => {
    const child = spawnDisparo('worker', { RABBITMQ_URL: '', MONGO_URL: 'mysql://nope' });
    assert.equal(await exitOf(child), 78);
    assert.match(
      child.output(),
      /disparo: invalid configuration: RABBITMQ_URL is required; MONGO_URL must be a mongodb:\/\/ URL/,
    );
  });
});
