import assert from 'node:assert/strict';
import { beforeEach, describe, test } from 'node:test';
import { Types } from 'mongoose';
import { outcomeEventId, ShippingService } from '../../src/application/shippings/shipping-service';
import { newCorrelation } from '../../src/domain/events/envelope';
import {
  InMemoryCampaignCounters,
  InMemoryShippingRepository,
  ManualClock,
  RecordedEvents,
  RecordedLanes,
} from '../support/in-memory-shippings';

describe('shipping service', () => {
  let shippings: InMemoryShippingRepository;
  let counters: InMemoryCampaignCounters;
  let events: RecordedEvents;
  let lanes: RecordedLanes;
  let clock: ManualClock;
  let completions: string[];
  let service: ShippingService;
  const cause = newCorrelation(String(new Types.ObjectId()));
  const receipt = { providerMessageId: 'wamid.1', acceptedAt: new Date('2026-01-05T12:00:01Z') };

  beforeEach(() => {
    shippings = new InMemoryShippingRepository();
    counters = new InMemoryCampaignCounters();
    events = new RecordedEvents();
    lanes = new RecordedLanes();
    clock = new ManualClock();
    completions = [];
    service = new ShippingService({
      shippings,
      counters,
      events,
      lanes,
      completeIfDone: async (campaignId) => {
        completions.push(campaignId);
        return false;
      },
      now: clock.now,
    });
  });

  test('claim: queued → sending once, counting the attempt at the clock’s time', async () => {
    const shipping = shippings.add();
    const claimed = await service.claim(shipping._id, false);
    assert.equal(claimed?.status, 'sending');
    assert.equal(claimed?.attempts, 1);
    assert.equal(claimed?.claimedAt?.getTime(), clock.now());
    assert.equal(await service.claim(shipping._id, false), null, 'a duplicate delivery does not claim it again');
    assert.equal((await service.claim(shipping._id, true))?.attempts, 2, 'a deduplicating provider may resend');
  });

  test('markSent: sent once, counted once, the event once (the loser publishes nothing), completion checked', async () => {
    const shipping = shippings.add({ status: 'sending' });
    assert.equal(await service.markSent(shipping, receipt, cause), true);
    assert.equal(await service.markSent(shipping, receipt, cause), false, 'the reconciler loses the race');
    const stored = await shippings.findById(String(shipping._id));
    assert.equal(stored?.status, 'sent');
    assert.equal(stored?.providerMessageId, 'wamid.1');
    assert.equal(stored?.outbox, undefined, 'the confirmed event left the outbox');
    assert.equal(counters.of(shipping.campaignId).sent, 1);
    assert.equal(counters.activity.get(String(shipping.campaignId))?.getTime(), clock.now());
    assert.deepEqual(events.types(), ['MessageDispatched']);
    assert.equal(events.published[0]?.eventId, outcomeEventId('MessageDispatched', shipping._id));
    assert.deepEqual(completions, [String(shipping.campaignId), String(shipping.campaignId)]);
  });

  test('markSentMany: one shipping twice in a batch (two copies of its message both sent) is counted and announced once', async () => {
    const twice = shippings.add({ status: 'sending' });
    const once = shippings.add({ status: 'sending', campaignId: twice.campaignId });
    const second = { providerMessageId: 'wamid.2', acceptedAt: new Date('2026-01-05T12:00:02Z') };
    const moved = await service.markSentMany([
      { shipping: twice, receipt, cause },
      { shipping: once, receipt: second, cause },
      { shipping: twice, receipt, cause },
    ]);
    assert.deepEqual([...moved].sort(), [String(twice._id), String(once._id)].sort());
    assert.equal(counters.of(twice.campaignId).sent, 2, 'two shippings sent, two counted');
    assert.deepEqual(events.types(), ['MessageDispatched', 'MessageDispatched']);
  });

  test('an outcome event not confirmed stays in the outbox and goes out again as it was, counted once', async () => {
    const shipping = shippings.add({ status: 'sending' });
    events.failing = 1;
    await assert.rejects(service.markSent(shipping, receipt, cause), /not confirmed/);
    const stuck = await shippings.findById(String(shipping._id));
    assert.equal(stuck?.status, 'sent');
    assert.equal(stuck?.outbox?.type, 'MessageDispatched');
    assert.equal(stuck?.outboxAt?.getTime(), clock.now());
    assert.deepEqual(await service.withPendingOutbox(new Date(clock.now()), 10).then((all) => all.length), 1);
    clock.advance(5_000);
    assert.equal(await service.publishOutcome(stuck!), true);
    assert.equal(await service.publishOutcome(stuck!), true, 'a second copy (lane and reconciler) is the same event');
    assert.deepEqual(
      events.published.map((event) => event.eventId),
      [stuck?.outbox?.eventId, stuck?.outbox?.eventId],
      'one eventId, derived from the shipping',
    );
    assert.equal(stuck?.outbox?.eventId, outcomeEventId('MessageDispatched', shipping._id));
    assert.equal((await shippings.findById(String(shipping._id)))?.outbox, undefined);
    assert.equal(await service.publishOutcome((await shippings.findById(String(shipping._id)))!), false);
    assert.equal(counters.of(shipping.campaignId).sent, 1, 'the counter moved with the status, once');
    assert.deepEqual(completions, [String(shipping.campaignId), String(shipping.campaignId)]);
  });

  test('markFailed publishes MessageFailed through the outbox with its own stable id', async () => {
    const sending = shippings.add({ status: 'sending' });
    await service.markFailed(sending, { lastError: 'E: no', reason: 'no', code: 'E' }, cause);
    assert.deepEqual(events.types(), ['MessageFailed']);
    assert.equal(events.published[0]?.eventId, outcomeEventId('MessageFailed', sending._id));
    assert.notEqual(outcomeEventId('MessageFailed', sending._id), outcomeEventId('MessageDispatched', sending._id));
    assert.equal((await shippings.findById(String(sending._id)))?.outbox, undefined);
  });

  test('markFailed only from sending', async () => {
    const queued = shippings.add();
    const failure = { lastError: 'E: no', reason: 'no', code: 'E' };
    assert.equal(await service.markFailed(queued, failure, cause), false);
    assert.equal(shippings.status(queued._id), 'queued');
    const sending = shippings.add({ status: 'sending' });
    assert.equal(await service.markFailed(sending, failure, cause), true);
    assert.equal(shippings.status(sending._id), 'failed');
    assert.equal(counters.of(sending.campaignId).failed, 1);
  });

  test('park, then replan hands it to its lane at the new time', async () => {
    const shipping = shippings.add();
    assert.equal(await service.park(shipping._id), true);
    assert.equal(shippings.status(shipping._id), 'paused');
    const plannedAt = new Date(clock.now() + 5_000);
    assert.equal(await service.replan(shipping, plannedAt, cause), true);
    assert.equal(await service.replan(shipping, plannedAt, cause), false, 'replanned once');
    assert.equal(shippings.status(shipping._id), 'queued');
    assert.equal(lanes.handedOver.length, 1);
    assert.equal(lanes.handedOver[0]?.plannedAt.getTime(), plannedAt.getTime());
  });

  test('cancel never touches a send in flight; a campaign’s cancel counts what it stopped', async () => {
    const campaignId = new Types.ObjectId();
    const sending = shippings.add({ campaignId, status: 'sending' });
    assert.equal(await service.cancel(sending), false);
    shippings.add({ campaignId });
    shippings.add({ campaignId, status: 'paused' });
    shippings.add({ campaignId, status: 'sent' });
    assert.equal(await service.cancelCampaign(campaignId), 2);
    assert.equal(counters.of(campaignId).cancelled, 2);
    assert.equal(shippings.status(sending._id), 'sending');
  });

  test('a cancellation is marked count-pending with its status, and the mark goes once it is counted', async () => {
    const campaignId = new Types.ObjectId();
    const pendingMarks = () => [...shippings.byId.values()].filter((shipping) => shipping.countPendingAt).length;
    const one = shippings.add({ campaignId });
    const claimed = shippings.add({ campaignId, status: 'sending' });
    shippings.add({ campaignId, status: 'paused' });
    const count = counters.count.bind(counters);
    const marksWhenCounted: number[] = [];
    counters.count = async (...args) => {
      marksWhenCounted.push(pendingMarks());
      return count(...args);
    };
    assert.equal(await service.cancel(one, 'list changed'), true);
    assert.equal(await service.withdraw(claimed, 'opted out'), true);
    assert.equal(await service.cancelCampaign(campaignId), 1);
    assert.deepEqual(marksWhenCounted, [1, 1, 1], 'each change was marked while its count was on its way');
    assert.equal(pendingMarks(), 0, 'and unmarked once counted');
    assert.equal(counters.of(campaignId).cancelled, 3);

    // A count that fails leaves the mark: the recount waits out the quiet period, then counts it.
    counters.count = async () => {
      throw new Error('database gone');
    };
    const another = shippings.add({ campaignId });
    await assert.rejects(service.cancel(another), /database gone/);
    assert.equal((await shippings.findById(String(another._id)))?.countPendingAt?.getTime(), clock.now());
  });

  test('a deleted contact’s pending shippings are cancelled with the reason, per campaign', async () => {
    const contactId = new Types.ObjectId();
    const a = shippings.add({ contactId });
    shippings.add({ contactId, status: 'sent' });
    const result = await service.cancelOfContact(contactId, 'contact deleted');
    assert.deepEqual(result, { campaignIds: [String(a.campaignId)], count: 1 });
    assert.equal((await shippings.findById(String(a._id)))?.lastError, 'contact deleted');
  });

  test('requeue: from the status the reconciler saw, marked reconciled, into the lane now', async () => {
    const shipping = shippings.add({ status: 'sending' });
    assert.equal(await service.requeue(shipping, 'queued', cause), false, 'it moved on since');
    assert.equal(await service.requeue(shipping, 'sending', cause), true);
    const stored = await shippings.findById(String(shipping._id));
    assert.equal(stored?.status, 'queued');
    assert.equal(stored?.reconciledAt?.getTime(), clock.now());
    assert.equal(lanes.handedOver[0]?.plannedAt.getTime(), clock.now());
    await assert.rejects(service.requeue(shipping, 'sent', cause), /cannot be requeued/);
  });

  test('create: a batch prepared again creates nothing twice and returns what still waits', async () => {
    const campaignId = new Types.ObjectId();
    const first = shippings.add({ campaignId });
    const again = { ...first, _id: new Types.ObjectId() };
    const fresh = shippings.add({ campaignId });
    shippings.byId.delete(String(fresh._id));
    const result = await service.create(campaignId, [first.contactId, fresh.contactId], [again, fresh]);
    assert.equal(result.created, 1);
    assert.deepEqual(
      result.ready.map((shipping) => String(shipping._id)).sort(),
      [String(first._id), String(fresh._id)].sort(),
    );
  });

  test('release: a send to try again goes back to queued with its error', async () => {
    const shipping = shippings.add({ status: 'sending' });
    assert.equal(await service.release(shipping._id, 'RATE: later'), true);
    const stored = await shippings.findById(String(shipping._id));
    assert.equal(stored?.status, 'queued');
    assert.equal(stored?.lastError, 'RATE: later');
  });

  describe('delivery reports', () => {
    const at = (second: number) => new Date(Date.UTC(2026, 0, 5, 12, 1, second));
    const sentShipping = () =>
      shippings.add({ status: 'sent', providerMessageId: `wamid.${new Types.ObjectId()}`, deliveryRank: 1 });
    const report = (
      shipping: { providerMessageId: string | null },
      status: 'sent' | 'failed' | 'delivered' | 'read',
      second = 0,
    ) => ({
      providerMessageId: shipping.providerMessageId!,
      status,
      at: at(second),
    });

    test('delivered then read: each counted once, a replay and a late sent change nothing', async () => {
      const shipping = sentShipping();
      const connectionId = String(shipping.connectionId);
      assert.equal(await service.recordDelivery(connectionId, report(shipping, 'delivered', 2)), 'applied');
      assert.equal(await service.recordDelivery(connectionId, report(shipping, 'read', 3)), 'applied');
      assert.equal(await service.recordDelivery(connectionId, report(shipping, 'read', 3)), 'stale');
      assert.equal(await service.recordDelivery(connectionId, report(shipping, 'sent', 1)), 'stale');
      const stored = await shippings.findById(String(shipping._id));
      assert.equal(stored?.deliveryStatus, 'read');
      assert.equal(stored?.deliveredAt?.getTime(), at(2).getTime());
      assert.equal(stored?.readAt?.getTime(), at(3).getTime());
      assert.deepEqual(counters.deliveriesOf(shipping.campaignId), { delivered: 1, read: 1, undelivered: 0 });
    });

    test('read before delivered: read implies delivered; the later delivered keeps the earliest time', async () => {
      const shipping = sentShipping();
      const connectionId = String(shipping.connectionId);
      assert.equal(await service.recordDelivery(connectionId, report(shipping, 'read', 5)), 'applied');
      assert.equal(await service.recordDelivery(connectionId, report(shipping, 'delivered', 4)), 'stale');
      const stored = await shippings.findById(String(shipping._id));
      assert.equal(stored?.deliveredAt?.getTime(), at(4).getTime(), 'the earliest report wins');
      assert.equal(stored?.readAt?.getTime(), at(5).getTime());
      assert.deepEqual(counters.deliveriesOf(shipping.campaignId), { delivered: 1, read: 1, undelivered: 0 });
    });

    test('failed keeps its reason and counts undelivered, until evidence of delivery takes it back', async () => {
      const shipping = sentShipping();
      const connectionId = String(shipping.connectionId);
      const failed = { ...report(shipping, 'failed'), reason: '131026: undeliverable' };
      assert.equal(await service.recordDelivery(connectionId, failed), 'applied');
      assert.equal((await shippings.findById(String(shipping._id)))?.failedReason, '131026: undeliverable');
      assert.deepEqual(counters.deliveriesOf(shipping.campaignId), { delivered: 0, read: 0, undelivered: 1 });
      assert.equal(await service.recordDelivery(connectionId, report(shipping, 'delivered', 9)), 'applied');
      assert.deepEqual(counters.deliveriesOf(shipping.campaignId), { delivered: 1, read: 0, undelivered: 0 });
    });

    test('unknown message id, or the same id on another number: unknown, nothing counted', async () => {
      const shipping = sentShipping();
      assert.equal(
        await service.recordDelivery(
          String(shipping.connectionId),
          report({ providerMessageId: 'wamid.nope' }, 'read'),
        ),
        'unknown',
      );
      assert.equal(await service.recordDelivery(String(new Types.ObjectId()), report(shipping, 'read')), 'unknown');
      assert.equal(counters.deliveries.size, 0);
    });
  });
});
