import assert from 'node:assert/strict';
import { after, before, describe, test } from 'node:test';
import { Types } from 'mongoose';
import { KNOWN_ROLES } from '../../src/runtime/worker';
import { seedCloudApiCompany } from '../support/cloud-api-company';
import { LocalCloudApi } from '../support/cloud-api-provider';
import {
  createCampaign,
  seedCompany,
  spawnWorker,
  startSystem,
  type TestSystem,
  waitForStatus,
  waitUntil,
} from '../support/system';

type Child = Awaited<ReturnType<typeof spawnWorker>>;

const CONTACTS = 300;
/** A slow provider (300 ms a call) at 80/s: about 25 calls in flight at once. */
const LATENCY_MS = 300;
const fast = { messageInterval: 0.001, longerIntervalAfter: 100_000, greaterInterval: 60 };

/**
 * A number fast enough to overlap its calls (start gap 12.5 ms, round trip 300 ms) has a full
 * window of sends in flight when its dispatcher is SIGKILLed. Every one of them was claimed before
 * its call; the dispatcher that takes over waits a full gap after takeover, and the reconciler
 * finishes the shippings left in `sending` (by idempotency key in the sandbox): every contact gets
 * exactly one message, no start comes too soon, and the campaign completes.
 */
describe('SIGKILL of a dispatcher with a full throughput window', () => {
  let system: TestSystem;
  const children: Child[] = [];
  before(async () => {
    system = await startSystem('throughput-sigkill', {
      workers: [KNOWN_ROLES.filter((role) => role !== 'dispatch')],
      env: { RECONCILE_EVERY_MS: '500', RECONCILE_STUCK_AFTER_MS: '2000', COUNTER_RECOUNT_AFTER_MS: '1000' },
    });
  });
  /** Waits for the campaign to complete; if it does not, says where its shippings and its lane stand. */
  async function completedOrExplain(key: string, campaignId: string, connectionId: string) {
    try {
      await waitForStatus(system, key, campaignId, 'completed', 120_000);
    } catch (error) {
      const statuses = await system.models.Shipping.aggregate([
        { $match: { campaignId: new Types.ObjectId(campaignId) } },
        { $group: { _id: '$status', count: { $sum: 1 } } },
      ]);
      const lane = await system.models.Lane.findById(connectionId, {
        sent: 1,
        window: 1,
        rate: 1,
        lastStartAt: 1,
      }).lean();
      throw new Error(
        `${(error as Error).message}; shippings ${JSON.stringify(statuses)}; lane ${JSON.stringify(lane).slice(0, 600)}`,
      );
    }
  }

  /** The dispatch workers of a case are its own: an earlier case's must not hold the new lane. */
  async function onlyThisCaseWorkers() {
    for (const child of children.splice(0))
      if (child.exitCode === null && child.signalCode === null) {
        child.kill('SIGKILL');
        await child.exited();
      }
  }
  after(async () => {
    for (const child of children) if (child.exitCode === null && child.signalCode === null) child.kill('SIGKILL');
    await system.stop();
  });

  test('0 duplicates in the sandbox’s record, 0 start-gap violations, every shipping ends sent', async () => {
    const seeded = await seedCompany(system, { pacing: fast, contacts: CONTACTS, sandbox: { latencyMs: LATENCY_MS } });
    const set = await system.api(
      'PATCH',
      `/v1/connections/${seeded.connectionId}`,
      { throughputPerSec: 80 },
      seeded.key,
    );
    assert.equal(set.status, 200);
    const campaignId = await createCampaign(system, seeded.key, {
      connectionId: seeded.connectionId,
      listId: seeded.listId,
    });
    const doomed = await spawnWorker(system, 'dispatch');
    children.push(doomed);
    await system.api('POST', `/v1/campaigns/${campaignId}/start`, undefined, seeded.key);

    // Killed mid-campaign, with calls out: several shippings claimed (`sending`) at once.
    const { Shipping } = system.models;
    const inFlight = await waitUntil(
      'a window of sends in flight',
      async () => {
        const sent = await Shipping.countDocuments({ campaignId, status: 'sent' });
        const sending = await Shipping.countDocuments({ campaignId, status: 'sending' });
        return sent >= 40 && sending >= 5 ? sending : null;
      },
      60_000,
      5,
    );
    doomed.kill('SIGKILL');
    await doomed.exited();
    const left = await Shipping.countDocuments({ campaignId, status: 'sending' });
    assert.ok(left >= 5, `a window of shippings left in sending by the crash (${inFlight} seen, ${left} left)`);

    children.push(await spawnWorker(system, 'dispatch'));
    await completedOrExplain(seeded.key, campaignId, seeded.connectionId);

    const sends = await system.sandboxSends(seeded.connectionId);
    const recipients = new Set(sends.map((send) => send.to));
    assert.equal(sends.length - recipients.size, 0, 'no contact got a second message');
    assert.equal(recipients.size, CONTACTS, 'every contact got its message');
    assert.deepEqual(
      sends.filter((send) => send.violation),
      [],
      'no start too soon after the previous one, across the takeover',
    );
    assert.deepEqual(
      [await Shipping.countDocuments({ campaignId }), await Shipping.countDocuments({ campaignId, status: 'sent' })],
      [CONTACTS, CONTACTS],
      'every shipping ended sent',
    );
  });

  test('Cloud API: the sends in flight at the crash end UNKNOWN_OUTCOME, never re-sent; nobody gets two', async () => {
    const token = 'EAAG-test-access-token-kill-0001';
    const provider = await new LocalCloudApi({
      phoneNumberId: '106540352277001',
      accessToken: token,
      appSecret: 'test-app-secret-kill',
    }).start();
    try {
      provider.latencyMs = LATENCY_MS;
      const contacts = 200;
      const phones = Array.from({ length: contacts }, (_, i) => `+55119${String(72_000_000 + i).padStart(8, '0')}`);
      const seeded = await seedCloudApiCompany(system, provider, {
        name: 'Loja do kill',
        pacing: fast,
        phoneNumberId: '106540352277001',
        accessToken: token,
        appSecret: 'test-app-secret-kill',
        verifyToken: 'verify-token-kill',
        phones,
      });
      assert.equal(seeded.connection.throughputPerSec, 80);
      const campaignId = await createCampaign(system, seeded.key, {
        connectionId: seeded.connectionId,
        listId: seeded.listId,
        variants: ['Olá {name}!'],
      });
      await onlyThisCaseWorkers();
      const doomed = await spawnWorker(system, 'dispatch');
      children.push(doomed);
      await system.api('POST', `/v1/campaigns/${campaignId}/start`, undefined, seeded.key);
      const { Shipping } = system.models;
      await waitUntil(
        'a window of sends in flight',
        async () => {
          const sent = await Shipping.countDocuments({ campaignId, status: 'sent' });
          const sending = await Shipping.countDocuments({ campaignId, status: 'sending' });
          return sent >= 30 && sending >= 5;
        },
        60_000,
        5,
      );
      doomed.kill('SIGKILL');
      await doomed.exited();
      children.push(await spawnWorker(system, 'dispatch'));
      await completedOrExplain(seeded.key, campaignId, seeded.connectionId);

      const to = provider.sent.map((request) => request.body.to);
      assert.equal(to.length, new Set(to).size, 'no contact got a second message');
      const shippings = await Shipping.find({ campaignId }, { status: 1, phone: 1, lastError: 1 }).lean();
      assert.equal(shippings.length, contacts);
      const unknown = shippings.filter((each) => each.status === 'failed');
      assert.ok(unknown.length > 0, 'the sends in flight at the crash');
      for (const each of unknown) assert.match(each.lastError ?? '', /UNKNOWN_OUTCOME|unknown/i);
      assert.deepEqual(
        shippings.filter((each) => each.status !== 'sent' && each.status !== 'failed'),
        [],
        'every shipping ended sent or unknown',
      );
      const sentPhones = new Set(to);
      for (const each of shippings.filter((one) => one.status === 'sent'))
        assert.ok(sentPhones.has(each.phone.slice(1)), `${each.phone} recorded sent and sent once`);
    } finally {
      await provider.stop();
    }
  });

  test('SIGTERM: held messages go back to the lane unsent, the calls out are recorded, nothing left sending', async () => {
    const contacts = 150;
    const seeded = await seedCompany(system, { pacing: fast, contacts, sandbox: { latencyMs: LATENCY_MS } });
    const set = await system.api(
      'PATCH',
      `/v1/connections/${seeded.connectionId}`,
      { throughputPerSec: 20 },
      seeded.key,
    );
    assert.equal(set.status, 200);
    const campaignId = await createCampaign(system, seeded.key, {
      connectionId: seeded.connectionId,
      listId: seeded.listId,
    });
    await onlyThisCaseWorkers();
    const stopped = await spawnWorker(system, 'dispatch');
    children.push(stopped);
    await system.api('POST', `/v1/campaigns/${campaignId}/start`, undefined, seeded.key);
    const { Shipping } = system.models;
    await waitUntil(
      'sends under way',
      async () => (await Shipping.countDocuments({ campaignId, status: 'sent' })) >= 20,
      60_000,
      20,
    );
    stopped.kill('SIGTERM');
    assert.equal(await stopped.exited(), 0, 'a clean exit');
    assert.equal(await Shipping.countDocuments({ campaignId, status: 'sending' }), 0, 'nothing left in sending');
    const sentBefore = await Shipping.countDocuments({ campaignId, status: 'sent' });
    assert.equal((await system.sandboxSends(seeded.connectionId)).length, sentBefore, 'every call out was recorded');
    assert.ok(sentBefore < contacts, 'the rest was handed back unsent');

    children.push(await spawnWorker(system, 'dispatch'));
    await waitForStatus(system, seeded.key, campaignId, 'completed', 120_000);
    const sends = await system.sandboxSends(seeded.connectionId);
    assert.equal(sends.length, contacts);
    assert.equal(new Set(sends.map((send) => send.to)).size, contacts, 'nobody twice');
    assert.deepEqual(
      sends.filter((send) => send.violation),
      [],
    );
  });
});
