import assert from 'node:assert/strict';
import { after, before, describe, test } from 'node:test';
import { findViolations } from '../../src/domain/pacing/pacing-rule';
import { sandboxStore } from '../../src/infrastructure/gateways/sandbox/sandbox-store';
import { sleep } from '../support/collector';
import { createCampaign, seedCompany, spawnWorker, startSystem, type TestSystem, waitUntil } from '../support/system';

/**
 * SIGKILL of a random worker process every few seconds while five campaigns send on five numbers.
 * Three worker processes run every role; each one killed is started again at once. `npm test` runs
 * it with 1,000 contacts (CI time); `npm run test:faults` with the full 5,000 (STORM_CONTACTS).
 */
const CONTACTS = Number(process.env.STORM_CONTACTS ?? 1_000);
const CONNECTIONS = 5;
const WORKERS = 3;
const KILL_EVERY_MS = [2_000, 4_000] as const;
const pacing = { messageInterval: 0.02, longerIntervalAfter: 25, greaterInterval: 0.1 };
const rule = { messageIntervalMs: 20, longerIntervalAfter: 25, greaterIntervalMs: 100 };
const TIMEOUT_MS = 15 * 60_000;

type Child = Awaited<ReturnType<typeof spawnWorker>>;

describe(`SIGKILL storm: ${CONTACTS} contacts on ${CONNECTIONS} numbers, ${WORKERS} worker processes killed and restarted`, () => {
  let system: TestSystem;
  const children: Child[] = [];
  const restarts: Array<Promise<void>> = [];
  let storming = false;
  before(async () => {
    // The API only in this process; every worker role runs in the child processes the storm kills.
    system = await startSystem('storm', {
      workers: [],
      env: { RECONCILE_EVERY_MS: '3000', RECONCILE_STUCK_AFTER_MS: '15000', COUNTER_RECOUNT_AFTER_MS: '3000' },
    });
  });
  after(async () => {
    storming = false;
    await Promise.allSettled(restarts);
    for (const child of children) if (child.exitCode === null && child.signalCode === null) child.kill('SIGKILL');
    await system.stop();
  });

  test('every shipping sent exactly once with exactly one MessageDispatched, none lost, no pacing violation', {
    timeout: TIMEOUT_MS,
  }, async () => {
    const perNumber = Math.floor(CONTACTS / CONNECTIONS);
    const seeded = await seedCompany(system, { pacing, contacts: 0, connections: CONNECTIONS });
    const campaigns: string[] = [];
    for (let n = 0; n < CONNECTIONS; n++) {
      const list = await system.api('POST', '/v1/contact-lists', { name: `Lista ${n}` }, seeded.key);
      const contacts = Array.from({ length: perNumber }, (_, i) => ({
        phone: `+55119${String(70_000_000 + n * 100_000 + i).padStart(8, '0')}`,
        name: `Cliente ${n}-${i}`,
      }));
      const added = await system.api('POST', `/v1/contact-lists/${list.body.id}/contacts`, { contacts }, seeded.key);
      assert.deepEqual([added.body.added, added.body.rejected?.length], [perNumber, 0], `contacts: ${added.status}`);
      campaigns.push(
        await createCampaign(system, seeded.key, { connectionId: seeded.connections[n], listId: list.body.id }),
      );
    }
    for (let i = 0; i < WORKERS; i++) children.push(await spawnWorker(system, 'all'));

    const startedAt = Date.now();
    for (const campaignId of campaigns)
      assert.equal((await system.api('POST', `/v1/campaigns/${campaignId}/start`, undefined, seeded.key)).status, 202);

    // The storm: a random live worker dies every 2–4 s and a new one is started in its place at
    // once (its start-up does not hold the next kill back; a slow start can leave fewer than three).
    storming = true;
    let kills = 0;
    const storm = (async () => {
      while (storming) {
        await sleep(KILL_EVERY_MS[0] + Math.random() * (KILL_EVERY_MS[1] - KILL_EVERY_MS[0]));
        if (!storming) break;
        const live = children.filter((child) => child.exitCode === null && child.signalCode === null);
        const victim = live[Math.floor(Math.random() * live.length)];
        if (!victim) continue;
        victim.kill('SIGKILL');
        await victim.exited();
        kills++;
        restarts.push(spawnWorker(system, 'all').then((child) => void children.push(child)));
      }
    })();

    const { Campaign, Shipping } = system.models;
    await waitUntil(
      'every campaign to complete',
      async () => (await Campaign.countDocuments({ _id: { $in: campaigns }, status: 'completed' })) === CONNECTIONS,
      TIMEOUT_MS - 60_000,
      500,
    );
    const tookMs = Date.now() - startedAt;
    storming = false;
    await storm;
    await Promise.all(restarts);

    const store = sandboxStore(system.db);
    let sends = 0;
    let violations = 0;
    for (const connectionId of seeded.connections) {
      const records = await system.sandboxSends(connectionId);
      sends += records.length;
      assert.equal(records.length, perNumber, `number ${connectionId}: one record per contact`);
      assert.equal(new Set(records.map((record) => record.to)).size, perNumber, 'no contact twice');
      // The simulated number counts its real sends after storing each (a kill in between leaves it short, never over).
      const lane = await store.Lane.findById(connectionId).lean();
      assert.ok((lane?.sends ?? 0) <= perNumber, 'the simulated number never sent more than once per contact');
      violations += records.filter((record) => record.violation).length;
      assert.deepEqual(
        records.filter((record) => record.violation),
        [],
        'no pacing violation (sandbox judge)',
      );
      assert.deepEqual(
        findViolations(
          records.map((record) => record.receivedAt.getTime()),
          rule,
        ),
        [],
      );
    }
    const shippings = await Shipping.countDocuments({ campaignId: { $in: campaigns }, status: 'sent' });
    assert.equal(shippings, perNumber * CONNECTIONS, 'every shipping recorded as sent');
    const recorded = await Shipping.find({ campaignId: { $in: campaigns } }, { _id: 1, providerMessageId: 1 }).lean();
    const records = await store.Message.find(
      { _id: { $in: recorded.map((shipping) => String(shipping._id)) } },
      { providerMessageId: 1 },
    ).lean();
    const providerIds = new Map(records.map((record) => [record._id, record.providerMessageId]));
    assert.ok(
      recorded.every((shipping) => providerIds.get(String(shipping._id)) === shipping.providerMessageId),
      'each shipping records the receipt of its one send',
    );
    for (const campaignId of campaigns) {
      const campaign = await Campaign.findById(campaignId).lean();
      assert.equal(campaign?.counters.sent, perNumber);
    }
    // Every send has its event, exactly once: a kill between the send and the publish leaves the
    // event in the shipping's outbox, and the lane's redelivered message or the reconciler sends it.
    const sentIds = recorded.map((shipping) => String(shipping._id));
    const eventsPerShipping = async () => {
      const events = await system.db
        .collection<{ payload: { shippingId: string } }>('events')
        .find({ type: 'MessageDispatched', campaignId: { $in: campaigns } }, { projection: { payload: 1 } })
        .toArray();
      const counts = new Map<string, number>();
      for (const event of events) counts.set(event.payload.shippingId, (counts.get(event.payload.shippingId) ?? 0) + 1);
      return counts;
    };
    const lostEvents = async () => {
      const counts = await eventsPerShipping();
      return sentIds.filter((id) => counts.get(id) !== 1);
    };
    await waitUntil(
      'every sent shipping to have its MessageDispatched in the event log',
      async () => (await lostEvents()).length === 0,
      60_000,
      500,
    ).catch(() => undefined);
    const withoutOneEvent = await lostEvents();
    const counts = await eventsPerShipping();
    assert.deepEqual(
      withoutOneEvent.map((id) => ({ shippingId: id, events: counts.get(id) ?? 0 })),
      [],
      'every sent shipping has exactly one MessageDispatched in the event log',
    );
    const pendingOutbox = await Shipping.countDocuments({ campaignId: { $in: campaigns }, outboxAt: { $ne: null } });
    assert.equal(pendingOutbox, 0, 'no outcome event left waiting in an outbox');
    const reconciled = await Shipping.countDocuments({ campaignId: { $in: campaigns }, reconciledAt: { $ne: null } });
    // Claimed more than once: a kill interrupted the send and the next dispatcher repeated it with the same key.
    const repeated = await Shipping.countDocuments({ campaignId: { $in: campaigns }, attempts: { $gt: 1 } });
    console.log(
      `# sigkill storm: ${CONTACTS} contacts on ${CONNECTIONS} numbers, ${WORKERS} workers, ${kills} SIGKILLs in ${(tookMs / 1000).toFixed(1)} s; ${sends} sends (one per shipping), ${violations} violations, ${repeated} sends repeated after a kill and answered by the idempotency key, ${reconciled} shippings handed back by the reconciler; ${sentIds.length} sent shippings, ${withoutOneEvent.length} without exactly one MessageDispatched`,
    );
  });
});
