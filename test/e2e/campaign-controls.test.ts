import assert from 'node:assert/strict';
import { after, before, describe, test } from 'node:test';
import { findViolations } from '../../src/domain/pacing/pacing-rule';
import { sleep } from '../support/collector';
import { createCampaign, seedCompany, startSystem, type TestSystem, waitForStatus, waitUntil } from '../support/system';

const pacing = { messageInterval: 0.1, longerIntervalAfter: 50, greaterInterval: 0.3 };

describe('pause, resume and cancel take effect at the next send', () => {
  let system: TestSystem;
  before(async () => {
    system = await startSystem('controls');
  });
  after(() => system.stop());

  test('a paused campaign sends nothing; resumed, it finishes without duplicates', async () => {
    const seeded = await seedCompany(system, { pacing, contacts: 20 });
    const campaignId = await createCampaign(system, seeded.key, {
      connectionId: seeded.connectionId,
      listId: seeded.listId,
    });
    await system.api('POST', `/v1/campaigns/${campaignId}/start`, undefined, seeded.key);
    await waitUntil(
      'a few sends',
      async () => (await system.sandboxSends(seeded.connectionId)).length >= 4,
      10_000,
      20,
    );

    const paused = await system.api('POST', `/v1/campaigns/${campaignId}/pause`, undefined, seeded.key);
    assert.equal(paused.status, 202);
    assert.equal(paused.body.status, 'paused');
    const atPause = (await system.sandboxSends(seeded.connectionId)).length;
    await sleep(800); // eight intervals: a running campaign would have sent about eight more
    const whilePaused = (await system.sandboxSends(seeded.connectionId)).length;
    assert.ok(whilePaused <= atPause + 1, `at most the send in flight at the pause (${atPause} → ${whilePaused})`);

    const again = await system.api('POST', `/v1/campaigns/${campaignId}/pause`, undefined, seeded.key);
    assert.equal(again.status, 409, 'pausing a paused campaign is refused');

    const resumed = await system.api('POST', `/v1/campaigns/${campaignId}/resume`, undefined, seeded.key);
    assert.equal(resumed.status, 202);
    const done = await waitForStatus(system, seeded.key, campaignId, 'completed', 30_000);
    assert.equal(done.counters.sent, 20);
    const sends = await system.sandboxSends(seeded.connectionId);
    assert.equal(sends.length, 20);
    assert.equal(new Set(sends.map((send) => send.to)).size, 20, 'no contact twice');
    assert.deepEqual(
      sends.filter((send) => send.violation),
      [],
    );
    assert.deepEqual(
      findViolations(
        sends.map((send) => send.receivedAt.getTime()),
        { messageIntervalMs: 100, longerIntervalAfter: 50, greaterIntervalMs: 300 },
      ),
      [],
    );
  });

  test('a cancelled campaign stops sending and counts the rest as cancelled; it cannot be resumed', async () => {
    const seeded = await seedCompany(system, { pacing, contacts: 20 });
    const campaignId = await createCampaign(system, seeded.key, {
      connectionId: seeded.connectionId,
      listId: seeded.listId,
    });
    await system.api('POST', `/v1/campaigns/${campaignId}/start`, undefined, seeded.key);
    await waitUntil(
      'a few sends',
      async () => (await system.sandboxSends(seeded.connectionId)).length >= 3,
      10_000,
      20,
    );

    const cancelled = await system.api('POST', `/v1/campaigns/${campaignId}/cancel`, undefined, seeded.key);
    assert.equal(cancelled.status, 202);
    const atCancel = (await system.sandboxSends(seeded.connectionId)).length;
    await sleep(800);
    const sent = (await system.sandboxSends(seeded.connectionId)).length;
    assert.ok(sent <= atCancel + 1, `at most the send in flight at the cancel (${atCancel} → ${sent})`);

    const counters = await waitUntil(
      'every shipping to be settled',
      async () => {
        const campaign = await system.api('GET', `/v1/campaigns/${campaignId}`, undefined, seeded.key);
        const { sent: s, cancelled: c } = campaign.body.counters;
        return s + c === 20 ? campaign.body.counters : undefined;
      },
      10_000,
    );
    assert.equal(counters.sent, sent);
    assert.equal(counters.cancelled, 20 - sent);

    const resume = await system.api('POST', `/v1/campaigns/${campaignId}/resume`, undefined, seeded.key);
    assert.equal(resume.status, 409);
    assert.equal(resume.body.title, 'Conflict');
    assert.match(resume.body.detail, /cannot resume a campaign that is cancelled/);
  });
});
