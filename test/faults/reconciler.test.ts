import assert from 'node:assert/strict';
import { after, before, describe, test } from 'node:test';
import amqplib from 'amqplib';
import { LanePacing } from '../../src/application/shippings/lane-pacing';
import { findViolations } from '../../src/domain/pacing/pacing-rule';
import { createGatewayProvider } from '../../src/infrastructure/gateways/gateway-provider';
import { MongoLaneStore } from '../../src/infrastructure/mongo/lane-store';
import { queues } from '../../src/topology';
import { LocalCloudApi } from '../support/cloud-api-provider';
import {
  ADMIN_KEY,
  createCampaign,
  seedCompany,
  startSystem,
  type TestSystem,
  waitForStatus,
  waitUntil,
} from '../support/system';

const pacing = { messageInterval: 0.1, longerIntervalAfter: 10, greaterInterval: 0.3 };
const CONTACTS = 8;
/** Time-compressed reconciler: a pass every 0.5 s, stuck after 4 s, at most 3 shippings a pass. */
const RECONCILER = { RECONCILE_EVERY_MS: '500', RECONCILE_STUCK_AFTER_MS: '4000', RECONCILE_BATCH: '3' };

/** Waits until all `count` shippings are in the lane (no dispatcher runs yet), then loses them (purge). */
async function loseLaneMessages(system: TestSystem, connectionId: string, count: number): Promise<void> {
  const lane = queues('disparo').lane(connectionId);
  const broker = await amqplib.connect(system.env.RABBITMQ_URL!);
  try {
    const channel = await broker.createChannel();
    await waitUntil(
      'every shipping in the lane',
      async () => (await channel.checkQueue(lane)).messageCount === count,
      60_000,
    );
    await channel.purgeQueue(lane);
  } finally {
    await broker.close();
  }
}

/**
 * A dispatcher that died between the provider call and the record, and lane messages that were
 * lost, leave shippings that nothing would ever finish. The state is built exactly as the lane
 * leaves it at such a crash (claim queued → sending, in-flight mark, the provider call or not),
 * then a worker with the dispatch and scheduler roles starts and must finish every shipping with
 * exactly one send each.
 */
