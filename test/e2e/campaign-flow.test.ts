import assert from 'node:assert/strict';
import { after, before, describe, test } from 'node:test';
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
    const campaignId = await createCampaign(system, seeded.key, { connectionId: seeded.connectionId, listId: seeded.listId });
    const started = await system.api('POST', `/v1/campaigns/${campaignId}/start`, undefined, seeded.key);
    assert.equal(started.status, 202);

    const done = await waitForStatus(system, seeded.key, campaignId, 'completed', 30_000);
    assert.equal(done.counters.sent, 10);
    assert.equal(done.counters.audience, 10);

    const sends = await system.sandboxSends(seeded.connectionId);
    assert.equal(sends.length, 10, 'one send per contact');
    assert.equal(new Set(sends.map((send) => send.to)).size, 10, 'no contact twice');
    assert.deepEqual(sends.filter((send) => send.violation), [], 'the sandbox saw no pacing violation');
    const times = sends.map((send) => send.receivedAt.getTime());
    assert.deepEqual(findViolations(times, pacingMs), []);
    const gaps = times.slice(1).map((at, i) => at - times[i]!);
    assert.ok(gaps[3]! >= 350, `the 5th send waits the longer interval (gap ${gaps[3]} ms)`);
    for (const send of sends) assert.match(send.text, /^(Olá Cliente \d+, oferta em (Campinas|Santos)!|Oi Cliente \d+! Novidades em (Campinas|Santos)\.)$/);

    const progress = await system.api('GET', `/v1/campaigns/${campaignId}/progress`, undefined, seeded.key);
    assert.equal(progress.status, 200);
    assert.equal(progress.body.pending, 0);
    const shippings = await system.api('GET', `/v1/campaigns/${campaignId}/shippings?status=sent&limit=5`, undefined, seeded.key);
    assert.equal(shippings.body.items.length, 5);

    const events = await system.db.collection('events').find({ campaignId }).toArray();
    const types = new Set(events.map((event) => event.type));
    for (const type of ['CampaignScheduled', 'CampaignStarted', 'ContactsPrepared', 'MessageDispatched', 'CampaignCompleted']) assert.ok(types.has(type), `event log has ${type}`);
  });
});
