import assert from 'node:assert/strict';
import { after, before, describe, test } from 'node:test';
import { CampaignProgress, ConnectionView } from '../../src/api/responses';
import { createCampaign, seedCompany, startSystem, type TestSystem, waitForStatus } from '../support/system';

const cloudApi = (baseUrl: string) => ({
  phoneNumberId: '106540352242922',
  accessToken: 'EAAG-throughput-test-token-0123456',
  apiVersion: 'v23.0',
  baseUrl,
  appSecret: 'app-secret-throughput',
  verifyToken: 'verify-token-throughput',
});

/** Only the validation errors' fields, for comparing. */
const fieldsOf = (body: { errors?: Array<{ field: string }> }) => (body.errors ?? []).map((error) => error.field);

describe('a connection’s provider throughput (throughputPerSec)', () => {
  let system: TestSystem;
  before(async () => {
    system = await startSystem('throughput');
  });
  after(() => system.stop());

  test('Cloud API numbers get 80/s unless told; set at creation and by PATCH, validated, shown by GET', async () => {
    const { key } = await seedCompany(system, { contacts: 0 });
    const create = (body: Record<string, unknown>) => system.api('POST', '/v1/connections', body, key);

    const official = await create({ name: 'Oficial', gateway: 'cloud-api', cloudApi: cloudApi('http://127.0.0.1:9') });
    assert.equal(official.status, 201, JSON.stringify(official.body));
    assert.equal(official.body.throughputPerSec, 80);
    ConnectionView.parse(official.body);
    const upgraded = await create({
      name: 'Oficial 2',
      gateway: 'cloud-api',
      cloudApi: cloudApi('http://127.0.0.1:9'),
      throughputPerSec: 1_000,
    });
    assert.equal(upgraded.body.throughputPerSec, 1_000);

    const sandbox = await create({ name: 'Sandbox' });
    assert.equal(sandbox.body.throughputPerSec, null, 'the sandbox simulates none unless told');
    assert.equal((await create({ name: 'Sandbox rápido', throughputPerSec: 250 })).body.throughputPerSec, 250);

    for (const bad of [0, 1_001, 2.5, '80', true]) {
      const refused = await create({
        name: 'Ruim',
        gateway: 'cloud-api',
        cloudApi: cloudApi('http://127.0.0.1:9'),
        throughputPerSec: bad,
      });
      assert.equal(refused.status, 400, `${JSON.stringify(bad)} refused`);
      assert.deepEqual(fieldsOf(refused.body), ['body.throughputPerSec']);
    }
    const web = await create({ name: 'Web', gateway: 'whatsapp-web', throughputPerSec: 80 });
    assert.equal(web.status, 400);
    assert.deepEqual(fieldsOf(web.body), ['body.throughputPerSec']);
    assert.match(web.body.errors[0].message, /not allowed when gateway is whatsapp-web/);

    const id = official.body.id as string;
    const patch = (body: Record<string, unknown>) => system.api('PATCH', `/v1/connections/${id}`, body, key);
    assert.equal((await patch({ throughputPerSec: 1_000 })).body.throughputPerSec, 1_000, 'Meta upgraded the number');
    assert.equal((await system.api('GET', `/v1/connections/${id}`, undefined, key)).body.throughputPerSec, 1_000);
    assert.equal((await patch({ throughputPerSec: null })).body.throughputPerSec, 80, 'null: the default again');
    for (const bad of [0, 1_001, 12.5, 'fast']) {
      const refused = await patch({ throughputPerSec: bad });
      assert.equal(refused.status, 400);
      assert.deepEqual(fieldsOf(refused.body), ['body.throughputPerSec']);
    }
    const unknown = await patch({ throughput: 80 });
    assert.equal(unknown.status, 400);
    assert.deepEqual(fieldsOf(unknown.body), ['body.throughput']);
    assert.equal((await system.api('GET', `/v1/connections/${id}`, undefined, key)).body.throughputPerSec, 80);

    // A sandbox number moved to the Cloud API gets Meta's default; moved back, it simulates the same.
    const moved = await system.api(
      'PATCH',
      `/v1/connections/${sandbox.body.id}`,
      { gateway: 'cloud-api', cloudApi: cloudApi('http://127.0.0.1:9') },
      key,
    );
    assert.equal(moved.status, 200, JSON.stringify(moved.body));
    assert.equal(moved.body.throughputPerSec, 80);
    const list = await system.api('GET', '/v1/connections', undefined, key);
    assert.ok(list.body.items.every((item: { throughputPerSec: unknown }) => 'throughputPerSec' in item));
  });

  test('the lane keeps 1/throughput between starts, judged by the sandbox: 5/s at latency 0, no start-gap violation', async () => {
    const fast = { messageInterval: 0.001, longerIntervalAfter: 100_000, greaterInterval: 60 };
    const seeded = await seedCompany(system, { pacing: fast, contacts: 6, connections: 2 });
    const [limited, free] = seeded.connections as [string, string];
    const set = await system.api('PATCH', `/v1/connections/${limited}`, { throughputPerSec: 5 }, seeded.key);
    assert.equal(set.body.throughputPerSec, 5);
    for (const connectionId of [limited, free]) {
      const campaignId = await createCampaign(system, seeded.key, { connectionId, listId: seeded.listId });
      await system.api('POST', `/v1/campaigns/${campaignId}/start`, undefined, seeded.key);
      await waitForStatus(system, seeded.key, campaignId, 'completed', 30_000);
      const progress = await system.api('GET', `/v1/campaigns/${campaignId}/progress`, undefined, seeded.key);
      CampaignProgress.parse(progress.body);
      assert.equal(progress.body.throughputPerSec, connectionId === limited ? 5 : null);
      const overview = await system.api('GET', `/v1/progress?campaigns=${campaignId}`, undefined, seeded.key);
      assert.equal(overview.body.campaigns[0].throughputPerSec, connectionId === limited ? 5 : null);
    }
    const limitedSends = await system.sandboxSends(limited);
    assert.equal(limitedSends.length, 6);
    assert.deepEqual(
      limitedSends.filter((send) => send.violation),
      [],
      'every start at least 200 ms after the previous one',
    );
    const times = limitedSends.map((send) => send.receivedAt.getTime()).sort((a, b) => a - b);
    assert.ok(
      times.at(-1)! - times[0]! >= 5 * 200 - 5,
      `6 sends at 5/s span at least 1 s: ${times.at(-1)! - times[0]!} ms`,
    );
    const freeSends = await system.sandboxSends(free);
    assert.equal(freeSends.length, 6);
    assert.deepEqual(
      freeSends.filter((send) => send.violation),
      [],
      'no throughput: only the 1 ms pacing gap, which the lane keeps',
    );
  });
});
