import assert from 'node:assert/strict';
import { after, before, describe, test } from 'node:test';
import { parse } from 'csv-parse/sync';
import { Types } from 'mongoose';
import { signWebhookBody } from '../../src/domain/whatsapp/webhook-signature';
import {
  ADMIN_KEY,
  createCampaign,
  seedCompany,
  startSystem,
  type TestSystem,
  waitForStatus,
  waitUntil,
} from '../support/system';

const pacing = { messageInterval: 0.1, longerIntervalAfter: 50, greaterInterval: 0.3 };
/** seedCompany's contacts: +55119 8000 0000 + i. */
const phoneOf = (i: number) => `+55119${String(80_000_000 + i).padStart(8, '0')}`;

describe('opt-out, the suppression list and the automatic pause on failures', () => {
  let system: TestSystem;
  before(async () => {
    system = await startSystem('optout');
  });
  after(() => system.stop());

  /**
   * The phone whose shipping is planned last, once all `count` shippings of the campaign are stored:
   * the audience is planned in _id order, which is not the order seedCompany adds contacts in, so
   * "the last contact added" may well be among the first sent.
   */
  const lastPlanned = async (campaignId: string, count: number): Promise<string> => {
    await waitUntil(
      'every shipping prepared',
      async () => (await system.models.Shipping.countDocuments({ campaignId })) === count,
      15_000,
      20,
    );
    const [last] = await system.models.Shipping.find({ campaignId }).sort({ plannedAt: -1 }).limit(1).lean();
    return last!.phone;
  };

  const events = async (key: string, type: string) =>
    (await system.api('GET', `/v1/events?type=${type}&limit=200`, undefined, key)).body.items as Array<{
      payload: Record<string, unknown>;
    }>;

  test('an opt-out mid-campaign stops the next sends to that contact; a replay changes nothing more', async () => {
    const seeded = await seedCompany(system, { pacing, contacts: 20 });
    const campaignId = await createCampaign(system, seeded.key, {
      connectionId: seeded.connectionId,
      listId: seeded.listId,
    });
    await system.api('POST', `/v1/campaigns/${campaignId}/start`, undefined, seeded.key);
    await waitUntil(
      'a few sends',
      async () => (await system.sandboxSends(seeded.connectionId)).length >= 3,
      15_000,
      20,
    );
    // The contact planned last is still waiting (its shipping stored: on a busy machine the last
    // batch may still be in preparation after three sends, and would be skipped, not cancelled).
    const target = await lastPlanned(campaignId, 20);
    const inbound = (from: string, text: string) =>
      system.api('POST', `/v1/connections/${seeded.connectionId}/sandbox/inbound`, { from, text }, seeded.key);
    const ordinary = await inbound(target, 'quero sair da lista amanhã');
    assert.deepEqual(ordinary.body, { action: 'none', phone: target }, 'not a keyword: an ordinary message');
    const optedOut = await inbound(target, '  sáir ');
    const storedAt = Date.now();
    assert.equal(optedOut.status, 200);
    assert.deepEqual(optedOut.body, { action: 'opted-out', phone: target, changed: true, cancelledShippings: 1 });

    // The same message again (a redelivered webhook) changes nothing and publishes nothing.
    const again = await inbound(target, 'SAIR');
    assert.deepEqual(again.body, { action: 'opted-out', phone: target, changed: false, cancelledShippings: 0 });

    const done = await waitForStatus(system, seeded.key, campaignId, 'completed', 30_000).catch(async (error) => {
      console.error(
        JSON.stringify((await system.api('GET', `/v1/campaigns/${campaignId}`, undefined, seeded.key)).body),
      );
      console.error(JSON.stringify(await system.models.Shipping.find({ campaignId }, { status: 1, phone: 1 }).lean()));
      throw error;
    });
    const sends = await system.sandboxSends(seeded.connectionId);
    const toTarget = sends.filter((send) => send.to === target);
    assert.deepEqual(
      toTarget.filter((send) => send.receivedAt.getTime() >= storedAt),
      [],
      'no send to the contact after its opt-out was stored',
    );
    assert.equal(toTarget.length, 0);
    assert.equal(done.counters.sent, 19);
    assert.equal(done.counters.cancelled, 1);

    const report = parse(
      await (
        await fetch(`${system.apiUrl}/v1/campaigns/${campaignId}/report.csv`, {
          headers: { authorization: `Bearer ${seeded.key}` },
        })
      ).text(),
      { columns: true },
    ) as Array<Record<string, string>>;
    const row = report.find((entry) => entry.phone === `'${target}`)!;
    assert.equal(row.status, 'cancelled');
    assert.equal(row.failure_reason, 'opted out');

    const recorded = await waitUntil(
      'ContactOptedOut recorded',
      async () => {
        const list = await events(seeded.key, 'ContactOptedOut');
        return list.length > 0 ? list : undefined;
      },
      10_000,
    );
    assert.equal(recorded.length, 1, 'one event: the repeated keyword published nothing');
    assert.equal(recorded[0]!.payload.keyword, 'SAIR');
    assert.equal(recorded[0]!.payload.source, 'opt-out');

    // A live replay of the recorded opt-out changes nothing more.
    const before = await system.models.Suppression.find({ phone: target }).lean();
    const replay = await system.api(
      'POST',
      '/v1/admin/replays',
      { mode: 'live', filter: { companyId: seeded.companyId, types: ['ContactOptedOut'] } },
      ADMIN_KEY,
    );
    assert.equal(replay.status, 200, JSON.stringify(replay.body));
    assert.equal(replay.body.published, 1);
    await new Promise((resolve) => setTimeout(resolve, 500));
    assert.deepEqual(await system.models.Suppression.find({ phone: target }).lean(), before);
    const after = (await system.api('GET', `/v1/campaigns/${campaignId}`, undefined, seeded.key)).body;
    assert.deepEqual(after.counters, done.counters);
    assert.equal((await events(seeded.key, 'ContactOptedOut')).length, 1);
  });

  test('a message already in the lane is not sent once the phone is suppressed (dispatch checks)', async () => {
    const seeded = await seedCompany(system, { pacing, contacts: 12 });
    const campaignId = await createCampaign(system, seeded.key, {
      connectionId: seeded.connectionId,
      listId: seeded.listId,
    });
    await system.api('POST', `/v1/campaigns/${campaignId}/start`, undefined, seeded.key);
    await waitUntil(
      'a first send',
      async () => (await system.sandboxSends(seeded.connectionId)).length >= 1,
      15_000,
      20,
    );
    // Only the list entry, written straight to the database: nothing cancels the queued shipping
    // beforehand, so only dispatch's own check can stop it.
    const target = await lastPlanned(campaignId, 12);
    await system.models.Suppression.collection.insertOne({
      _id: new Types.ObjectId(),
      companyId: new Types.ObjectId(seeded.companyId),
      phone: target,
      suppressed: true,
      source: 'api',
      keyword: null,
      connectionId: null,
      suppressedAt: new Date(),
      liftedAt: null,
    });
    const done = await waitForStatus(system, seeded.key, campaignId, 'completed', 30_000);
    assert.equal((await system.sandboxSends(seeded.connectionId)).filter((send) => send.to === target).length, 0);
    assert.equal(done.counters.sent, 11);
    assert.equal(done.counters.cancelled, 1);
  });

  test('the suppression list: API, CSV import, keywords per company; later campaigns skip and count', async () => {
    const seeded = await seedCompany(system, { pacing, contacts: 10 });
    const { key } = seeded;
    const inbound = (from: string, text: string) =>
      system.api('POST', `/v1/connections/${seeded.connectionId}/sandbox/inbound`, { from, text }, key);

    // Keywords are a company setting; a word in both lists is refused.
    const company = await system.api('GET', '/v1/company', undefined, key);
    assert.deepEqual(company.body.optOut.keywords, ['SAIR', 'PARAR', 'CANCELAR', 'STOP', 'DESCADASTRAR']);
    assert.equal(company.body.autoPause.failureRate, 0.2);
    const overlap = await system.api('PATCH', '/v1/company', { optOut: { optInKeywords: ['Sair'] } }, key);
    assert.equal(overlap.status, 400);
    assert.equal(overlap.body.errors[0].field, 'body.optOut');
    const badRate = await system.api('PATCH', '/v1/company', { autoPause: { failureRate: 2 } }, key);
    assert.equal(badRate.status, 400);
    const custom = await system.api('PATCH', '/v1/company', { optOut: { keywords: ['Não quero', 'SAIR'] } }, key);
    assert.equal(custom.status, 200);
    assert.deepEqual(custom.body.optOut.optInKeywords, ['VOLTAR', 'START'], 'the other list kept');

    assert.equal((await inbound(phoneOf(0), 'nao QUERO')).body.action, 'opted-out', 'accents and case ignored');
    assert.equal((await inbound(phoneOf(1), 'STOP')).body.action, 'none', 'STOP is no longer a keyword here');
    const added = await system.api('POST', '/v1/suppressions', { phone: '(11) 98000-0002' }, key);
    assert.equal(added.status, 201);
    assert.equal(added.body.phone, phoneOf(2));
    const csv = await fetch(`${system.apiUrl}/v1/suppressions/imports`, {
      method: 'POST',
      headers: { authorization: `Bearer ${key}`, 'content-type': 'text/csv' },
      body: `name,phone\nX,${phoneOf(3)}\nY,+55 11 98000-0004\nZ,not a phone\nW,${phoneOf(2)}\n`,
    });
    const imported = (await csv.json()) as Record<string, any>;
    assert.equal(csv.status, 201);
    assert.deepEqual(
      [imported.rowsRead, imported.suppressed, imported.alreadySuppressed, imported.rejected],
      [4, 2, 1, 1],
    );

    // The contact opted back in; "VOLTAR" does not lift a suppression the company added.
    assert.deepEqual((await inbound(phoneOf(0), 'Voltar')).body, {
      action: 'opted-in',
      phone: phoneOf(0),
      changed: true,
    });
    assert.equal((await inbound(phoneOf(2), 'VOLTAR')).body.changed, false);

    const listed = await system.api('GET', '/v1/suppressions?limit=2', undefined, key);
    assert.equal(listed.body.items.length, 2);
    const rest = await system.api('GET', `/v1/suppressions?limit=2&cursor=${listed.body.nextCursor}`, undefined, key);
    assert.deepEqual([...listed.body.items, ...rest.body.items].map((item: { phone: string }) => item.phone).sort(), [
      phoneOf(2),
      phoneOf(3),
      phoneOf(4),
    ]);
    assert.equal(rest.body.nextCursor, null);

    // Importing the contacts into a list again never lifts a suppression.
    const reimport = await fetch(`${system.apiUrl}/v1/contact-lists/${seeded.listId}/imports`, {
      method: 'POST',
      headers: { authorization: `Bearer ${key}`, 'content-type': 'text/csv' },
      body: `phone,name\n${phoneOf(2)},Two\n${phoneOf(3)},Three\n`,
    });
    assert.equal(reimport.status, 201);
    assert.equal((await system.api('GET', '/v1/suppressions', undefined, key)).body.items.length, 3);

    const campaignId = await createCampaign(system, key, { connectionId: seeded.connectionId, listId: seeded.listId });
    await system.api('POST', `/v1/campaigns/${campaignId}/start`, undefined, key);
    const done = await waitForStatus(system, key, campaignId, 'completed', 30_000);
    assert.equal(done.counters.suppressed, 3);
    assert.equal(done.counters.sent, 7);
    const sentTo = new Set((await system.sandboxSends(seeded.connectionId)).map((send) => send.to));
    for (const phone of [phoneOf(2), phoneOf(3), phoneOf(4)]) assert.ok(!sentTo.has(phone), `${phone} skipped`);
    assert.ok(sentTo.has(phoneOf(0)), 'the contact that opted back in is sent to');
    const progress = await system.api('GET', `/v1/campaigns/${campaignId}/progress`, undefined, key);
    assert.equal(progress.body.counters.suppressed, 3);
    assert.equal(progress.body.pending, 0);

    const lifted = await system.api('DELETE', `/v1/suppressions/${encodeURIComponent(phoneOf(3))}`, undefined, key);
    assert.equal(lifted.status, 204);
    assert.equal((await system.api('DELETE', `/v1/suppressions/${phoneOf(3).slice(1)}`, undefined, key)).status, 404);
    assert.equal((await system.api('DELETE', '/v1/suppressions/12', undefined, key)).status, 400);
  });

  test('Cloud API webhook messages: signed keywords opt out; unsigned or malformed ones are refused and store nothing', async () => {
    const appSecret = 'optout-app-secret-1234';
    const created = await system.api('POST', '/v1/companies', { name: 'Loja Cloud', pacing }, ADMIN_KEY);
    const key = created.body.apiKey as string;
    const connection = await system.api(
      'POST',
      '/v1/connections',
      {
        name: 'Oficial',
        gateway: 'cloud-api',
        cloudApi: {
          phoneNumberId: '106540352249999',
          accessToken: 'EAAG-test-access-token-optout',
          baseUrl: 'http://127.0.0.1:9',
          appSecret,
          verifyToken: 'verify-token-optout',
        },
      },
      key,
    );
    assert.equal(connection.status, 201, JSON.stringify(connection.body));
    const url = `${system.apiUrl}/webhooks/whatsapp/${connection.body.id}`;
    const payload = (messages: unknown[]) =>
      JSON.stringify({
        object: 'whatsapp_business_account',
        entry: [{ changes: [{ field: 'messages', value: { messaging_product: 'whatsapp', messages } }] }],
      });
    const post = (body: string, signature: string | null) =>
      fetch(url, {
        method: 'POST',
        headers: { 'content-type': 'application/json', ...(signature ? { 'x-hub-signature-256': signature } : {}) },
        body,
      });
    const stop = payload([
      { from: '5511970000001', id: 'wamid.1', timestamp: '1767268800', type: 'text', text: { body: 'PARAR' } },
    ]);
    assert.equal((await post(stop, null)).status, 401);
    assert.equal((await post(stop, 'sha256=00')).status, 401);
    const malformed = payload([{ from: 'not digits', id: 'wamid.2', type: 'text', text: { body: 'SAIR' } }]);
    const refused = await post(malformed, signWebhookBody(malformed, appSecret));
    assert.equal(refused.status, 400);
    assert.equal(await system.models.Suppression.countDocuments({ companyId: created.body.company.id }), 0);

    const ordinary = payload([
      { from: '5511970000002', id: 'wamid.3', type: 'text', text: { body: 'Olá, qual o horário?' } },
      { from: '5511970000002', id: 'wamid.4', type: 'image', image: { id: 'x' } },
    ]);
    const ignored = await post(ordinary, signWebhookBody(ordinary, appSecret));
    assert.equal(ignored.status, 200);
    assert.equal(((await ignored.json()) as any).received.optedOut, 0);

    const accepted = await post(stop, signWebhookBody(stop, appSecret));
    assert.equal(accepted.status, 200);
    assert.equal(((await accepted.json()) as any).received.optedOut, 1);
    const button = payload([
      { from: '5511970000003', id: 'wamid.5', type: 'button', button: { text: 'Descadastrar', payload: 'x' } },
    ]);
    assert.equal(((await (await post(button, signWebhookBody(button, appSecret))).json()) as any).received.optedOut, 1);
    const stored = await system.api('GET', '/v1/suppressions', undefined, key);
    assert.deepEqual(stored.body.items.map((item: { phone: string }) => item.phone).sort(), [
      '+5511970000001',
      '+5511970000003',
    ]);
    assert.equal(
      stored.body.items.find((item: any) => item.phone === '+5511970000001').connectionId,
      connection.body.id,
    );
  });

  test('a campaign pauses itself when its sends keep failing, not on a healthy number; resumes as usual', async () => {
    const failing = await seedCompany(system, { pacing, contacts: 30, sandbox: { failureRate: 0.7 } });
    const tuned = await system.api(
      'PATCH',
      '/v1/company',
      { autoPause: { window: 10, failureRate: 0.3, consecutive: 6 } },
      failing.key,
    );
    assert.equal(tuned.status, 200);
    const healthy = await seedCompany(system, { pacing, contacts: 15 });
    const bad = await createCampaign(system, failing.key, {
      connectionId: failing.connectionId,
      listId: failing.listId,
    });
    const good = await createCampaign(system, healthy.key, {
      connectionId: healthy.connectionId,
      listId: healthy.listId,
    });
    await system.api('POST', `/v1/campaigns/${bad}/start`, undefined, failing.key);
    await system.api('POST', `/v1/campaigns/${good}/start`, undefined, healthy.key);

    const paused = await waitForStatus(system, failing.key, bad, 'paused', 60_000);
    assert.match(paused.autoPaused.reason, /failed/);
    const progress = await system.api('GET', `/v1/campaigns/${bad}/progress`, undefined, failing.key);
    assert.equal(progress.body.autoPaused.reason, paused.autoPaused.reason);
    const recorded = await waitUntil(
      'CampaignAutoPaused recorded',
      async () => {
        const list = await events(failing.key, 'CampaignAutoPaused');
        return list.length > 0 ? list : undefined;
      },
      10_000,
    );
    assert.equal(recorded[0]!.payload.campaignId, bad);
    assert.match(await system.workerMetrics(), /disparo_campaigns_auto_paused_total 1/);

    const completed = await waitForStatus(system, healthy.key, good, 'completed', 30_000);
    assert.equal(completed.autoPaused, null);
    assert.equal(completed.counters.sent, 15);

    // Once the number is fixed, resume: the reason is cleared and the campaign finishes.
    await system.api('PATCH', `/v1/connections/${failing.connectionId}`, { sandbox: { failureRate: 0 } }, failing.key);
    await new Promise((resolve) => setTimeout(resolve, 5_500)); // the gateway's settings cache
    const resumed = await system.api('POST', `/v1/campaigns/${bad}/resume`, undefined, failing.key);
    assert.equal(resumed.status, 202);
    assert.equal(resumed.body.autoPaused, null);
    const finished = await waitForStatus(system, failing.key, bad, 'completed', 60_000);
    assert.equal(finished.counters.sent, 30);
  });
});