describe('shipping reconciler: stuck shippings after a crash are finished, never sent twice', () => {
  let system: TestSystem;
  before(async () => {
    system = await startSystem('reconciler', {
      workers: [['event-recorder', 'campaign-process', 'contact-prepare']],
      env: RECONCILER,
    });
  });
  after(() => system.stop());

  test('sent-but-unrecorded is recorded from the provider, unsent and lost ones go back to the lane', async () => {
    const seeded = await seedCompany(system, { pacing, contacts: CONTACTS });
    const campaignId = await createCampaign(system, seeded.key, {
      connectionId: seeded.connectionId,
      listId: seeded.listId,
    });
    await system.api('POST', `/v1/campaigns/${campaignId}/start`, undefined, seeded.key);

    // Every shipping prepared and in the lane; no dispatcher runs yet. Then the lane messages are lost.
    await loseLaneMessages(system, seeded.connectionId, CONTACTS);

    const { Shipping } = system.models;
    const [sentBeforeCrash, claimedBeforeCrash] = await Shipping.find({ campaignId })
      .sort({ plannedAt: 1 })
      .limit(2)
      .lean();
    const lanes = new LanePacing(new MongoLaneStore(system.models));
    const { gateway } = await createGatewayProvider(system.models, system.db).forConnection(seeded.connectionId);
    // Crash 1: claimed, marked in flight, accepted by the provider, never recorded.
    await Shipping.updateOne(
      { _id: sentBeforeCrash!._id },
      { $set: { status: 'sending', claimedAt: new Date() }, $inc: { attempts: 1 } },
    );
    await lanes.beginSend(seeded.connectionId, String(sentBeforeCrash!._id), Date.now());
    const firstReceipt = await gateway.send({
      idempotencyKey: String(sentBeforeCrash!._id),
      to: sentBeforeCrash!.phone,
      text: sentBeforeCrash!.text,
    });
    // Crash 2: claimed and marked in flight; the process died before the provider call.
    await Shipping.updateOne(
      { _id: claimedBeforeCrash!._id },
      { $set: { status: 'sending', claimedAt: new Date() }, $inc: { attempts: 1 } },
    );

    const startedAt = Date.now();
    await system.addWorker(['dispatch', 'scheduler']);
    const done = await waitForStatus(system, seeded.key, campaignId, 'completed', 60_000);
    const tookMs = Date.now() - startedAt;

    assert.equal(done.counters.sent, CONTACTS);
    const sends = await system.sandboxSends(seeded.connectionId);
    assert.equal(sends.length, CONTACTS, 'exactly one send per shipping (sandbox record)');
    const shippings = await Shipping.find({ campaignId }).lean();
    assert.deepEqual(
      new Set(sends.map((send) => send._id)),
      new Set(shippings.map((shipping) => String(shipping._id))),
    );
    assert.ok(shippings.every((shipping) => shipping.status === 'sent'));

    const recorded = shippings.find((shipping) => shipping._id.equals(sentBeforeCrash!._id))!;
    assert.equal(
      recorded.providerMessageId,
      firstReceipt.providerMessageId,
      'recorded from the provider, not sent again',
    );
    assert.equal(recorded.sentAt?.getTime(), firstReceipt.acceptedAt.getTime());
    assert.equal(recorded.attempts, 1, 'the lane never claimed it again');
    const resent = shippings.find((shipping) => shipping._id.equals(claimedBeforeCrash!._id))!;
    assert.ok(resent.reconciledAt, 'the unsent one went back to the lane through the reconciler');
    assert.equal(
      shippings.filter((shipping) => shipping.reconciledAt).length,
      CONTACTS - 1,
      'every lost one came back through the reconciler',
    );

    assert.deepEqual(
      sends.filter((send) => send.violation),
      [],
      'no pacing violation (sandbox judge)',
    );
    assert.deepEqual(
      findViolations(
        sends.map((send) => send.receivedAt.getTime()),
        { messageIntervalMs: 100, longerIntervalAfter: 10, greaterIntervalMs: 300 },
      ),
      [],
    );
    console.log(
      `# reconciler: ${CONTACTS} shippings (1 sent before the crash, 1 claimed, ${CONTACTS - 2} lost) finished in ${tookMs} ms; ${sends.length} sends, 0 violations`,
    );
  });
});

/**
 * The Cloud API cannot be asked whether a send went out. A shipping left in `sending` by a crash
 * on such a number fails with UNKNOWN_OUTCOME and is never sent again; its lost neighbours are.
 */
