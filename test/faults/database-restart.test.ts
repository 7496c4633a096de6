import assert from 'node:assert/strict';
import { after, before, describe, test } from 'node:test';
import { deadLetterQueue } from '../../src/infrastructure/rabbitmq/work-queue';
import { queues } from '../../src/topology';
import { sleep } from '../support/collector';
import { type DedicatedMongo, startDedicatedMongo } from '../support/dedicated-mongo';
import { takeAll } from '../support/messaging-harness';
import { assertSentOncePaced } from '../support/send-checks';
import { createCampaign, seedCompany, startSystem, type TestSystem, waitForStatus, waitUntil } from '../support/system';

const CONTACTS = 300;
const OUTAGE_MS = 5_000;
const STOP_SIGNAL = process.env.DB_STOP_SIGNAL === 'SIGKILL' ? 'SIGKILL' : 'SIGTERM';
const pacing = { messageInterval: 0.03, longerIntervalAfter: 20, greaterInterval: 0.1 };
const rule = { messageIntervalMs: 30, longerIntervalAfter: 20, greaterIntervalMs: 100 };

/**
 * The database stopped mid-campaign and started again on the same file, on a MongoDB-wire server
 * of this test's own. Handlers that hit the outage wait for the driver's reconnect or fail and are
 * retried through the delay levels; nothing is dead-lettered, nothing lost, nothing sent twice.
 */
describe('database stopped and started mid-campaign', () => {
  let mongo: DedicatedMongo;
  let system: TestSystem;
  before(async () => {
    mongo = await startDedicatedMongo('db-restart');
    // Retries of a handler that met the outage must outlast it: 8 attempts, up to 2 s apart.
    // The reconciler runs as in production, time-compressed.
    system = await startSystem('db-restart', {
      env: {
        MONGO_URL: mongo.url,
        RETRY_MAX_DELAY_MS: '2000',
        RECONCILE_EVERY_MS: '2000',
        RECONCILE_STUCK_AFTER_MS: '10000',
      },
    });
  });
  after(async () => {
    await system?.stop();
    await mongo?.dispose();
  });

  test('work waits and retries: every contact sent once, nothing lost, pacing kept', { timeout: 240_000 }, async () => {
    const seeded = await seedCompany(system, { pacing, contacts: CONTACTS, connections: 2 });
    const campaigns = [
      await createCampaign(system, seeded.key, { connectionId: seeded.connections[0], listId: seeded.listId }),
      await createCampaign(system, seeded.key, { connectionId: seeded.connections[1], listId: seeded.listId }),
    ];
    for (const campaignId of campaigns)
      await system.api('POST', `/v1/campaigns/${campaignId}/start`, undefined, seeded.key);
    await waitUntil(
      'both campaigns to be sending',
      async () => {
        const counts = await Promise.all(
          seeded.connections.map(async (connectionId) => (await system.sandboxSends(connectionId)).length),
        );
        return counts.every((count) => count >= 40);
      },
      120_000,
      50,
    );

    await mongo.stop(STOP_SIGNAL);
    const stoppedAt = Date.now();
    await sleep(OUTAGE_MS);
    await mongo.start();
    const restartedAt = Date.now();
    await waitUntil(
      'a send after the restart',
      async () => {
        const sends = await system.sandboxSends(seeded.connections[0]!).catch(() => []);
        return sends.some((send) => send.receivedAt.getTime() > restartedAt);
      },
      60_000,
      100,
    );
    const resumedAfterMs = Date.now() - restartedAt;

    for (const campaignId of campaigns) {
      const done = await waitForStatus(system, seeded.key, campaignId, 'completed', 60_000).catch(async (error) => {
        const campaign = await system.models.Campaign.findById(campaignId).lean();
        const byStatus = await system.models.Shipping.aggregate([
          { $match: { campaignId: campaign!._id } },
          { $group: { _id: '$status', n: { $sum: 1 } } },
        ]);
        const sends = await system.sandboxSends(String(campaign!.connectionId));
        console.log(
          '# DIAG',
          JSON.stringify({
            status: campaign!.status,
            processingDone: campaign!.processingDone,
            counters: campaign!.counters,
            batches: campaign!.preparedBatches,
            byStatus,
            sends: sends.length,
            lane: await system.models.Lane.findById(campaign!.connectionId).lean(),
          }),
        );
        throw error;
      });
      assert.equal(done.counters.sent, CONTACTS);
    }
    for (const connectionId of seeded.connections) {
      await assertSentOncePaced(system, connectionId, CONTACTS, rule);
    }
    const names = queues('disparo');
    // Lanes share one dead-letter queue.
    const deadQueues = [
      deadLetterQueue(names.eventRecorder),
      deadLetterQueue(names.campaignProcess),
      deadLetterQueue(names.contactPrepare),
      names.laneDead,
    ];
    for (const queue of deadQueues)
      assert.deepEqual(await takeAll(system.env.RABBITMQ_URL!, queue), [], `${queue}: nothing given up`);
    const events = system.db.collection('events');
    await waitUntil(
      'the event log to catch up',
      async () => (await events.distinct('payload.shippingId', { type: 'MessageDispatched' })).length === 2 * CONTACTS,
      60_000,
      200,
    );
    const reconciled = await system.models.Shipping.countDocuments({ reconciledAt: { $ne: null } });
    console.log(
      `# database restart (${STOP_SIGNAL}): ${reconciled} shippings handed back by the reconciler; stopped for ${((restartedAt - stoppedAt) / 1000).toFixed(1)} s (with the restart) mid-campaign; first send ${resumedAfterMs} ms after it answered again; ${2 * CONTACTS} sends, 0 duplicates, 0 violations, 0 dead letters, every MessageDispatched recorded`,
    );
  });
});
