import assert from 'node:assert/strict';
import { after, before, describe, test } from 'node:test';
import { findViolations } from '../../src/domain/pacing/pacing-rule';
import { createCampaign, seedCompany, startSystem, type TestSystem, waitForStatus, waitUntil } from '../support/system';

async function waitForSync(system: TestSystem, key: string, connectionId: string, syncId: string, timeoutMs = 60_000) {
  return waitUntil(
    `sync ${syncId} to complete`,
    async () => {
      const run = await system.api('GET', `/v1/connections/${connectionId}/syncs/${syncId}`, undefined, key);
      return run.body?.status === 'completed' ? run.body : undefined;
    },
    timeoutMs,
    200,
  );
}

/** The campaign that dispatches while the 20,000-contact sync runs. */
const CAMPAIGN_CONTACTS = 100;

async function seedBook(
  system: TestSystem,
  key: string,
  connectionId: string,
  contacts: Array<{ phone: string; name?: string; onWhatsApp?: boolean }>,
): Promise<string> {
  const seeded = await system.api('POST', `/v1/connections/${connectionId}/sandbox/contacts`, { contacts }, key);
  assert.equal(seeded.status, 200, JSON.stringify(seeded.body));
  return seeded.body.syncId;
}

describe('contact sync from a WhatsApp connection (sandbox)', () => {
  let system: TestSystem;
  before(async () => {
    system = await startSystem('contact-sync');
  });
  after(() => system.stop());

  test('a sync validates every number, records the outcome, converges when run again (also twice at once), and campaigns skip invalid and off-WhatsApp members', async () => {
    const seeded = await seedCompany(system, { contacts: 4 });
    const { key, connectionId, companyId } = seeded;
    // The connection's first sync (ConnectionConnected at creation) found an empty book.
    const first = await waitUntil(
      'the first sync',
      async () =>
        (await system.api('GET', `/v1/connections/${connectionId}/syncs`, undefined, key)).body.items.find(
          (run: { trigger: string; status: string }) =>
            run.trigger === 'ConnectionConnected' && run.status === 'completed',
        ),
      30_000,
    );
    assert.equal(first.seen, 0);

    const syncId = await seedBook(system, key, connectionId, [
      { phone: '(11) 98000-0000', name: 'Ana do zap' }, // list member 0, national format
      { phone: '+55 11 98000-0001' }, // list member 1
      { phone: '11980000002', name: 'Bia', onWhatsApp: false }, // list member 2, not on WhatsApp
      { phone: '+55 11 98000-0000' }, // member 0 again, another format
      ...Array.from({ length: 5 }, (_, i) => ({ phone: `(21) 98000-000${i}`, name: `Novo ${i}` })),
      { phone: '(21) 98000-0009', onWhatsApp: false },
      { phone: 'call me maybe' },
      { phone: '12345', name: 'Curto' },
    ]);
    const run = await waitForSync(system, key, connectionId, syncId);
    assert.equal(run.seen, 12);
    assert.equal(run.created, 8, '5 new + 1 new off WhatsApp + 2 malformed');
    assert.equal(run.updated, 3, 'three list members got their check recorded');
    assert.equal(run.invalid, 2);
    assert.equal(run.notOnWhatsApp, 2);

    const { Contact } = system.models;
    const byPhone = async (phone: string) => Contact.findOne({ companyId, phone }).lean();
    const ana = await byPhone('+5511980000000');
    assert.equal(ana!.name, 'Cliente 0', "an address book's name never overwrites the company's");
    assert.equal(ana!.onWhatsApp, true);
    assert.ok(ana!.checkedAt instanceof Date);
    const bia = await byPhone('+5511980000002');
    assert.equal(bia!.onWhatsApp, false);
    assert.equal(bia!.rejectReason, 'not on WhatsApp');
    const novo = await byPhone('+5521980000003');
    assert.deepEqual([novo!.name, novo!.valid, novo!.onWhatsApp, novo!.listIds], ['Novo 3', true, true, []]);
    const malformed = await byPhone('call me maybe');
    assert.equal(malformed!.valid, false);
    assert.match(malformed!.rejectReason!, /letters/);
    assert.equal((await byPhone('12345'))!.valid, false);
    assert.equal(await Contact.countDocuments({ companyId }), 12);

    // Two syncs of the same connection at once: nothing new, nothing twice.
    const outcome = async () =>
      Contact.find({ companyId }, { _id: 1, phone: 1, name: 1, valid: 1, onWhatsApp: 1, rejectReason: 1, listIds: 1 })
        .sort({ phone: 1 })
        .lean();
    const converged = await outcome();
    const again = await Promise.all(
      [1, 2].map(() => system.api('POST', `/v1/connections/${connectionId}/sync`, undefined, key)),
    );
    for (const requested of again) assert.equal(requested.status, 202);
    const reruns = await Promise.all(
      again.map((requested) => waitForSync(system, key, connectionId, requested.body.syncId)),
    );
    for (const rerun of reruns)
      assert.deepEqual(
        [rerun.seen, rerun.created, rerun.updated + rerun.unchanged],
        [12, 0, 11],
        '12 entries, 11 numbers, nothing created',
      );
    assert.deepEqual(await outcome(), converged, 'the same contacts with the same outcome');
    assert.equal(await Contact.countDocuments({ companyId }), 12);
    const synced = await system.db
      .collection('events')
      .find({ type: 'ContactsSynced', 'payload.syncId': syncId })
      .toArray();
    assert.equal(
      synced.reduce((sum, event) => sum + event.payload.created.length, 0),
      8,
      'the id of every contact created',
    );
    assert.equal(
      synced.reduce((sum, event) => sum + event.payload.updated, 0),
      3,
    );

    // Campaigns: member 2 is off WhatsApp, member 3 made invalid; both skipped and counted.
    await Contact.updateOne({ companyId, phone: '+5511980000003' }, { $set: { valid: false, rejectReason: 'test' } });
    const campaignId = await createCampaign(system, key, { connectionId, listId: seeded.listId });
    assert.equal((await system.api('POST', `/v1/campaigns/${campaignId}/start`, undefined, key)).status, 202);
    const done = await waitForStatus(system, key, campaignId, 'completed', 30_000);
    assert.equal(done.counters.sent, 2);
    assert.equal(done.counters.skipped, 2);
    const sends = await system.sandboxSends(connectionId);
    assert.deepEqual(sends.map((send) => send.to).sort(), ['+5511980000000', '+5511980000001']);
  });

  test('a sync of 20,000 contacts runs while a campaign dispatches on the same number; the pacing is untouched', {
    timeout: 120_000,
  }, async () => {
    const pacing = { messageInterval: 0.1, longerIntervalAfter: 5, greaterInterval: 0.3 };
    const pacingMs = { messageIntervalMs: 100, longerIntervalAfter: 5, greaterIntervalMs: 300 };
    // Long enough to outlast the seeding of the 20,000-entry book on any server: on SecantusDB that
    // alone takes ~11 s (a bulk $set of 250 slots per page costs 3–4 s per 10,000 entries there,
    // against ~0.3 s on the embedded server), while 40 sends took ~6 s.
    const seeded = await seedCompany(system, { pacing, contacts: CAMPAIGN_CONTACTS });
    const { key, connectionId, companyId } = seeded;
    const campaignId = await createCampaign(system, key, { connectionId, listId: seeded.listId });
    assert.equal((await system.api('POST', `/v1/campaigns/${campaignId}/start`, undefined, key)).status, 202);
    await waitUntil('the first send', async () => (await system.sandboxSends(connectionId)).length > 0, 15_000);

    const started = Date.now();
    const book = Array.from({ length: 20_000 }, (_, i) => ({
      phone: i % 1_000 === 999 ? `bad-${i}` : `+55 21 9${String(70_000_000 + i)}`,
      name: `Pessoa ${i}`,
      onWhatsApp: i % 10 !== 3,
    }));
    const syncIds = [
      await seedBook(system, key, connectionId, book.slice(0, 10_000)),
      await seedBook(system, key, connectionId, book.slice(10_000)),
    ];
    const sendsDuringSync = (await system.sandboxSends(connectionId)).length;
    const runs = await Promise.all(syncIds.map((syncId) => waitForSync(system, key, connectionId, syncId, 90_000)));
    const elapsed = Date.now() - started;
    assert.equal(runs[1]!.seen, 20_000);
    assert.equal(
      await system.models.Contact.countDocuments({ companyId }),
      CAMPAIGN_CONTACTS + 20_000,
      'one contact per number, whatever the overlap of the two syncs',
    );
    assert.equal(await system.models.Contact.countDocuments({ companyId, valid: false }), 20);
    assert.equal(await system.models.Contact.countDocuments({ companyId, onWhatsApp: false }), 2_000);

    const done = await waitForStatus(system, key, campaignId, 'completed', 60_000);
    assert.equal(done.counters.sent, CAMPAIGN_CONTACTS);
    const sends = await system.sandboxSends(connectionId);
    assert.ok(
      sendsDuringSync < CAMPAIGN_CONTACTS,
      `the campaign was still sending while the sync ran (${sendsDuringSync} of ${CAMPAIGN_CONTACTS} sent when seeding ended)`,
    );
    assert.deepEqual(
      sends.filter((send) => send.violation),
      [],
      'the sandbox saw no pacing violation',
    );
    assert.deepEqual(
      findViolations(
        sends.map((send) => send.receivedAt.getTime()),
        pacingMs,
      ),
      [],
    );
    process.stdout.write(`# 20,000-contact sync (seeding included) took ${elapsed} ms beside the campaign\n`);
  });
});
