import assert from 'node:assert/strict';
import { beforeEach, describe, test } from 'node:test';
import { Types } from 'mongoose';
import {
  CampaignService,
  DUE_WINDOW_MS,
  isCampaignDone,
  STUCK_AFTER_MS,
} from '../../src/application/campaigns/campaign-service';
import { isAppError } from '../../src/domain/errors';
import { type Cause, newCorrelation } from '../../src/domain/events/envelope';
import type { CampaignTemplate } from '../../src/domain/whatsapp/templates';
import { createLogger } from '../../src/infrastructure/observability/logger';
import {
  FixedPacing,
  InMemoryAudience,
  InMemoryCampaignRepository,
  InMemoryCampaignShippings,
  InMemoryLanes,
  InMemoryNumbers,
  InMemorySuppressions,
  RecordedCommands,
} from '../support/in-memory-campaigns';
import { ManualClock, RecordedEvents } from '../support/in-memory-shippings';

const pacing = { messageIntervalMs: 1_000, longerIntervalAfter: 3, greaterIntervalMs: 5_000 };
const HOUR = 60 * 60_000;

describe('campaign service', () => {
  let clock: ManualClock;
  let campaigns: InMemoryCampaignRepository;
  let audience: InMemoryAudience;
  let shippings: InMemoryCampaignShippings;
  let lanes: InMemoryLanes;
  let suppressions: InMemorySuppressions;
  let commands: RecordedCommands;
  let events: RecordedEvents;
  let service: CampaignService;
  let companyId: Types.ObjectId;
  let cause: Cause;

  const rejectsWith = (code: string) => (error: unknown) => isAppError(error, code as 'conflict');

  beforeEach(() => {
    clock = new ManualClock();
    campaigns = new InMemoryCampaignRepository(clock.now);
    audience = new InMemoryAudience();
    shippings = new InMemoryCampaignShippings();
    lanes = new InMemoryLanes();
    suppressions = new InMemorySuppressions();
    commands = new RecordedCommands();
    events = new RecordedEvents();
    service = new CampaignService({
      campaigns,
      audience,
      shippings,
      shippingChanges: shippings,
      companies: new FixedPacing(pacing),
      suppressions,
      lanes,
      numbers: new InMemoryNumbers(),
      commands,
      events,
      logger: createLogger({ level: 'error', service: 'test', silent: true }),
      now: clock.now,
    });
    companyId = new Types.ObjectId();
    cause = newCorrelation(String(companyId));
  });

  const fields = () => ({
    name: 'Launch',
    connectionId: String(new Types.ObjectId()),
    listId: String(new Types.ObjectId()),
    variants: ['Oi {name}'],
    mediaUrl: null,
    pacing: null,
  });

  test('create: a draft; with a time inside the window it is scheduled and queued at once', async () => {
    const draft = await service.create(cause, fields());
    assert.equal(draft.status, 'draft');
    assert.equal(String(draft.companyId), String(companyId));

    const soon = new Date(clock.now() + 10 * 60_000);
    const queued = await service.create(cause, fields(), soon);
    assert.equal(queued.status, 'queued');
    assert.equal(queued.queuedAt?.getTime(), clock.now());
    assert.equal(queued.correlationId, cause.correlationId);
    assert.deepEqual(
      commands.due.map((due) => [due.campaignId, due.scheduledAt.getTime()]),
      [[String(queued._id), soon.getTime()]],
    );
    assert.deepEqual(events.types(), ['CampaignScheduled']);
  });

  test('schedule: a time beyond the window stays scheduled until the check finds it due', async () => {
    const draft = campaigns.add({ companyId });
    const later = new Date(clock.now() + 3 * HOUR);
    await service.schedule(cause, String(draft._id), later);
    assert.equal(campaigns.get(draft._id)?.status, 'scheduled');
    assert.equal(commands.due.length, 0);

    assert.deepEqual(await service.checkScheduled(), { queued: 0, resent: 0 });
    clock.advance(3 * HOUR - DUE_WINDOW_MS);
    assert.deepEqual(await service.checkScheduled(), { queued: 1, resent: 0 });
    assert.deepEqual(await service.checkScheduled(), { queued: 0, resent: 0 }, 'claimed once');
    assert.equal(campaigns.get(draft._id)?.status, 'queued');
    assert.equal(commands.due.length, 1);
  });

  test('queueing gives the claim back when CampaignDue cannot be sent', async () => {
    const draft = campaigns.add({ companyId });
    commands.failDue = true;
    await assert.rejects(service.start(cause, String(draft._id)), /broker unavailable/);
    assert.equal(campaigns.get(draft._id)?.status, 'scheduled');
    assert.equal(campaigns.get(draft._id)?.queuedAt, null);
    assert.equal(await service.queueIfDue(String(draft._id)), true, 'the next check queues it');
  });

  test('the check re-sends CampaignDue of a campaign stuck in queued, once per stuck period', async () => {
    const scheduledAt = new Date(clock.now() - STUCK_AFTER_MS - 1);
    const stuck = campaigns.add({ companyId, status: 'queued', scheduledAt, queuedAt: scheduledAt });
    assert.deepEqual(await service.checkScheduled(), { queued: 0, resent: 1 });
    assert.equal(commands.due[0]?.campaignId, String(stuck._id));
    assert.equal(campaigns.get(stuck._id)?.queuedAt?.getTime(), clock.now());
    assert.deepEqual(await service.checkScheduled(), { queued: 0, resent: 0 });
  });

  test('update: only drafts and scheduled campaigns change; the company is checked', async () => {
    const draft = campaigns.add({ companyId });
    const listId = String(new Types.ObjectId());
    await service.update(cause, String(draft._id), { name: 'Renamed', listId, mediaUrl: undefined });
    assert.equal(campaigns.get(draft._id)?.name, 'Renamed');
    assert.equal(String(campaigns.get(draft._id)?.listId), listId);

    const running = campaigns.add({ companyId, status: 'running' });
    await assert.rejects(service.update(cause, String(running._id), { name: 'x' }), rejectsWith('conflict'));
    const other = campaigns.add();
    await assert.rejects(service.update(cause, String(other._id), { name: 'x' }), rejectsWith('not-found'));
    assert.equal(campaigns.get(other._id)?.name, 'Campaign', 'another company’s campaign is untouched');
  });

  test('start: scheduled now and queued at once', async () => {
    const draft = campaigns.add({ companyId });
    await service.start(cause, String(draft._id));
    const stored = campaigns.get(draft._id)!;
    assert.equal(stored.status, 'queued');
    assert.equal(stored.scheduledAt?.getTime(), clock.now());
    await assert.rejects(service.start(cause, String(draft._id)), rejectsWith('conflict'));
  });

  test('pause, then resume before processing: back to scheduled, queued again', async () => {
    const draft = campaigns.add({ companyId });
    await service.start(cause, String(draft._id));
    await service.pause(cause, String(draft._id));
    assert.equal(campaigns.get(draft._id)?.status, 'paused');
    await assert.rejects(service.pause(cause, String(draft._id)), rejectsWith('conflict'));
    await service.resume(cause, String(draft._id));
    assert.equal(campaigns.get(draft._id)?.status, 'queued');
    assert.deepEqual(events.types(), ['CampaignScheduled', 'CampaignPaused', 'CampaignResumed', 'CampaignScheduled']);
  });

  test('pause with a reason: the reason and the auto-pause mark are set in the same write, resume clears both', async () => {
    const campaign = campaigns.add({ companyId, status: 'running' });
    const autoPaused = { reason: '10 failures in a row', at: new Date(clock.now()) };
    await service.pause(cause, String(campaign._id), 'template paused by the provider', autoPaused);
    const paused = campaigns.get(campaign._id)!;
    assert.deepEqual(
      [paused.status, paused.pausedReason, paused.autoPaused],
      ['paused', 'template paused by the provider', autoPaused],
    );
    assert.deepEqual(events.published.at(-1)?.payload, {
      campaignId: String(campaign._id),
      reason: 'template paused by the provider',
    });
    await service.resume(cause, String(campaign._id));
    const resumed = campaigns.get(campaign._id)!;
    assert.deepEqual([resumed.pausedReason, resumed.autoPaused], [null, null]);
  });

  test('resume a running campaign: parked shippings get new times after the lane’s plan, sent ones stay', async () => {
    const plan = { startAt: clock.now(), initial: { lastSentAt: null, runLength: 0 }, settings: pacing, audience: 5 };
    const campaign = campaigns.add({ companyId, status: 'paused', plan, processingDone: true });
    shippings.add(campaign._id, 'sent', 2);
    shippings.add(campaign._id, 'paused', 3, campaign.connectionId);
    clock.advance(60_000);
    await service.resume(cause, String(campaign._id));
    assert.equal(campaigns.get(campaign._id)?.status, 'running');
    assert.deepEqual(shippings.statuses(campaign._id).sort(), ['queued', 'queued', 'queued', 'sent', 'sent']);
    const times = shippings.replanned.map((r) => r.plannedAt.getTime());
    assert.deepEqual(times, [clock.now(), clock.now() + 1_000, clock.now() + 2_000], 'paced from now');
    assert.equal(campaigns.get(campaign._id)?.plannedUntil?.getTime(), times.at(-1));
    assert.ok(lanes.declared.has(String(campaign.connectionId)));
  });

  test('cancel: shippings not yet sent are cancelled; a finished campaign cannot be cancelled', async () => {
    const campaign = campaigns.add({ companyId, status: 'running' });
    shippings.add(campaign._id, 'sent');
    shippings.add(campaign._id, 'queued', 2);
    await service.cancel(cause, String(campaign._id));
    assert.equal(campaigns.get(campaign._id)?.status, 'cancelled');
    assert.equal(campaigns.get(campaign._id)?.completedAt?.getTime(), clock.now());
    assert.deepEqual(shippings.statuses(campaign._id), ['sent', 'cancelled', 'cancelled']);
    await assert.rejects(service.cancel(cause, String(campaign._id)), rejectsWith('conflict'));
    assert.deepEqual(events.types(), ['CampaignCancelled']);
  });

  test('refreshTemplate: kept before a start or resume only, and only for the company', async () => {
    const template = {
      name: 'welcome',
      language: 'pt_BR',
      components: { body: ['{name}'] },
      category: 'MARKETING',
      shape: { header: null, body: 1, buttons: [] },
    } as unknown as CampaignTemplate;
    const paused = campaigns.add({ companyId, status: 'paused' });
    const running = campaigns.add({ companyId, status: 'running' });
    assert.equal(await service.refreshTemplate(String(companyId), String(paused._id), template), true);
    assert.deepEqual(campaigns.get(paused._id)?.template, template);
    assert.equal(await service.refreshTemplate(String(companyId), String(running._id), template), false);
    assert.equal(campaigns.get(running._id)?.template, undefined);
    const other = String(new Types.ObjectId());
    assert.equal(await service.refreshTemplate(other, String(paused._id), template), false);
  });

  test('delete: drafts only', async () => {
    const draft = campaigns.add({ companyId });
    const scheduled = campaigns.add({ companyId, status: 'scheduled' });
    await service.deleteDraft(cause, String(draft._id));
    assert.equal(campaigns.get(draft._id), undefined);
    await assert.rejects(service.deleteDraft(cause, String(scheduled._id)), rejectsWith('conflict'));
    await assert.rejects(service.deleteDraft(cause, String(draft._id)), rejectsWith('not-found'));
  });

  test('process: runs once, fixes the plan once, plans the eligible audience in batches, counts the skipped', async () => {
    const campaign = campaigns.add({ companyId, status: 'queued', scheduledAt: new Date(clock.now()) });
    audience.add(campaign.listId, 4);
    audience.add(campaign.listId, 1, { valid: false });
    audience.add(campaign.listId, 1, { onWhatsApp: false });
    assert.equal(await service.process(String(campaign._id), cause), true);
    const stored = campaigns.get(campaign._id)!;
    assert.equal(stored.status, 'running');
    assert.equal(stored.startedAt?.getTime(), clock.now());
    assert.equal(stored.processingDone, true);
    assert.deepEqual([stored.counters.audience, stored.counters.skipped], [4, 2]);
    const planned = commands.batches.flatMap((batch) => batch.items.map((item) => item.plannedAt));
    assert.deepEqual(
      planned,
      [0, 1_000, 2_000, 7_000].map((ms) => clock.now() + ms),
      'the pacing rule, from now',
    );
    assert.equal(stored.plannedUntil?.getTime(), planned.at(-1));
    assert.deepEqual(events.types(), ['CampaignStarted']);

    // A redelivered CampaignDue re-plans the same times on the same plan (the lane is not reserved twice).
    clock.advance(5_000);
    assert.equal(await service.process(String(campaign._id), cause), true);
    const again = commands.batches.slice(1).flatMap((batch) => batch.items.map((item) => item.plannedAt));
    assert.deepEqual(again, planned);
    assert.equal(campaigns.get(campaign._id)?.counters.missing, 0, 'processing is marked done once');
  });

  test('process before the scheduled time (CampaignDue arrives a little early): the plan starts at the time', async () => {
    const scheduledAt = clock.now() + 400;
    const campaign = campaigns.add({ companyId, status: 'queued', scheduledAt: new Date(scheduledAt) });
    audience.add(campaign.listId, 2);
    assert.equal(await service.process(String(campaign._id), cause), true);
    const planned = commands.batches.flatMap((batch) => batch.items.map((item) => item.plannedAt));
    assert.deepEqual(planned, [scheduledAt, scheduledAt + 1_000], 'the first send at the scheduled time, not before');
    assert.equal(campaigns.get(campaign._id)?.plan?.startAt, scheduledAt);
  });

  test('process: suppressed phones are not planned, counted as suppressed, and the campaign can still complete', async () => {
    const campaign = campaigns.add({ companyId, status: 'queued', scheduledAt: new Date(clock.now()) });
    audience.add(campaign.listId, 3);
    suppressions.suppress(companyId, audience.members[1]!.phone);
    assert.equal(await service.process(String(campaign._id), cause), true);
    const stored = campaigns.get(campaign._id)!;
    assert.deepEqual(
      [stored.counters.audience, stored.counters.suppressed, stored.counters.missing],
      [3, 1, 0],
      'missing = audience − planned − suppressed',
    );
    const contacts = commands.batches.flatMap((batch) => batch.items.map((item) => item.contact?.phone));
    assert.deepEqual(contacts, [audience.members[0]!.phone, audience.members[2]!.phone]);
    assert.equal(isCampaignDone(true, { ...stored.counters, prepared: 2, sent: 2 }), true);
    assert.equal(isCampaignDone(true, { ...stored.counters, prepared: 2, sent: 2, suppressed: 0 }), false);
  });

  test('process: a paused or cancelled campaign is not processed', async () => {
    const paused = campaigns.add({ companyId, status: 'paused' });
    assert.equal(await service.process(String(paused._id), cause), false);
    assert.equal(commands.batches.length, 0);
    await assert.rejects(service.process(String(new Types.ObjectId()), cause), /does not exist/);
  });

  test('complete: once every planned contact’s shipping ended, exactly once', async () => {
    const counters = { audience: 3, prepared: 3, sent: 2, failed: 0, cancelled: 0, skipped: 0, missing: 0 };
    const campaign = campaigns.add({ companyId, status: 'running', processingDone: true, counters });
    assert.equal(await service.completeIfDone(String(campaign._id), cause), false, 'a send in flight');
    campaigns.get(campaign._id)!.counters.failed = 1;
    assert.equal(await service.completeIfDone(String(campaign._id), cause), true);
    assert.equal(await service.completeIfDone(String(campaign._id), cause), false);
    assert.equal(campaigns.get(campaign._id)?.status, 'completed');
    assert.deepEqual(
      events.published.map((e) => [e.type, e.payload]),
      [
        [
          'CampaignCompleted',
          { campaignId: String(campaign._id), counters: { sent: 2, failed: 1, cancelled: 0, skipped: 0 } },
        ],
      ],
    );
  });

  test('complete: never while a shipping is still unfinished, whatever the counters say', async () => {
    // Counted twice (a counter moved twice): the counters say done while one send is in flight.
    const counters = { audience: 3, prepared: 3, sent: 3, failed: 0, cancelled: 0, skipped: 0, missing: 0 };
    const campaign = campaigns.add({ companyId, status: 'running', processingDone: true, counters });
    shippings.add(campaign._id, 'sent', 2);
    shippings.add(campaign._id, 'sending', 1);
    assert.equal(await service.completeIfDone(String(campaign._id), cause), false);
    assert.equal(campaigns.get(campaign._id)?.status, 'running');
    for (const status of ['queued', 'paused'] as const) {
      shippings.shippings[2]!.status = status;
      assert.equal(await service.completeIfDone(String(campaign._id), cause), false, status);
    }
    shippings.shippings[2]!.status = 'sent';
    assert.equal(await service.completeIfDone(String(campaign._id), cause), true);
  });

  test('a prepared batch is counted once, however often it is delivered', async () => {
    const campaign = campaigns.add({ companyId, status: 'running' });
    assert.equal(await service.countPreparedBatch(String(campaign._id), 0, { prepared: 499, missing: 1 }), true);
    assert.equal(await service.countPreparedBatch(String(campaign._id), 0, { prepared: 499, missing: 1 }), false);
    assert.equal(await service.countPreparedBatch(String(campaign._id), 1, { prepared: 3, missing: 0 }), true);
    const { prepared, missing } = campaigns.get(campaign._id)!.counters;
    assert.deepEqual({ prepared, missing }, { prepared: 502, missing: 1 });
  });

  test('recount: a quiet campaign whose counters missed a shipping’s end is recounted and completed', async () => {
    const counters = { audience: 2, prepared: 2, sent: 1, failed: 0, cancelled: 0, skipped: 0, missing: 0 };
    const campaign = campaigns.add({ companyId, status: 'running', processingDone: true, counters });
    shippings.add(campaign._id, 'sent', 2);
    assert.equal(await service.recountQuiet(60_000), 1);
    assert.equal(campaigns.get(campaign._id)?.counters.sent, 2);
    assert.equal(campaigns.get(campaign._id)?.status, 'completed');
  });

  test('recount: a change still on its way to its counter is never counted twice', async () => {
    const quietForMs = 60_000;
    const counters = { audience: 3, prepared: 3, sent: 1, failed: 0, cancelled: 0, skipped: 0, missing: 0 };
    const campaign = campaigns.add({ companyId, status: 'running', processingDone: true, counters });
    shippings.add(campaign._id, 'sent', 1);
    shippings.add(campaign._id, 'sent', 1);
    shippings.add(campaign._id, 'cancelled', 1);
    const [, sentNotCounted, cancelledNotCounted] = shippings.shippings;
    // Both moved a moment ago; their $inc is still on its way (the outbox, the count-pending mark).
    sentNotCounted!.outboxAt = new Date(clock.now() - 1_000);
    cancelledNotCounted!.countPendingAt = new Date(clock.now() - 1_000);
    assert.equal(await service.recountQuiet(quietForMs), 0);
    assert.deepEqual(campaigns.get(campaign._id)?.counters, counters, 'left alone while a count is on its way');

    // The sent one's count landed (outbox cleared); the cancellation's did not yet.
    delete sentNotCounted!.outboxAt;
    campaigns.get(campaign._id)!.counters.sent = 2;
    assert.equal(await service.recountQuiet(quietForMs), 0);
    assert.equal(campaigns.get(campaign._id)?.counters.cancelled, 0);

    // A mark older than the quiet period is a crash's: that count never comes, the recount makes it.
    clock.advance(quietForMs);
    assert.equal(await service.recountQuiet(quietForMs), 1);
    assert.equal(campaigns.get(campaign._id)?.counters.sent, 2);
    assert.equal(campaigns.get(campaign._id)?.counters.cancelled, 1);
    assert.equal(campaigns.get(campaign._id)?.status, 'completed');
  });

  test('recount: a count that lands while the shippings are counted makes the recount write nothing', async () => {
    const counters = { audience: 2, prepared: 2, sent: 1, failed: 0, cancelled: 0, skipped: 0, missing: 0 };
    const campaign = campaigns.add({ companyId, status: 'running', processingDone: true, counters });
    shippings.add(campaign._id, 'sent', 1);
    shippings.add(campaign._id, 'sending', 1);
    const countByStatus = shippings.countByStatus.bind(shippings);
    shippings.countByStatus = async (campaignId) => {
      const byStatus = await countByStatus(campaignId);
      // Right after the shippings were counted, the one in flight is sent and counted by its own $inc.
      shippings.shippings[1]!.status = 'sent';
      campaigns.get(campaign._id)!.counters.sent++;
      return byStatus;
    };
    assert.equal(await service.recountQuiet(60_000), 1);
    assert.equal(campaigns.get(campaign._id)?.counters.sent, 2, 'the stale recount (1 sent) was not written');
    assert.equal(campaigns.get(campaign._id)?.status, 'completed');
  });

  test('a connection’s campaigns that may still send are paused together', async () => {
    const connectionId = new Types.ObjectId();
    const running = campaigns.add({ companyId, connectionId, status: 'running' });
    const draft = campaigns.add({ companyId, connectionId, status: 'draft' });
    assert.equal(await service.pauseAllOf(String(connectionId)), 1);
    assert.equal(campaigns.get(running._id)?.status, 'paused');
    assert.equal(campaigns.get(draft._id)?.status, 'draft');
  });
});
