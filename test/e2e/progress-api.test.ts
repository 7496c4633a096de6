import assert from 'node:assert/strict';
import { after, before, describe, test } from 'node:test';
import { seedCloudApiCompany } from '../support/cloud-api-company';
import { ANSWERS, LocalCloudApi } from '../support/cloud-api-provider';
import {
  ADMIN_KEY,
  createCampaign,
  seedCompany,
  startSystem,
  type TestSystem,
  waitForStatus,
  waitUntil,
} from '../support/system';

const TOKEN = 'EAAG-progress-test-token-0001';
const pacing = { messageInterval: 0.05, longerIntervalAfter: 50, greaterInterval: 0.2 };

describe('GET /v1/progress: what the progress page draws', () => {
  let system: TestSystem;
  let provider: LocalCloudApi;
  before(async () => {
    system = await startSystem('progress-api');
    provider = await new LocalCloudApi({
      phoneNumberId: '106540352249001',
      accessToken: TOKEN,
      appSecret: 'progress-app-secret',
    }).start();
  });
  after(async () => {
    await provider?.stop();
    await system?.stop();
  });

  test('counters, sends per time bucket and failures by reason from a real campaign; another company sees none of it', async () => {
    const phones = Array.from({ length: 6 }, (_, i) => `+55119${String(71_000_000 + i).padStart(8, '0')}`);
    const { key, companyId, connectionId, listId } = await seedCloudApiCompany(system, provider, {
      name: 'Loja Oficial',
      pacing,
      phoneNumberId: '106540352249001',
      accessToken: TOKEN,
      appSecret: 'progress-app-secret',
      verifyToken: 'verify-token-progress',
      phones,
    });
    // Two undeliverable recipients and one bad parameter: three failures for good, two reasons.
    provider.failNext(ANSWERS.undeliverable, { to: phones[0]!.slice(1) });
    provider.failNext(ANSWERS.undeliverable, { to: phones[1]!.slice(1) });
    provider.failNext(ANSWERS.invalidParameter, { to: phones[2]!.slice(1) });
    const campaignId = await createCampaign(system, key, {
      name: 'Oficial',
      connectionId,
      listId,
      variants: ['Olá {name}!'],
    });
    assert.equal((await system.api('POST', `/v1/campaigns/${campaignId}/start`, undefined, key)).status, 202);
    await waitForStatus(system, key, campaignId, 'completed', 20_000);

    const answer = await system.api('GET', '/v1/progress?minutes=5', undefined, key);
    assert.equal(answer.status, 200);
    const { company: shown, campaigns, timeline, failures } = answer.body;
    assert.deepEqual(shown, { id: companyId, name: 'Loja Oficial' });
    assert.equal(campaigns.length, 1);
    const [progress] = campaigns;
    assert.equal(progress.campaignId, campaignId);
    assert.equal(progress.status, 'completed');
    assert.deepEqual([progress.counters.sent, progress.counters.failed, progress.pending, progress.done], [3, 3, 0, 1]);
    assert.equal(progress.estimatedFinishAt, null);

    assert.equal(timeline.bucketSeconds, 5, '60 bars over 5 minutes');
    const bars = timeline.sent[campaignId] as number[];
    assert.equal(bars.length, 60);
    assert.equal(
      bars.reduce((a, b) => a + b, 0),
      3,
      'every send is in one bar',
    );

    const byReason = Object.fromEntries(
      (failures as Array<{ campaignId: string; reason: string; count: number }>).map((f) => [
        f.reason.split(':')[0],
        f,
      ]),
    );
    assert.equal(byReason['131026']?.count, 2, JSON.stringify(failures));
    assert.equal(byReason['100']?.count, 1, JSON.stringify(failures));
    assert.ok(failures.every((f: { campaignId: string }) => f.campaignId === campaignId));
    assert.equal(failures[0].reason.split(':')[0], '131026', 'most frequent first');

    // Another company: its own (empty) view; naming the first company's campaign shows nothing.
    const other = await seedCompany(system, { contacts: 1 });
    const otherView = await system.api('GET', `/v1/progress?campaigns=${campaignId}`, undefined, other.key);
    assert.equal(otherView.status, 200);
    assert.deepEqual([otherView.body.campaigns, otherView.body.failures], [[], []]);
    const named = await system.api('GET', `/v1/progress?campaigns=${campaignId}`, undefined, key);
    assert.deepEqual(
      named.body.campaigns.map((c: { campaignId: string }) => c.campaignId),
      [campaignId],
    );

    assert.equal((await system.api('GET', '/v1/progress?campaigns=nope', undefined, key)).status, 400);
    assert.equal((await system.api('GET', '/v1/progress?minutes=0', undefined, key)).status, 400);
    assert.equal((await system.api('GET', '/v1/progress')).status, 401);
    assert.equal(
      (await system.api('GET', '/v1/progress', undefined, ADMIN_KEY)).status,
      403,
      'the admin key has no company',
    );
  });

  test('a running campaign has a finish estimate by the pacing rule', async () => {
    const seeded = await seedCompany(system, {
      pacing: { messageInterval: 1, longerIntervalAfter: 50, greaterInterval: 2 },
      contacts: 5,
    });
    const campaignId = await createCampaign(system, seeded.key, {
      connectionId: seeded.connectionId,
      listId: seeded.listId,
    });
    await system.api('POST', `/v1/campaigns/${campaignId}/start`, undefined, seeded.key);
    const answer = await waitUntil(
      'the campaign planned and sending',
      async () => {
        const view = await system.api('GET', '/v1/progress', undefined, seeded.key);
        const [campaign] = view.body.campaigns;
        return campaign.status === 'running' && campaign.counters.audience === 5 && campaign.pending >= 2
          ? view
          : undefined;
      },
      10_000,
      50,
    );
    const [progress] = answer.body.campaigns;
    const finishIn = Date.parse(progress.estimatedFinishAt) - Date.parse(answer.body.now);
    // One message interval (1 s) per pending send after the next one, give or take where the lane stands.
    assert.ok(
      finishIn >= (progress.pending - 1) * 1_000 - 50 && finishIn <= progress.pending * 1_000 + 50,
      `finish in ${finishIn} ms for ${progress.pending} pending`,
    );
    await system.api('POST', `/v1/campaigns/${campaignId}/cancel`, undefined, seeded.key);
  });
});
