import assert from 'node:assert/strict';
import { after, before, describe, test } from 'node:test';
import { sleep } from '../support/collector';
import { takeAll } from '../support/messaging-harness';
import {
  ADMIN_KEY,
  createCampaign,
  seedCompany,
  startSystem,
  type TestSystem,
  waitForStatus,
  waitUntil,
} from '../support/system';

describe('the event log and replays', () => {
  let system: TestSystem;
  before(async () => {
    // No campaign-process role at first: the crash test needs a CampaignDue nobody handles.
    system = await startSystem('replay', { workers: [['event-recorder', 'contact-prepare', 'dispatch', 'scheduler']] });
  });
  after(() => system.stop());

  const replay = (body: unknown) => system.api('POST', '/v1/admin/replays', body, ADMIN_KEY);
  const eventCount = () => system.db.collection('events').countDocuments({});

  test('a replay re-drives a campaign whose worker crashed before preparing it, and completes it', async () => {
    const seeded = await seedCompany(system, { contacts: 6 });
    const campaignId = await createCampaign(system, seeded.key, {
      connectionId: seeded.connectionId,
      listId: seeded.listId,
    });
    await system.api('POST', `/v1/campaigns/${campaignId}/start`, undefined, seeded.key);
    await waitUntil(
      'CampaignScheduled recorded',
      () => system.db.collection('events').findOne({ type: 'CampaignScheduled', campaignId }),
      10_000,
    );

    // The crash: the worker took the campaign (queued → running) and died; its CampaignDue is gone.
    const amqplib = await import('amqplib');
    const connection = await amqplib.connect(system.env.RABBITMQ_URL!);
    const channel = await connection.createChannel();
    await waitUntil(
      'the CampaignDue to arrive',
      async () => (await channel.checkQueue('disparo.campaign-process')).messageCount > 0,
      10_000,
    );
    await channel.purgeQueue('disparo.campaign-process');
    await connection.close();
    await system.models.Campaign.updateOne({ _id: campaignId }, { $set: { status: 'running', startedAt: new Date() } });
    await system.addWorker(['campaign-process']);
    await sleep(1_000);
    assert.equal((await system.sandboxSends(seeded.connectionId)).length, 0, 'nothing re-drives it by itself');

    const replayed = await replay({
      filter: { companyId: seeded.companyId, campaignId, types: ['CampaignScheduled'] },
      mode: 'live',
    });
    assert.equal(replayed.status, 200, JSON.stringify(replayed.body));
    assert.equal(replayed.body.published, 1);
    const done = await waitForStatus(system, seeded.key, campaignId, 'completed', 30_000);
    assert.equal(done.counters.sent, 6);
    const sends = await system.sandboxSends(seeded.connectionId);
    assert.equal(sends.length, 6);
    assert.deepEqual(
      sends.filter((send) => send.violation),
      [],
    );
  });

  test('events of a campaign come in order with one correlationId; debug, dry-run and live replays of a finished campaign send nothing new', async () => {
    const seeded = await seedCompany(system, { contacts: 4 });
    const campaignId = await createCampaign(system, seeded.key, {
      connectionId: seeded.connectionId,
      listId: seeded.listId,
    });
    const started = await fetch(`${system.apiUrl}/v1/campaigns/${campaignId}/start`, {
      method: 'POST',
      headers: { authorization: `Bearer ${seeded.key}`, 'x-request-id': 'req-debug-42' },
    });
    assert.equal(started.headers.get('x-request-id'), 'req-debug-42');
    await waitForStatus(system, seeded.key, campaignId, 'completed', 30_000);
    await waitUntil(
      'CampaignCompleted recorded',
      () => system.db.collection('events').findOne({ type: 'CampaignCompleted', campaignId }),
      10_000,
    );

    const listed = await system.api('GET', `/v1/campaigns/${campaignId}/events?limit=100`, undefined, seeded.key);
    assert.equal(listed.status, 200);
    const types: string[] = listed.body.items.map((event: { type: string }) => event.type);
    assert.equal(types[0], 'CampaignScheduled');
    assert.equal(types.at(-1), 'CampaignCompleted');
    assert.equal(types.filter((type) => type === 'MessageDispatched').length, 4);
    const times = listed.body.items.map((event: { occurredAt: string }) => Date.parse(event.occurredAt));
    assert.deepEqual(
      times,
      [...times].sort((a, b) => a - b),
      'in the order they happened',
    );
    assert.deepEqual(
      new Set(listed.body.items.map((event: { correlationId: string }) => event.correlationId)),
      new Set(['req-debug-42']),
      'one correlation from the request on',
    );
    const other = await seedCompany(system, { contacts: 1 });
    assert.equal(
      (await system.api('GET', `/v1/campaigns/${campaignId}/events`, undefined, other.key)).status,
      404,
      'another company cannot read them',
    );

    const sendsBefore = (await system.sandboxSends(seeded.connectionId)).length;
    const eventsBefore = await eventCount();
    const filter = { companyId: seeded.companyId, campaignId };

    const debug = await replay({ filter });
    assert.equal(debug.body.mode, 'debug');
    assert.equal(debug.body.published, types.length);
    const copies = await takeAll(system.env.RABBITMQ_URL!, debug.body.debugQueue);
    assert.equal(copies.length, types.length, 'every event readable in the debug queue');
    assert.ok(copies.every((copy) => JSON.parse(copy.body).replayed === true));

    const dryRun = await replay({
      filter: { ...filter, types: ['MessageDispatched'] },
      mode: 'dry-run',
      consumer: 'dispatch',
    });
    assert.equal(dryRun.body.published, 0);
    assert.equal(dryRun.body.lines.length, 4);
    for (const line of dryRun.body.lines) assert.match(line, /dispatch would drop it as a duplicate: already sent/);
    const refused = await replay({ filter, mode: 'dry-run' });
    assert.equal(refused.status, 400, 'dry-run needs a consumer');

    const live = await replay({ filter, mode: 'live' });
    assert.equal(live.body.published, types.length);
    await sleep(2_000);
    assert.equal(
      (await system.sandboxSends(seeded.connectionId)).length,
      sendsBefore,
      'a live replay of a finished campaign sends nothing new',
    );
    assert.equal(await eventCount(), eventsBefore, 'replayed events keep their ids: the log holds one copy');
    const campaign = await system.api('GET', `/v1/campaigns/${campaignId}`, undefined, seeded.key);
    assert.equal(campaign.body.status, 'completed');
    assert.equal(campaign.body.counters.sent, 4);
  });
});
