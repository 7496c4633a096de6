import assert from 'node:assert/strict';
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, describe, test } from 'node:test';
import amqplib from 'amqplib';
import { outcomeEventId } from '../../src/application/shippings/shipping-service';
import { findViolations } from '../../src/domain/pacing/pacing-rule';
import { queues } from '../../src/topology';
import {
  createCampaign,
  seedCompany,
  spawnWorker,
  startSystem,
  type TestSystem,
  waitForStatus,
  waitUntil,
} from '../support/system';

const PRELOAD = join(__dirname, '..', 'support', 'crash-before-publish-preload.ts');
const pacing = { messageInterval: 0.1, longerIntervalAfter: 10, greaterInterval: 0.3 };
const rule = { messageIntervalMs: 100, longerIntervalAfter: 10, greaterIntervalMs: 300 };

type Child = Awaited<ReturnType<typeof spawnWorker>>;

/** A dispatch worker that SIGKILLs itself right before it would publish its first MessageDispatched. */
async function crashingDispatcher(system: TestSystem, marker: string): Promise<Child> {
  return spawnWorker(system, 'dispatch', {
    NODE_OPTIONS: `--import tsx --import ${PRELOAD}`,
    CRASH_BEFORE_PUBLISH: 'message.dispatched',
    CRASH_MARKER: marker,
  });
}

/** MessageDispatched events in the event log, per shipping id. */
async function dispatchedEvents(system: TestSystem, campaignId: string): Promise<Map<string, string[]>> {
  const events = await system.db
    .collection<{ _id: string; payload: { shippingId: string } }>('events')
    .find({ type: 'MessageDispatched', campaignId })
    .toArray();
  const byShipping = new Map<string, string[]>();
  for (const event of events)
    byShipping.set(event.payload.shippingId, [...(byShipping.get(event.payload.shippingId) ?? []), event._id]);
  return byShipping;
}

/**
 * The worker dies after the provider accepted a send and the shipping was stored as sent, before
 * its MessageDispatched left: the crash point is exact (the preload kills the process as it is
 * about to publish that event; everything before is the worker's own code). The event must still
 * appear, exactly once, from the shipping's outbox: through the lane's redelivered message, or,
 * when that message is gone too, through the reconciler.
 */
describe('every send has its event, exactly once, across a SIGKILL between the send and the publish', () => {
  let system: TestSystem;
  let dir: string;
  const children: Child[] = [];
  before(async () => {
    dir = mkdtempSync(join(tmpdir(), 'disparo-crash-'));
    system = await startSystem('event-per-send', {
      workers: [['event-recorder', 'campaign-process', 'contact-prepare']],
      env: { RECONCILE_EVERY_MS: '500', RECONCILE_STUCK_AFTER_MS: '2000', COUNTER_RECOUNT_AFTER_MS: '1000' },
    });
  });
  after(async () => {
    for (const child of children) if (child.exitCode === null && child.signalCode === null) child.kill('SIGKILL');
    await system.stop();
    rmSync(dir, { recursive: true, force: true });
  });

  test('the redelivered lane message publishes the stored event; counters and sends stay once', async () => {
    const contacts = 6;
    const seeded = await seedCompany(system, { pacing, contacts });
    const campaignId = await createCampaign(system, seeded.key, {
      connectionId: seeded.connectionId,
      listId: seeded.listId,
    });
    const marker = join(dir, 'redelivery');
    const doomed = await crashingDispatcher(system, marker);
    children.push(doomed);
    await system.api('POST', `/v1/campaigns/${campaignId}/start`, undefined, seeded.key);
    await doomed.exited();
    assert.equal(doomed.signalCode, 'SIGKILL', 'the dispatcher died at the crash point');
    assert.equal(readFileSync(marker, 'utf8').trim(), String(doomed.pid));

    // The state the crash left: one shipping sent (and in the sandbox's record) without its event.
    const { Shipping } = system.models;
    const orphan = await Shipping.findOne({ campaignId, status: 'sent' }).lean();
    assert.ok(orphan, 'the send was recorded before the crash');
    assert.equal(orphan.outbox?.type, 'MessageDispatched', 'its event waits in the outbox');
    assert.equal(orphan.outbox?.eventId, outcomeEventId('MessageDispatched', orphan._id));
    assert.equal((await dispatchedEvents(system, campaignId)).size, 0, 'no MessageDispatched was published');

    const successor = await spawnWorker(system, 'dispatch');
    children.push(successor);
    const done = await waitForStatus(system, seeded.key, campaignId, 'completed', 60_000);
    assert.equal(done.counters.sent, contacts, 'counted once each');

    await waitUntil(
      'every send to have its event in the log',
      async () => (await dispatchedEvents(system, campaignId)).size === contacts,
      20_000,
    );
    const events = await dispatchedEvents(system, campaignId);
    const shippings = await Shipping.find({ campaignId }).lean();
    for (const shipping of shippings) {
      assert.equal(shipping.status, 'sent');
      assert.deepEqual(events.get(String(shipping._id)), [outcomeEventId('MessageDispatched', shipping._id)]);
      assert.equal(shipping.outbox ?? null, null, 'no event left waiting');
    }
    const repaired = await Shipping.findById(orphan._id).lean();
    assert.equal(repaired?.attempts, 1, 'the orphan was not sent again');
    const sends = await system.sandboxSends(seeded.connectionId);
    assert.equal(sends.length, contacts, 'one send per contact (sandbox record)');
    assert.deepEqual(
      findViolations(
        sends.map((send) => send.receivedAt.getTime()).sort((a, b) => a - b),
        rule,
      ),
      [],
    );
    successor.kill('SIGTERM');
    await successor.exited();
  });

  test('with the lane message gone too, the reconciler publishes the stored event once', async () => {
    const seeded = await seedCompany(system, { pacing, contacts: 1 });
    const campaignId = await createCampaign(system, seeded.key, {
      connectionId: seeded.connectionId,
      listId: seeded.listId,
    });
    const doomed = await crashingDispatcher(system, join(dir, 'reconciler'));
    children.push(doomed);
    await system.api('POST', `/v1/campaigns/${campaignId}/start`, undefined, seeded.key);
    await doomed.exited();
    assert.equal(doomed.signalCode, 'SIGKILL');
    const orphan = await system.models.Shipping.findOne({ campaignId }).lean();
    assert.equal(orphan?.status, 'sent');
    assert.ok(orphan?.outbox, 'its event waits in the outbox');

    // The redelivered lane message is lost as well (say, dead-lettered after a crash loop).
    const broker = await amqplib.connect(system.env.RABBITMQ_URL!);
    try {
      const channel = await broker.createChannel();
      await channel.purgeQueue(queues('disparo').lane(seeded.connectionId));
    } finally {
      await broker.close();
    }

    await system.addWorker(['scheduler']);
    await waitUntil(
      'the reconciler to publish the stored event',
      async () => (await dispatchedEvents(system, campaignId)).size === 1,
      30_000,
    );
    await waitForStatus(system, seeded.key, campaignId, 'completed', 30_000);
    const events = await dispatchedEvents(system, campaignId);
    assert.deepEqual(events.get(String(orphan!._id)), [outcomeEventId('MessageDispatched', orphan!._id)]);
    assert.equal((await system.models.Shipping.findById(orphan!._id).lean())?.outbox ?? null, null);
    const campaign = await system.models.Campaign.findById(campaignId).lean();
    assert.equal(campaign?.counters.sent, 1);
    assert.equal((await system.sandboxSends(seeded.connectionId)).length, 1);
  });
});
