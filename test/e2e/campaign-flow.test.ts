import assert from 'node:assert/strict';
import { after, before, describe, test } from 'node:test';
import { CampaignProgress, CampaignView, ConnectionStatusView, EventPage, ShippingList } from '../../src/api/responses';
import { findViolations } from '../../src/domain/pacing/pacing-rule';
import { createCampaign, seedCompany, startSystem, type TestSystem, waitForStatus } from '../support/system';

const pacing = { messageInterval: 0.1, longerIntervalAfter: 4, greaterInterval: 0.35 };
const pacingMs = { messageIntervalMs: 100, longerIntervalAfter: 4, greaterIntervalMs: 350 };

describe('a campaign from creation to completion, on the sandbox', () => {
  let system: TestSystem;
  before(async () => {
    system = await startSystem('flow');
  });
  after(() => system.stop());

  test('every contact gets one personalised message, spaced by the pacing rule (longer gap after every 4)', async () => {
    const seeded = await seedCompany(system, { pacing, contacts: 10 });
    const campaignId = await createCampaign(system, seeded.key, {
      connectionId: seeded.connectionId,
      listId: seeded.listId,
    });
    const started = await system.api('POST', `/v1/campaigns/${campaignId}/start`, undefined, seeded.key);
    assert.equal(started.status, 202);

    const done = await waitForStatus(system, seeded.key, campaignId, 'completed', 30_000);
    assert.equal(done.counters.sent, 10);
    assert.equal(done.counters.audience, 10);

    const sends = await system.sandboxSends(seeded.connectionId);
    assert.equal(sends.length, 10, 'one send per contact');
    assert.equal(new Set(sends.map((send) => send.to)).size, 10, 'no contact twice');
    assert.deepEqual(
      sends.filter((send) => send.violation),
      [],
      'the sandbox saw no pacing violation',
    );
    const times = sends.map((send) => send.receivedAt.getTime());
    assert.deepEqual(findViolations(times, pacingMs), []);
    const gaps = times.slice(1).map((at, i) => at - times[i]!);
    assert.ok(gaps[3]! >= 350, `the 5th send waits the longer interval (gap ${gaps[3]} ms)`);
    for (const send of sends)
      assert.match(
        send.text,
        /^(Olá Cliente \d+, oferta em (Campinas|Santos)!|Oi Cliente \d+! Novidades em (Campinas|Santos)\.)$/,
      );

    // What a client sees along the way, checked against the documented response schemas.
    const progress = await system.api('GET', `/v1/campaigns/${campaignId}/progress`, undefined, seeded.key);
    assert.equal(progress.status, 200);
    CampaignProgress.parse(progress.body);
    assert.equal(progress.body.pending, 0);
    assert.equal(progress.body.counters.sent, 10);
    assert.ok(progress.body.sentPerMinute > 0);
    assert.equal(progress.body.estimatedFinishAt, null, 'no estimate once finished');
    CampaignView.parse(done);

    const pages: string[] = [];
    let cursor: string | null = null;
    do {
      const page: {
        status: number;
        body: { items: Array<{ id: string; status: string }>; nextCursor: string | null };
      } = await system.api(
        'GET',
        `/v1/campaigns/${campaignId}/shippings?status=sent&limit=4${cursor ? `&cursor=${cursor}` : ''}`,
        undefined,
        seeded.key,
      );
      assert.equal(page.status, 200);
      ShippingList.parse(page.body);
      assert.ok(page.body.items.every((item) => item.status === 'sent'));
      pages.push(...page.body.items.map((item) => item.id));
      cursor = page.body.nextCursor;
    } while (cursor);
    assert.equal(new Set(pages).size, 10, 'the shippings, page by page, each once');
    assert.equal(
      (await system.api('GET', `/v1/campaigns/${campaignId}/shippings?status=queued`, undefined, seeded.key)).body.items
        .length,
      0,
    );

    const listed = await system.api('GET', '/v1/campaigns?status=completed', undefined, seeded.key);
    assert.deepEqual(
      listed.body.items.map((item: { id: string }) => item.id),
      [campaignId],
    );
    const eventPage = await system.api(
      'GET',
      `/v1/campaigns/${campaignId}/events?type=MessageDispatched&limit=100`,
      undefined,
      seeded.key,
    );
    assert.equal(eventPage.status, 200);
    EventPage.parse(eventPage.body);
    assert.equal(eventPage.body.items.length, 10);
    const connection = await system.api('GET', `/v1/connections/${seeded.connectionId}/status`, undefined, seeded.key);
    ConnectionStatusView.parse(connection.body);
    assert.equal(connection.body.activeCampaigns, 0);
    assert.equal(connection.body.lane.lastSentAt, sends.at(-1)!.receivedAt.toISOString());

    const events = await system.db.collection('events').find({ campaignId }).toArray();
    const types = new Set(events.map((event) => event.type));
    for (const type of [
      'CampaignScheduled',
      'CampaignStarted',
      'ContactsPrepared',
      'MessageDispatched',
      'CampaignCompleted',
    ])
      assert.ok(types.has(type), `event log has ${type}`);
  });

  test('the API serves Prometheus metrics: campaigns by status and its requests by route pattern', async () => {
    const response = await fetch(`${system.apiUrl}/metrics`);
    assert.equal(response.status, 200);
    const text = await response.text();
    assert.match(text, /^disparo_campaigns\{status="completed"\} [1-9]\d*$/m, 'the campaign finished above is counted');
    assert.match(
      text,
      /^disparo_http_request_duration_seconds_count\{method="POST",route="\/v1\/campaigns\/:id\/start",status="202"\} 1$/m,
      'routes by pattern, not by id',
    );
    const workers = await system.workerMetrics();
    assert.match(
      workers,
      /^disparo_messages_consumed_total\{consumer="dispatch",type="ContactPrepared",outcome="ack"\} [1-9]\d*$/m,
    );
    assert.match(workers, /^disparo_events_published_total\{type="MessageDispatched"\} [1-9]\d*$/m);
  });
});
