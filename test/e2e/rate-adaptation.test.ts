import assert from 'node:assert/strict';
import { after, before, describe, test } from 'node:test';
import { seedCloudApiCompany } from '../support/cloud-api-company';
import { LocalCloudApi } from '../support/cloud-api-provider';
import { createCampaign, startSystem, type TestSystem, waitForStatus } from '../support/system';

const TOKEN = 'EAAG-test-access-token-0001-abcd';
const CONTACTS = 200;
/** What Meta really allows the number, below the 80/s the connection is configured with. */
const PROVIDER_RATE = 20;

/**
 * A Cloud API number configured at 80/s whose provider only accepts 20/s answers 130429 past it.
 * The lane lowers its rate for a while and climbs back (src/domain/pacing/rate-adaptation.ts)
 * instead of cooling the whole number down for a minute: every contact gets its message once,
 * the refusals stay few, and the campaign ends in about the time 20/s allows.
 */
describe('130429 adapts the lane’s rate', () => {
  let system: TestSystem;
  let provider: LocalCloudApi;
  before(async () => {
    // The whole-number cool-down of other throughput limits stays a minute: this campaign
    // finishing in seconds shows a 130429 no longer takes it.
    system = await startSystem('rate-adaptation', { env: { CLOUD_API_LANE_COOLDOWN_MS: '60000' } });
    provider = await new LocalCloudApi({
      phoneNumberId: '106540352299001',
      accessToken: TOKEN,
      appSecret: 'test-app-secret-1234',
    }).start();
  });
  after(async () => {
    await provider.stop();
    await system.stop();
  });

  test('all sent once, few refusals, done in about the time the provider’s rate allows', async () => {
    provider.enforceRate(PROVIDER_RATE);
    const phones = Array.from({ length: CONTACTS }, (_, i) => `+55119${String(71_000_000 + i).padStart(8, '0')}`);
    const seeded = await seedCloudApiCompany(system, provider, {
      name: 'Loja rápida',
      pacing: { messageInterval: 0.001, longerIntervalAfter: 100_000, greaterInterval: 60 },
      phoneNumberId: '106540352299001',
      accessToken: TOKEN,
      appSecret: 'test-app-secret-1234',
      verifyToken: 'verify-token-1234',
      phones,
    });
    assert.equal(seeded.connection.throughputPerSec, 80);
    const campaignId = await createCampaign(system, seeded.key, {
      connectionId: seeded.connectionId,
      listId: seeded.listId,
      variants: ['Olá {name}!'],
    });
    const startedAt = Date.now();
    assert.equal((await system.api('POST', `/v1/campaigns/${campaignId}/start`, undefined, seeded.key)).status, 202);
    const done = await waitForStatus(system, seeded.key, campaignId, 'completed', 60_000);
    const seconds = (Date.now() - startedAt) / 1000;

    assert.equal(done.counters.sent, CONTACTS);
    assert.equal(done.counters.failed, 0, 'a refused message is tried again, not failed');
    const sentTo = provider.sent.map((request) => request.body.to).sort();
    assert.deepEqual(sentTo, phones.map((phone) => phone.slice(1)).sort(), 'every contact exactly once');
    // 200 at 20/s is 10 s; a whole-number cool-down of a minute per refusal would take minutes.
    assert.ok(seconds < 40, `completed in ${seconds} s`);
    assert.ok(
      provider.rateLimited <= CONTACTS / 4,
      `${provider.rateLimited} refusals for ${CONTACTS} sends: the lane slowed down instead of insisting`,
    );
  });
});

/**
 * Other throughput limits (80007, the business account's rate) cool the whole number down. A
 * throughput lane has up to a second of sends claimed (`sending`) ahead of their starts; held
 * through a cool-down longer than the reconciler's patience, they would be taken for sends whose
 * outcome is unknown and failed without ever being sent. They go back to queued instead.
 */
describe('a cool-down in a throughput lane', () => {
  let system: TestSystem;
  let provider: LocalCloudApi;
  const COOL_DOWN_MS = 6_000;
  before(async () => {
    system = await startSystem('throughput-cool-down', {
      env: {
        CLOUD_API_LANE_COOLDOWN_MS: String(COOL_DOWN_MS),
        RECONCILE_EVERY_MS: '500',
        // Longer than a claim is held in normal operation (a send is claimed at most a second
        // before its start), shorter than the cool-down.
        RECONCILE_STUCK_AFTER_MS: '3000',
      },
    });
    provider = await new LocalCloudApi({
      phoneNumberId: '106540352299002',
      accessToken: TOKEN,
      appSecret: 'test-app-secret-5678',
    }).start();
  });
  after(async () => {
    await provider.stop();
    await system.stop();
  });

  test('claimed sends are not held through it: nobody lost, nobody twice, nothing started inside it', async () => {
    const contacts = 120;
    const phones = Array.from({ length: contacts }, (_, i) => `+55119${String(73_000_000 + i).padStart(8, '0')}`);
    const seeded = await seedCloudApiCompany(system, provider, {
      name: 'Loja do cool-down',
      pacing: { messageInterval: 0.001, longerIntervalAfter: 100_000, greaterInterval: 60 },
      phoneNumberId: '106540352299002',
      accessToken: TOKEN,
      appSecret: 'test-app-secret-5678',
      verifyToken: 'verify-token-5678',
      phones,
    });
    const campaignId = await createCampaign(system, seeded.key, {
      connectionId: seeded.connectionId,
      listId: seeded.listId,
      variants: ['Olá {name}!'],
    });
    // A round trip long enough for the first batch to be claimed before the first answer; that
    // first call is refused with the business account's rate limit: the number cools down.
    provider.latencyMs = 150;
    provider.failNext({
      httpStatus: 400,
      error: { message: 'WhatsApp Business Account rate limit hit', type: 'OAuthException', code: 80007 },
    });
    assert.equal((await system.api('POST', `/v1/campaigns/${campaignId}/start`, undefined, seeded.key)).status, 202);
    const done = await waitForStatus(system, seeded.key, campaignId, 'completed', 90_000);

    const failed = await system.models.Shipping.find({ campaignId, status: 'failed' }, { lastError: 1 }).lean();
    assert.deepEqual(
      failed.map((each) => each.lastError),
      [],
      'no claimed send was failed as an unknown outcome',
    );
    assert.equal(done.counters.failed, 0);
    assert.equal(done.counters.sent, contacts);
    const accepted = provider.received.filter((request) => 'id' in request.answer);
    const to = accepted.map((request) => request.body.to);
    assert.deepEqual([...to].sort(), phones.map((phone) => phone.slice(1)).sort(), 'every contact exactly once');
    const refused = provider.received.find((request) => !('id' in request.answer));
    assert.ok(refused, 'the refusal happened');
    // Calls started before its answer reached the lane arrive just after it; none comes later
    // until the cool-down ends.
    const inside = provider.received.filter(
      (request) => request.at > refused.at + 1_000 && request.at < refused.at + COOL_DOWN_MS,
    );
    assert.deepEqual(
      inside.map((request) => request.body.to),
      [],
      'no call inside the cool-down',
    );
  });
});
