import assert from 'node:assert/strict';
import { after, before, describe, test } from 'node:test';
import amqplib from 'amqplib';
import { findViolations } from '../../src/domain/pacing/pacing-rule';
import { createGatewayProvider } from '../../src/infrastructure/gateways/gateway-provider';
import { LaneRepository } from '../../src/infrastructure/mongo/lane-repository';
import { queues } from '../../src/topology';
import { createCampaign, seedCompany, startSystem, type TestSystem, waitForStatus, waitUntil } from '../support/system';

const pacing = { messageInterval: 0.1, longerIntervalAfter: 10, greaterInterval: 0.3 };
const CONTACTS = 8;

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
      env: { RECONCILE_EVERY_MS: '500', RECONCILE_STUCK_AFTER_MS: '4000', RECONCILE_BATCH: '3' },
    });
  });
  after(() => system.stop());

  test('sent-but-unrecorded is recorded from the provider, unsent and lost ones go back to the lane', async () => {
    const seeded = await seedCompany(system, { pacing, contacts: CONTACTS });
    const campaignId = await createCampaign(system, seeded.key, { connectionId: seeded.connectionId, listId: seeded.listId });
    await system.api('POST', `/v1/campaigns/${campaignId}/start`, undefined, seeded.key);

    // Every shipping prepared and in the lane; no dispatcher runs yet. Then the lane messages are lost.
    const lane = queues('disparo').lane(seeded.connectionId);
    const broker = await amqplib.connect(system.env.RABBITMQ_URL!);
    const channel = await broker.createChannel();
    await waitUntil('every shipping in the lane', async () => (await channel.checkQueue(lane)).messageCount === CONTACTS, 30_000);
    await channel.purgeQueue(lane);
    await broker.close();

    const { Shipping } = system.models;
    const [sentBeforeCrash, claimedBeforeCrash] = await Shipping.find({ campaignId }).sort({ plannedAt: 1 }).limit(2).lean();
    const lanes = new LaneRepository(system.models);
    const { gateway } = await createGatewayProvider(system.models, system.db).forConnection(seeded.connectionId);
    // Crash 1: claimed, marked in flight, accepted by the provider, never recorded.
    await Shipping.updateOne({ _id: sentBeforeCrash!._id }, { $set: { status: 'sending', claimedAt: new Date() }, $inc: { attempts: 1 } });
    await lanes.beginSend(seeded.connectionId, String(sentBeforeCrash!._id), Date.now());
    const firstReceipt = await gateway.send({ idempotencyKey: String(sentBeforeCrash!._id), to: sentBeforeCrash!.phone, text: sentBeforeCrash!.text });
    // Crash 2: claimed and marked in flight; the process died before the provider call.
    await Shipping.updateOne({ _id: claimedBeforeCrash!._id }, { $set: { status: 'sending', claimedAt: new Date() }, $inc: { attempts: 1 } });

    const startedAt = Date.now();
    await system.addWorker(['dispatch', 'scheduler']);
    const done = await waitForStatus(system, seeded.key, campaignId, 'completed', 60_000);
    const tookMs = Date.now() - startedAt;

    assert.equal(done.counters.sent, CONTACTS);
    const sends = await system.sandboxSends(seeded.connectionId);
    assert.equal(sends.length, CONTACTS, 'exactly one send per shipping (sandbox record)');
    const shippings = await Shipping.find({ campaignId }).lean();
    assert.deepEqual(new Set(sends.map((send) => send._id)), new Set(shippings.map((shipping) => String(shipping._id))));
    assert.ok(shippings.every((shipping) => shipping.status === 'sent'));

    const recorded = shippings.find((shipping) => shipping._id.equals(sentBeforeCrash!._id))!;
    assert.equal(recorded.providerMessageId, firstReceipt.providerMessageId, 'recorded from the provider, not sent again');
    assert.equal(recorded.sentAt?.getTime(), firstReceipt.acceptedAt.getTime());
    assert.equal(recorded.attempts, 1, 'the lane never claimed it again');
    const resent = shippings.find((shipping) => shipping._id.equals(claimedBeforeCrash!._id))!;
    assert.ok(resent.reconciledAt, 'the unsent one went back to the lane through the reconciler');
    assert.equal(shippings.filter((shipping) => shipping.reconciledAt).length, CONTACTS - 1, 'every lost one came back through the reconciler');

    assert.deepEqual(sends.filter((send) => send.violation), [], 'no pacing violation (sandbox judge)');
    assert.deepEqual(findViolations(sends.map((send) => send.receivedAt.getTime()), { messageIntervalMs: 100, longerIntervalAfter: 10, greaterIntervalMs: 300 }), []);
    console.log(`# reconciler: ${CONTACTS} shippings (1 sent before the crash, 1 claimed, ${CONTACTS - 2} lost) finished in ${tookMs} ms; ${sends.length} sends, 0 violations`);
  });
});
