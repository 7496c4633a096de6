import assert from 'node:assert/strict';
import { after, before, describe, test } from 'node:test';
import { sleep } from '../support/collector';
import { type DedicatedRabbitMq, startDedicatedRabbitMq } from '../support/dedicated-rabbitmq';
import { assertSentOncePaced } from '../support/send-checks';
import { createCampaign, seedCompany, startSystem, type TestSystem, waitForStatus, waitUntil } from '../support/system';

const CONTACTS = 300;
const OUTAGE_MS = 5_000;
const pacing = { messageInterval: 0.03, longerIntervalAfter: 20, greaterInterval: 0.1 };
const rule = { messageIntervalMs: 30, longerIntervalAfter: 20, greaterIntervalMs: 100 };

/**
 * The broker stopped (`rabbitmqctl stop_app`) mid-campaign and started again, on a RabbitMQ node of
 * this test's own. Nothing in Disparo is told: its connections reconnect, publishes made during the
 * outage wait and are confirmed after it, consumers resume.
 */
describe('broker stopped and started mid-campaign', () => {
  let broker: DedicatedRabbitMq;
  let system: TestSystem;
  before(async () => {
    broker = await startDedicatedRabbitMq('broker');
    system = await startSystem('broker-restart', { env: { RABBITMQ_URL: broker.url } });
  });
  after(async () => {
    await system?.stop();
    await broker?.dispose();
  });

  test('publishers and consumers recover by themselves: nothing confirmed lost, nothing sent twice', {
    timeout: 240_000,
  }, async () => {
    const seeded = await seedCompany(system, { pacing, contacts: CONTACTS, connections: 2 });
    const [first, second] = seeded.connections as [string, string];
    const running = await createCampaign(system, seeded.key, { connectionId: first, listId: seeded.listId });
    const startedDuringOutage = await createCampaign(system, seeded.key, {
      connectionId: second,
      listId: seeded.listId,
    });
    await system.api('POST', `/v1/campaigns/${running}/start`, undefined, seeded.key);
    await waitUntil(
      'the campaign to be sending',
      async () => (await system.sandboxSends(first)).length >= 40,
      120_000,
      50,
    ).catch(async (error) => {
      const campaign = await system.models.Campaign.findById(running, {
        status: 1,
        processingDone: 1,
        counters: 1,
      }).lean();
      console.log('# DIAG', JSON.stringify({ campaign, sends: (await system.sandboxSends(first)).length }));
      throw error;
    });

    await broker.stopApp();
    const stoppedAt = Date.now();
    const sentAtStop = (await system.sandboxSends(first)).length;
    // An API call that publishes while the broker is down waits for it instead of failing.
    const start = system.api('POST', `/v1/campaigns/${startedDuringOutage}/start`, undefined, seeded.key);
    await sleep(OUTAGE_MS);
    const sentDuringOutage = (await system.sandboxSends(first)).length - sentAtStop;
    await broker.startApp();
    const restartedAt = Date.now();
    const started = await start;
    assert.equal(started.status, 202, `the start published during the outage: ${JSON.stringify(started.body)}`);
    await waitUntil(
      'a send after the restart',
      async () => (await system.sandboxSends(first)).some((send) => send.receivedAt.getTime() > restartedAt),
      60_000,
      50,
    );
    const resumedAfterMs = Date.now() - restartedAt;

    for (const campaignId of [running, startedDuringOutage]) {
      const done = await waitForStatus(system, seeded.key, campaignId, 'completed', 120_000);
      assert.equal(done.counters.sent, CONTACTS);
    }
    for (const connectionId of [first, second]) {
      await assertSentOncePaced(system, connectionId, CONTACTS, rule);
    }
    // Every event published (confirmed) reached the event recorder: each send and each completion, once.
    const events = system.db.collection('events');
    await waitUntil(
      'the event log to catch up',
      async () => (await events.distinct('payload.shippingId', { type: 'MessageDispatched' })).length === 2 * CONTACTS,
      60_000,
      200,
    );
    assert.equal(await events.countDocuments({ type: 'CampaignCompleted' }), 2);
    console.log(
      `# broker restart: stop_app for ${OUTAGE_MS} ms (${((restartedAt - stoppedAt) / 1000).toFixed(1)} s with start_app) after ${sentAtStop} sends, ${sentDuringOutage} sends during the outage; first send ${resumedAfterMs} ms after start_app; the start published during the outage answered 202; ${2 * CONTACTS} sends, 0 duplicates, 0 violations, ${2 * CONTACTS} MessageDispatched recorded`,
    );
  });
});