describe('shipping reconciler on a provider that cannot tell (Cloud API)', () => {
  let system: TestSystem;
  let provider: LocalCloudApi;
  before(async () => {
    system = await startSystem('reconciler-cloud', {
      workers: [['event-recorder', 'campaign-process', 'contact-prepare']],
      env: RECONCILER,
    });
  });
  after(async () => {
    await provider?.stop();
    await system.stop();
  });

  test('a send in flight at a crash fails as unknown, never re-sent; the lost queued ones are sent once', async () => {
    const settings = {
      phoneNumberId: '106540352299001',
      accessToken: 'EAAG-test-access-token-0001-abcd',
      appSecret: 'test-app-secret-9876',
    };
    provider = await new LocalCloudApi(settings).start();
    const company = await system.api('POST', '/v1/companies', { name: 'Loja Oficial', pacing }, ADMIN_KEY);
    const key = company.body.apiKey as string;
    const connection = await system.api(
      'POST',
      '/v1/connections',
      {
        name: 'Número oficial',
        gateway: 'cloud-api',
        cloudApi: { ...settings, apiVersion: 'v23.0', baseUrl: provider.url, verifyToken: 'verify-token-disparo' },
      },
      key,
    );
    assert.equal(connection.status, 201, JSON.stringify(connection.body));
    const list = await system.api('POST', '/v1/contact-lists', { name: 'Clientes' }, key);
    const phones = ['+5511970000101', '+5511970000102', '+5511970000103'];
    await system.api(
      'POST',
      `/v1/contact-lists/${list.body.id}/contacts`,
      { contacts: phones.map((phone, i) => ({ phone, name: `Cliente ${i}` })) },
      key,
    );
    const campaignId = await createCampaign(system, key, {
      connectionId: connection.body.id,
      listId: list.body.id,
      variants: ['Olá {name}!'],
    });
    await system.api('POST', `/v1/campaigns/${campaignId}/start`, undefined, key);
    await loseLaneMessages(system, connection.body.id, phones.length);

    const { Shipping } = system.models;
    const [inFlight] = await Shipping.find({ campaignId }).sort({ plannedAt: 1 }).limit(1).lean();
    await Shipping.updateOne(
      { _id: inFlight!._id },
      { $set: { status: 'sending', claimedAt: new Date() }, $inc: { attempts: 1 } },
    );

    await system.addWorker(['dispatch', 'scheduler']);
    const done = await waitForStatus(system, key, campaignId, 'completed', 60_000);
    assert.deepEqual([done.counters.sent, done.counters.failed], [2, 1]);
    const unknown = await Shipping.findById(inFlight!._id).lean();
    assert.equal(unknown?.status, 'failed');
    assert.match(unknown?.lastError ?? '', /^outcome unknown/);
    const sentTo = provider.sent.map((request) => `+${request.body.to}`).sort();
    assert.deepEqual(
      sentTo,
      phones.filter((phone) => phone !== inFlight!.phone).sort(),
      'the other two sent once each; the unknown one never again',
    );
    await waitUntil(
      'the MessageFailed event recorded',
      async () =>
        (await system.db
          .collection('events')
          .countDocuments({ type: 'MessageFailed', 'payload.code': 'UNKNOWN_OUTCOME' })) === 1,
      30_000,
    );
  });
});

/**
 * A campaign sending from several numbers: its lost lane messages are found on every number's lane,
 * not only on its first one (each lane is judged quiet on its own).
 */
describe('shipping reconciler on a campaign with several numbers', () => {
  let system: TestSystem;
  before(async () => {
    system = await startSystem('reconciler-multi', {
      workers: [['event-recorder', 'campaign-process', 'contact-prepare']],
      env: RECONCILER,
    });
  });
  after(() => system.stop());

  test('lane messages lost on both numbers: every shipping comes back and is sent once', async () => {
    const seeded = await seedCompany(system, { pacing, contacts: 6, connections: 2 });
    const campaignId = await createCampaign(system, seeded.key, {
      connectionIds: seeded.connections,
      listId: seeded.listId,
    });
    await system.api('POST', `/v1/campaigns/${campaignId}/start`, undefined, seeded.key);
    const { Shipping } = system.models;
    await waitUntil(
      'every shipping prepared',
      async () => (await Shipping.countDocuments({ campaignId })) === 6,
      30_000,
    );
    const perNumber = await Promise.all(
      seeded.connections.map((connectionId) => Shipping.countDocuments({ campaignId, connectionId })),
    );
    assert.ok(
      perNumber.every((count) => count > 0),
      `both numbers have shippings (${perNumber.join(', ')})`,
    );
    for (const [i, connectionId] of seeded.connections.entries())
      await loseLaneMessages(system, connectionId, perNumber[i]!);

    await system.addWorker(['dispatch', 'scheduler']);
    const done = await waitForStatus(system, seeded.key, campaignId, 'completed', 60_000);
    assert.equal(done.counters.sent, 6);
    for (const [i, connectionId] of seeded.connections.entries())
      assert.equal(
        (await system.sandboxSends(connectionId)).length,
        perNumber[i],
        'one send per shipping on each number',
      );
    assert.equal(
      await Shipping.countDocuments({ campaignId, reconciledAt: null }),
      0,
      'all came back through the reconciler',
    );
  });
});
