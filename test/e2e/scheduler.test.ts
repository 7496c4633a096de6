import assert from 'node:assert/strict';
import { after, before, describe, test } from 'node:test';
import { Types } from 'mongoose';
import { createCampaign, seedCompany, startSystem, type TestSystem, waitForStatus, waitUntil } from '../support/system';

describe('the scheduled-campaign check', () => {
  let system: TestSystem;
  before(async () => {
    // Two scheduler instances race on every tick; a third worker runs the rest of the pipeline.
    system = await startSystem('scheduler', {
      workers: [['scheduler'], ['scheduler'], ['event-recorder', 'campaign-process', 'contact-prepare', 'dispatch']],
    });
  });
  after(() => system.stop());

  test('with two instances running the check, each campaign becomes due exactly once, on time', async () => {
    const seeded = await seedCompany(system, { contacts: 3 });
    // Campaigns scheduled long ago for now-ish: they enter the window on the next tick, where both instances see them.
    const dueAt = new Date(Date.now() + 2_500);
    const ids = Array.from({ length: 8 }, () => new Types.ObjectId());
    await system.models.Campaign.insertMany(
      ids.map((_id, i) => ({
        _id,
        companyId: seeded.companyId,
        name: `agendada ${i}`,
        connectionId: seeded.connectionId,
        listId: seeded.listId,
        variants: ['Olá {name}'],
        status: 'scheduled',
        scheduledAt: dueAt,
      })),
    );
    for (const id of ids) await waitForStatus(system, seeded.key, String(id), 'completed', 60_000);

    const events = system.db.collection('events');
    for (const id of ids) {
      const campaignId = String(id);
      assert.equal(
        await events.countDocuments({ type: 'CampaignScheduled', campaignId }),
        1,
        'claimed by exactly one instance',
      );
      const started = await events.find({ type: 'CampaignStarted', campaignId }).toArray();
      assert.equal(started.length, 1, 'processed once');
      assert.ok(new Date(started[0]!.payload.firstSendAt).getTime() >= dueAt.getTime(), 'not before its time');
    }
    const sends = await system.sandboxSends(seeded.connectionId);
    assert.equal(sends.length, 8 * 3);
  });

  test("a campaign scheduled by a request carries that request's id as correlationId through every event, the check's too", async () => {
    const seeded = await seedCompany(system, { contacts: 3 });
    const campaignId = await createCampaign(system, seeded.key, {
      connectionId: seeded.connectionId,
      listId: seeded.listId,
    });
    const requestId = `req-schedule-${campaignId}`;
    // Two hours ahead: outside the check's window, so the scheduler (not the request) makes it due.
    const response = await fetch(`${system.apiUrl}/v1/campaigns/${campaignId}/schedule`, {
      method: 'POST',
      headers: { authorization: `Bearer ${seeded.key}`, 'content-type': 'application/json', 'x-request-id': requestId },
      body: JSON.stringify({ scheduledAt: new Date(Date.now() + 2 * 3_600_000).toISOString() }),
    });
    assert.equal(response.status, 202);
    assert.equal(response.headers.get('x-request-id'), requestId);
    await system.models.Campaign.updateOne(
      { _id: campaignId },
      { $set: { scheduledAt: new Date(Date.now() + 1_000) } },
    ); // time passes
    await waitForStatus(system, seeded.key, campaignId, 'completed', 30_000);
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
    assert.deepEqual([...new Set(events.map((event) => event.correlationId))], [requestId]);
  });

  test('a campaign started now does not wait for the next tick', async () => {
    const seeded = await seedCompany(system, { contacts: 2 });
    const campaignId = await createCampaign(system, seeded.key, {
      connectionId: seeded.connectionId,
      listId: seeded.listId,
    });
    const startedAt = Date.now();
    await system.api('POST', `/v1/campaigns/${campaignId}/start`, undefined, seeded.key);
    const [first] = await waitUntil(
      'the first send',
      async () => {
        const sends = await system.sandboxSends(seeded.connectionId);
        return sends.length > 0 ? sends : undefined;
      },
      10_000,
      10,
    );
    const latency = first!.receivedAt.getTime() - startedAt;
    assert.ok(latency < 1_000, `first send ${latency} ms after start (the check runs every 20 s here)`);
  });
});
