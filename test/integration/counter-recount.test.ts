import assert from 'node:assert/strict';
import { after, before, describe, test } from 'node:test';
import mongoose, { Types } from 'mongoose';
import type { CampaignCounterStore } from '../../src/application/shippings/shipping-repository';
import { ShippingService } from '../../src/application/shippings/shipping-service';
import { newCorrelation } from '../../src/domain/events/envelope';
import { MongoCampaignRepository, MongoCampaignShippings } from '../../src/infrastructure/mongo/campaign-store';
import { type Models, modelsOf } from '../../src/infrastructure/mongo/models';
import { newShipping } from '../../src/infrastructure/mongo/models/shipping';
import { MongoCampaignCounters, MongoShippingRepository } from '../../src/infrastructure/mongo/shipping-store';
import { RecordedEvents, RecordedLanes } from '../support/in-memory-shippings';
import { testMongoUrl } from '../support/infrastructure';

/**
 * What the counters' recount relies on, on the wire server: every change that moves a campaign
 * counter is marked with its status in one write (sent and failed by their outbox, a cancellation by
 * its count-pending mark) until its count landed, and the recount's write is a compare-and-set on
 * the counters it read (CampaignService.recountQuiet). Completion also asks whether any shipping is
 * still unfinished, whatever the counters say.
 */
describe('counters: the marks a recount waits for, its compare-and-set, and what completion checks', () => {
  let db: mongoose.Connection;
  let models: Models;
  before(async () => {
    db = await mongoose.createConnection(testMongoUrl('counter-recount')).asPromise();
    models = modelsOf(db);
  });
  after(async () => {
    await db.dropDatabase().catch(() => undefined);
    await db.close();
  });

  const seed = async (statuses: Array<'queued' | 'sending'>) => {
    const campaign = await models.Campaign.create({
      companyId: new Types.ObjectId(),
      name: 'Promo',
      connectionId: new Types.ObjectId(),
      listId: new Types.ObjectId(),
      status: 'running',
      processingDone: true,
      counters: { prepared: statuses.length },
    });
    const shippings = statuses.map((status) => ({
      ...newShipping(
        {
          companyId: campaign.companyId,
          campaignId: campaign._id,
          contactId: new Types.ObjectId(),
          connectionId: campaign.connectionId,
          phone: '+5511999990000',
          text: 'Olá',
          variant: 0,
          mediaUrl: null,
          plannedAt: new Date(),
        },
        new Date(),
      ),
      status,
    }));
    await models.Shipping.insertMany(shippings);
    return { campaignId: campaign._id, shippings };
  };

  test('a change is marked until its count landed; a mark older than the quiet period is not waited for', async () => {
    const { campaignId, shippings } = await seed(['sending', 'sending', 'queued', 'queued']);
    const view = new MongoCampaignShippings(models);
    const longAgo = new Date(0);
    const counters = new MongoCampaignCounters(models);
    const marked: boolean[] = [];
    const watching: CampaignCounterStore = {
      count: async (...args) => {
        marked.push(await view.hasUncountedSince(campaignId, longAgo));
        return counters.count(...args);
      },
      countDelivery: (...args) => counters.countDelivery(...args),
    };
    const service = new ShippingService({
      shippings: new MongoShippingRepository(models),
      counters: watching,
      events: new RecordedEvents(),
      lanes: new RecordedLanes(),
      completeIfDone: async () => false,
      now: () => Date.now(),
    });
    const cause = newCorrelation(String(new Types.ObjectId()));
    const receipt = { providerMessageId: 'wamid.1', acceptedAt: new Date() };
    assert.equal(await view.hasUncountedSince(campaignId, longAgo), false);
    assert.equal(await view.hasUnfinished(campaignId), true);

    assert.equal(await service.markSent(shippings[0]!, receipt, cause), true);
    assert.deepEqual(
      await service.markSentMany([{ shipping: shippings[1]!, receipt, cause }]),
      new Set([String(shippings[1]!._id)]),
    );
    assert.equal(await service.cancel(shippings[2]!, 'list changed'), true);
    assert.equal(await service.cancelCampaign(campaignId), 1);
    assert.deepEqual(marked, [true, true, true, true], 'marked while each count was on its way');
    assert.equal(await view.hasUncountedSince(campaignId, longAgo), false, 'unmarked once counted');
    assert.equal(await view.hasUnfinished(campaignId), false, 'every shipping sent or cancelled');
    const campaign = await models.Campaign.findById(campaignId).lean();
    assert.deepEqual(
      { sent: campaign?.counters.sent, cancelled: campaign?.counters.cancelled },
      { sent: 2, cancelled: 2 },
    );

    // A mark a crash left behind: recent, it is waited for; older than the quiet period, it is not.
    const stuck = new Date(Date.now() - 5_000);
    await models.Shipping.updateOne({ _id: shippings[2]!._id }, { $set: { countPendingAt: stuck } });
    assert.equal(await view.hasUncountedSince(campaignId, new Date(stuck.getTime() - 1)), true);
    assert.equal(await view.hasUncountedSince(campaignId, stuck), false);
    await models.Shipping.updateOne({ _id: shippings[0]!._id }, { $set: { outboxAt: stuck } });
    await models.Shipping.updateOne({ _id: shippings[2]!._id }, { $unset: { countPendingAt: 1 } });
    assert.equal(await view.hasUncountedSince(campaignId, new Date(stuck.getTime() - 1)), true);
    assert.equal(await view.hasUncountedSince(campaignId, stuck), false);
  });

  test('the recount is written only over the counters it read', async () => {
    const { campaignId } = await seed(['queued', 'queued']);
    const campaigns = new MongoCampaignRepository(models);
    const read = { prepared: 2, sent: 0, failed: 0, cancelled: 0 };
    const recounted = { prepared: 2, sent: 1, failed: 0, cancelled: 0 };
    // A count landed after the read: the recount is stale and writes nothing.
    await new MongoCampaignCounters(models).count(campaignId, 'sent', 1, new Date());
    assert.equal(await campaigns.setCounters(campaignId, { ...recounted, sent: 0 }, new Date(), read), false);
    assert.equal((await models.Campaign.findById(campaignId).lean())?.counters.sent, 1);
    assert.equal(await campaigns.setCounters(campaignId, recounted, new Date(), { ...read, sent: 1 }), true);

    // A campaign stored before a counter existed matches a read that did not find it.
    await models.Campaign.updateOne({ _id: campaignId }, { $unset: { 'counters.cancelled': 1 } });
    const [quiet] = (await campaigns.quietRunning(new Date(Date.now() + 60_000), 50)).filter((each) =>
      each._id.equals(campaignId),
    );
    assert.ok(quiet, 'the campaign is quiet');
    const { prepared, sent, failed, cancelled } = quiet.counters;
    assert.equal(
      await campaigns.setCounters(campaignId, { ...recounted, cancelled: 0 }, new Date(), {
        prepared,
        sent,
        failed,
        cancelled,
      }),
      true,
    );
    assert.equal((await models.Campaign.findById(campaignId).lean())?.counters.cancelled, 0);
  });
});
