import assert from 'node:assert/strict';
import { after, before, describe, test } from 'node:test';
import { LocalCloudApi } from '../support/cloud-api-provider';
import { ADMIN_KEY, seedCompany, startSystem, type TestSystem, waitForStatus, waitUntil } from '../support/system';

const TOKEN = 'EAAG-test-access-token-0001-abcd';
const APP_SECRET = 'test-app-secret-9876';
const WABA_ID = '102290129340398';
const IMAGE = 'https://cdn.loja.example/banner.jpg';

let numbers = 0;

/** The campaign body of a template campaign on `order_update` (pt_BR): image header, three body slots, a URL button. */
function orderUpdate(overrides: Record<string, unknown> = {}) {
  return {
    name: 'order_update',
    language: 'pt_BR',
    headerMediaUrl: IMAGE,
    components: { body: { 1: '{name}', 2: '{order}', 3: '{city}' }, buttons: { 0: '{order}' } },
    ...overrides,
  };
}

/** A company with a cloud-api connection (with its business account id) on its own local provider, and contacts with fields. */
async function seedCloud(system: TestSystem, contacts: number, pacing = 0.05) {
  const phoneNumberId = String(206540352242922 + ++numbers);
  const provider = await new LocalCloudApi({
    phoneNumberId,
    accessToken: TOKEN,
    appSecret: APP_SECRET,
    wabaId: WABA_ID,
  }).start();
  const company = await system.api(
    'POST',
    '/v1/companies',
    {
      name: `Loja ${numbers}`,
      pacing: { messageInterval: pacing, longerIntervalAfter: 50, greaterInterval: pacing * 2 },
    },
    ADMIN_KEY,
  );
  const key = company.body.apiKey as string;
  const connection = await system.api(
    'POST',
    '/v1/connections',
    {
      name: 'Número oficial',
      gateway: 'cloud-api',
      cloudApi: {
        phoneNumberId,
        wabaId: WABA_ID,
        accessToken: TOKEN,
        baseUrl: provider.url,
        appSecret: APP_SECRET,
        verifyToken: 'verify-token-disparo',
      },
    },
    key,
  );
  assert.equal(connection.status, 201, JSON.stringify(connection.body));
  assert.equal(connection.body.cloudApi.wabaId, WABA_ID);
  const list = await system.api('POST', '/v1/contact-lists', { name: 'Clientes' }, key);
  const people = Array.from({ length: contacts }, (_, i) => ({
    phone: `+55119${String(60_000_000 + numbers * 100 + i).padStart(8, '0')}`,
    name: `Cliente ${i}`,
    fields: { order: String(4500 + i), city: i % 2 ? 'Recife' : 'Natal' },
  }));
  await system.api('POST', `/v1/contact-lists/${list.body.id}/contacts`, { contacts: people }, key);
  const campaign = (template: unknown, extra: Record<string, unknown> = {}) =>
    system.api(
      'POST',
      '/v1/campaigns',
      { name: 'Pedidos', connectionId: connection.body.id, listId: list.body.id, template, ...extra },
      key,
    );
  return {
    key,
    provider,
    connectionId: connection.body.id as string,
    listId: list.body.id as string,
    people,
    campaign,
  };
}

/** A second Cloud API number of the same company, on its own local provider (its catalogue may differ). */
async function addNumber(system: TestSystem, key: string) {
  const phoneNumberId = String(206540352242922 + ++numbers);
  const provider = await new LocalCloudApi({
    phoneNumberId,
    accessToken: TOKEN,
    appSecret: APP_SECRET,
    wabaId: WABA_ID,
  }).start();
  const connection = await system.api(
    'POST',
    '/v1/connections',
    {
      name: `Número ${numbers}`,
      gateway: 'cloud-api',
      cloudApi: {
        phoneNumberId,
        wabaId: WABA_ID,
        accessToken: TOKEN,
        baseUrl: provider.url,
        appSecret: APP_SECRET,
        verifyToken: 'verify-token-disparo',
      },
    },
    key,
  );
  assert.equal(connection.status, 201, JSON.stringify(connection.body));
  return { provider, connectionId: connection.body.id as string };
}

/** Requests to the provider's messages endpoint (accepted or refused). */
const sendAttempts = (provider: LocalCloudApi) => provider.received.length;

describe('template campaigns on the Cloud API', () => {
  let system: TestSystem;
  const providers: LocalCloudApi[] = [];
  before(async () => {
    system = await startSystem('cloud-templates', { env: { CLOUD_API_TIMEOUT_MS: '2000' } });
  });
  after(async () => {
    await Promise.all(providers.map((provider) => provider.stop()));
    await system.stop();
  });
  const seed = async (contacts: number, pacing?: number) => {
    const seeded = await seedCloud(system, contacts, pacing);
    providers.push(seeded.provider);
    return seeded;
  };

  test('the catalogue is read from the business account (every page), listed with its slots, and refreshed on demand', async () => {
    const seeded = await seed(1);
    const listed = await system.api('GET', `/v1/connections/${seeded.connectionId}/templates`, undefined, seeded.key);
    assert.equal(listed.status, 200, JSON.stringify(listed.body));
    assert.equal(listed.body.items.length, 4, 'all pages of two were read');
    assert.ok(seeded.provider.templateReads >= 2);
    const order = listed.body.items.find((item: any) => item.name === 'order_update' && item.language === 'pt_BR');
    assert.deepEqual(order.slots, ['body.1', 'body.2', 'body.3', 'buttons.0']);
    assert.equal(order.headerMedia, 'image');
    assert.equal(order.status, 'APPROVED');
    assert.ok(Date.parse(listed.body.fetchedAt) > Date.now() - 60_000);

    const reads = seeded.provider.templateReads;
    await system.api('GET', `/v1/connections/${seeded.connectionId}/templates`, undefined, seeded.key);
    assert.equal(seeded.provider.templateReads, reads, 'a fresh catalogue is served from the database');
    seeded.provider.setTemplateStatus('order_update', 'pt_BR', 'PAUSED');
    const refreshed = await system.api(
      'POST',
      `/v1/connections/${seeded.connectionId}/templates/refresh`,
      undefined,
      seeded.key,
    );
    assert.equal(refreshed.status, 200);
    assert.ok(seeded.provider.templateReads > reads);
    assert.equal(
      refreshed.body.items.find((item: any) => item.name === 'order_update' && item.language === 'pt_BR').status,
      'PAUSED',
    );
    const stored = await system.models.TemplateCatalogue.findById(seeded.connectionId).lean();
    assert.equal(stored?.templates.length, 4);
  });

  test('each contact gets the template with its own parameters, in exactly the request body Meta documents', async () => {
    const seeded = await seed(3);
    const created = await seeded.campaign(orderUpdate());
    assert.equal(created.status, 201, JSON.stringify(created.body));
    assert.equal(created.body.template.name, 'order_update');
    assert.deepEqual(created.body.variants, []);
    const campaignId = created.body.id as string;
    assert.equal((await system.api('POST', `/v1/campaigns/${campaignId}/start`, undefined, seeded.key)).status, 202);
    await waitForStatus(system, seeded.key, campaignId, 'completed', 20_000);

    const sent = seeded.provider.sent;
    assert.equal(sent.length, 3);
    for (const person of seeded.people) {
      const request = sent.find((entry) => entry.body.to === person.phone.slice(1));
      assert.ok(request, `a message to ${person.phone}`);
      assert.deepEqual(request.body, {
        messaging_product: 'whatsapp',
        recipient_type: 'individual',
        to: person.phone.slice(1),
        type: 'template',
        template: {
          name: 'order_update',
          language: { code: 'pt_BR' },
          components: [
            { type: 'header', parameters: [{ type: 'image', image: { link: IMAGE } }] },
            {
              type: 'body',
              parameters: [
                { type: 'text', text: person.name },
                { type: 'text', text: person.fields.order },
                { type: 'text', text: person.fields.city },
              ],
            },
            { type: 'button', sub_type: 'url', index: '0', parameters: [{ type: 'text', text: person.fields.order }] },
          ],
        },
      });
    }
    const shippings = (await system.api('GET', `/v1/campaigns/${campaignId}/shippings`, undefined, seeded.key)).body
      .items as any[];
    const first = shippings.find((shipping) => shipping.phone === seeded.people[0]!.phone);
    assert.equal(first.text, `Olá Cliente 0, seu pedido 4500 para Natal saiu para entrega.`);
    assert.equal(first.template.name, 'order_update');
    assert.deepEqual(first.template.components[1].parameters[1], { type: 'text', text: '4500' });

    const progress = await system.api('GET', `/v1/campaigns/${campaignId}/progress`, undefined, seeded.key);
    assert.deepEqual(progress.body.template, { name: 'order_update', language: 'pt_BR' });
    const overview = await system.api('GET', `/v1/progress?campaigns=${campaignId}`, undefined, seeded.key);
    assert.equal(overview.body.campaigns[0].template.name, 'order_update');
  });

  test('bad mappings answer 400 naming the field, and nothing is created', async () => {
    const seeded = await seed(2);
    const cases: Array<[string, unknown, string[]]> = [
      ['unknown template', orderUpdate({ name: 'no_such_template' }), ['body.template.name']],
      ['a language the template lacks', orderUpdate({ language: 'es' }), ['body.template.language']],
      ['a template that is not approved', { name: 'spring_sale', language: 'pt_BR' }, ['body.template.name']],
      [
        'a slot left empty',
        orderUpdate({ components: { body: { 1: '{name}', 3: '{city}' }, buttons: { 0: '{order}' } } }),
        ['body.template.components.body.2'],
      ],
      [
        'a blank slot',
        orderUpdate({ components: { body: { 1: '{name}', 2: ' ', 3: '{city}' }, buttons: { 0: '{order}' } } }),
        ['body.template.components.body.2'],
      ],
      [
        'a placeholder the list lacks',
        orderUpdate({ components: { body: { 1: '{name}', 2: '{order}', 3: '{state}' }, buttons: { 0: '{order}' } } }),
        ['body.template.components.body.3'],
      ],
      [
        'a slot the template does not have',
        orderUpdate({
          components: { body: { 1: '{name}', 2: '{order}', 3: '{city}', 4: 'x' }, buttons: { 0: '{order}' } },
        }),
        ['body.template.components.body.4'],
      ],
      [
        'no media link for an image header',
        orderUpdate({ headerMediaUrl: undefined }),
        ['body.template.headerMediaUrl'],
      ],
      [
        'a fallback for a placeholder no slot uses',
        orderUpdate({ fallbacks: { state: 'SP' } }),
        ['body.template.fallbacks.state'],
      ],
      ['an empty fallback', orderUpdate({ fallbacks: { city: ' ' } }), ['body.template.fallbacks.city']],
    ];
    for (const [what, template, fields] of cases) {
      const answer = await seeded.campaign(template);
      assert.equal(answer.status, 400, `${what}: ${JSON.stringify(answer.body)}`);
      assert.deepEqual(
        answer.body.errors.map((error: { field: string }) => error.field),
        fields,
        `${what}: ${JSON.stringify(answer.body.errors)}`,
      );
    }
    const both = await seeded.campaign(orderUpdate(), { variants: ['Olá'] });
    assert.equal(both.status, 400);
    assert.deepEqual(
      both.body.errors.map((error: { field: string }) => error.field),
      ['body.template'],
    );
    const list = await system.api('GET', '/v1/campaigns', undefined, seeded.key);
    assert.equal(list.body.items.length, 0, 'no campaign was created');
  });

  test('a template the provider pauses mid-campaign pauses the campaign with the reason; resuming once it is approved finishes it', async () => {
    const seeded = await seed(6, 0.3);
    const created = await seeded.campaign(orderUpdate());
    assert.equal(created.status, 201, JSON.stringify(created.body));
    const campaignId = created.body.id as string;
    await system.api('POST', `/v1/campaigns/${campaignId}/start`, undefined, seeded.key);
    await waitUntil('two template sends', async () => seeded.provider.sent.length >= 2, 20_000, 10);
    seeded.provider.setTemplateStatus('order_update', 'pt_BR', 'PAUSED');

    const paused = await waitForStatus(system, seeded.key, campaignId, 'paused', 20_000);
    assert.match(paused.pausedReason, /^132015: /);
    const sentBeforePause = seeded.provider.sent.length;
    const refusals = seeded.provider.received.filter((entry) => 'code' in entry.answer && entry.answer.code === 132015);
    assert.equal(refusals.length, 1, 'one refusal pauses the campaign: the other contacts are not tried');
    const progress = await system.api('GET', `/v1/campaigns/${campaignId}/progress`, undefined, seeded.key);
    assert.equal(progress.body.status, 'paused');
    assert.match(progress.body.pausedReason, /132015/);
    assert.equal(progress.body.counters.failed, 0, 'no contact failed for it');
    const events = await waitUntil(
      'the CampaignPaused event with its reason',
      async () => {
        const page = await system.api('GET', `/v1/campaigns/${campaignId}/events`, undefined, seeded.key);
        return (page.body?.items ?? []).find((event: any) => event.type === 'CampaignPaused');
      },
      10_000,
    );
    assert.match(events.payload.reason, /^132015: /);
    const refused = (
      await system.api('GET', `/v1/campaigns/${campaignId}/shippings?status=paused`, undefined, seeded.key)
    ).body.items as any[];
    assert.ok(refused.some((shipping) => /^132015: /.test(shipping.lastError ?? '')));

    const stillPaused = await system.api('POST', `/v1/campaigns/${campaignId}/resume`, undefined, seeded.key);
    assert.equal(stillPaused.status, 400, 'resuming checks the template again');
    assert.deepEqual(
      stillPaused.body.errors.map((error: { field: string }) => error.field),
      ['campaign.template.name'],
    );
    seeded.provider.setTemplateStatus('order_update', 'pt_BR', 'APPROVED');
    assert.equal((await system.api('POST', `/v1/campaigns/${campaignId}/resume`, undefined, seeded.key)).status, 202);
    const done = await waitForStatus(system, seeded.key, campaignId, 'completed', 30_000);
    assert.equal(done.counters.sent, 6);
    assert.equal(done.pausedReason, null);
    assert.ok(seeded.provider.sent.length > sentBeforePause);
    const sentTo = seeded.provider.sent.map((entry) => entry.body.to).sort();
    assert.deepEqual(sentTo, seeded.people.map((person) => person.phone.slice(1)).sort(), 'each contact once');
  });

  test('starting checks the template again: one rejected since creation answers 400', async () => {
    const seeded = await seed(1);
    const created = await seeded.campaign({
      name: 'order_update',
      language: 'en_US',
      components: { body: { 1: '{name}', 2: '{order}', 3: 'x' } },
    });
    assert.equal(created.status, 201, JSON.stringify(created.body));
    seeded.provider.setTemplateStatus('order_update', 'en_US', 'DISABLED');
    await system.api('POST', `/v1/connections/${seeded.connectionId}/templates/refresh`, undefined, seeded.key);
    const started = await system.api('POST', `/v1/campaigns/${created.body.id}/start`, undefined, seeded.key);
    assert.equal(started.status, 400);
    assert.match(started.body.errors[0].message, /DISABLED/);
    assert.equal(
      (await system.api('GET', `/v1/campaigns/${created.body.id}`, undefined, seeded.key)).body.status,
      'draft',
    );
  });

  test('a template campaign on several numbers is checked against every number: the 400 names the number lacking it', async () => {
    const seeded = await seed(2);
    const second = await addNumber(system, seeded.key);
    providers.push(second.provider);
    // The second number's business account has order_update in English only.
    second.provider.templates.splice(
      second.provider.templates.findIndex((entry) => entry.name === 'order_update' && entry.language === 'pt_BR'),
      1,
    );
    const both = [seeded.connectionId, second.connectionId];
    const created = await seeded.campaign(orderUpdate(), { connectionId: undefined, connectionIds: both });
    assert.equal(created.status, 400, JSON.stringify(created.body));
    assert.deepEqual(
      created.body.errors.map((error: { field: string }) => error.field),
      ['body.connectionIds.1'],
    );
    assert.match(created.body.errors[0].message, /no pt_BR translation/);

    // PATCH onto both numbers is checked the same way; on the first alone it is fine.
    const single = await seeded.campaign(orderUpdate());
    assert.equal(single.status, 201, JSON.stringify(single.body));
    const patched = await system.api('PATCH', `/v1/campaigns/${single.body.id}`, { connectionIds: both }, seeded.key);
    assert.equal(patched.status, 400, JSON.stringify(patched.body));
    assert.deepEqual(
      patched.body.errors.map((error: { field: string }) => error.field),
      ['body.connectionIds.1'],
    );

    // Start checks every number again: the template paused on the second one since creation.
    const english = {
      name: 'order_update',
      language: 'en_US',
      components: { body: { 1: '{name}', 2: '{order}', 3: '{city}' } },
    };
    const onBoth = await seeded.campaign(english, { connectionId: undefined, connectionIds: both });
    assert.equal(onBoth.status, 201, JSON.stringify(onBoth.body));
    second.provider.setTemplateStatus('order_update', 'en_US', 'PAUSED');
    await system.api('POST', `/v1/connections/${second.connectionId}/templates/refresh`, undefined, seeded.key);
    const started = await system.api('POST', `/v1/campaigns/${onBoth.body.id}/start`, undefined, seeded.key);
    assert.equal(started.status, 400, JSON.stringify(started.body));
    assert.deepEqual(
      started.body.errors.map((error: { field: string }) => error.field),
      ['campaign.connectionIds.1'],
    );
    assert.match(started.body.errors[0].message, /PAUSED/);
    assert.equal(sendAttempts(seeded.provider) + sendAttempts(second.provider), 0);
  });

  test('a scheduled template campaign whose template was paused since is paused when it becomes due, before any send', async () => {
    const seeded = await seed(2);
    const created = await seeded.campaign(orderUpdate(), { scheduledAt: new Date(Date.now() + 2_500).toISOString() });
    assert.equal(created.status, 201, JSON.stringify(created.body));
    const campaignId = created.body.id as string;
    // Meta pauses it after the campaign was checked; nothing in Disparo refreshes the catalogue before it is due.
    seeded.provider.setTemplateStatus('order_update', 'pt_BR', 'PAUSED');

    const paused = await waitForStatus(system, seeded.key, campaignId, 'paused', 20_000);
    assert.match(paused.pausedReason, /^template\.name template order_update \(pt_BR\) is PAUSED/);
    assert.equal(sendAttempts(seeded.provider), 0, 'no contact was tried');
    assert.equal(paused.counters.failed, 0);
    const progress = await system.api('GET', `/v1/campaigns/${campaignId}/progress`, undefined, seeded.key);
    assert.equal(progress.body.pausedReason, paused.pausedReason);
    const event = await waitUntil(
      'the CampaignPaused event with its reason',
      async () => {
        const page = await system.api('GET', `/v1/campaigns/${campaignId}/events`, undefined, seeded.key);
        return (page.body?.items ?? []).find((each: any) => each.type === 'CampaignPaused');
      },
      10_000,
    );
    assert.equal(event.payload.reason, paused.pausedReason);

    seeded.provider.setTemplateStatus('order_update', 'pt_BR', 'APPROVED');
    assert.equal((await system.api('POST', `/v1/campaigns/${campaignId}/resume`, undefined, seeded.key)).status, 202);
    const done = await waitForStatus(system, seeded.key, campaignId, 'completed', 20_000);
    assert.equal(done.counters.sent, 2);
    assert.equal(done.pausedReason, null);
  });

  test('when due, every number of a template campaign is checked: the reason names the one whose template changed', async () => {
    const seeded = await seed(2);
    const second = await addNumber(system, seeded.key);
    providers.push(second.provider);
    const created = await seeded.campaign(orderUpdate(), {
      connectionId: undefined,
      connectionIds: [seeded.connectionId, second.connectionId],
      scheduledAt: new Date(Date.now() + 2_500).toISOString(),
    });
    assert.equal(created.status, 201, JSON.stringify(created.body));
    // On the second number the template got a fourth body parameter: the campaign's mapping no longer fits.
    const changed = second.provider.templates.find(
      (entry) => entry.name === 'order_update' && entry.language === 'pt_BR',
    )!;
    changed.components = changed.components.map((component) =>
      component.type === 'BODY' ? { ...component, text: `${component.text} Código {{4}}.` } : component,
    );

    const paused = await waitForStatus(system, seeded.key, created.body.id, 'paused', 20_000);
    assert.match(paused.pausedReason, /^connectionIds\.1 template\.components\.body\.4 /);
    assert.equal(sendAttempts(seeded.provider) + sendAttempts(second.provider), 0, 'no number sent anything');
  });

  test('when due with the catalogue unreadable (provider down), the stored one is used and a refused send pauses the campaign', async () => {
    const seeded = await seed(3, 0.3);
    const created = await seeded.campaign(orderUpdate(), { scheduledAt: new Date(Date.now() + 2_500).toISOString() });
    assert.equal(created.status, 201, JSON.stringify(created.body));
    const reads = seeded.provider.templateReads;
    seeded.provider.templateReadsFail = true;
    seeded.provider.setTemplateStatus('order_update', 'pt_BR', 'PAUSED');

    const paused = await waitForStatus(system, seeded.key, created.body.id, 'paused', 20_000);
    assert.ok(seeded.provider.templateReads > reads, 'the catalogue was asked for when due');
    assert.match(paused.pausedReason, /^132015: /, 'dispatch paused it on the refusal');
    assert.equal(sendAttempts(seeded.provider), 1, 'one refused send, the other contacts not tried');
    assert.equal(paused.counters.failed, 0);
  });

  test('a contact whose placeholder is empty fails at preparation with TEMPLATE_PARAMETER_EMPTY, never reaching the provider', async () => {
    const seeded = await seed(2);
    const blank = [
      { phone: '+5511970000001', name: 'Sem Cidade', fields: { order: '77', city: '  ' } },
      { phone: '+5511970000002', name: 'Sem Campo', fields: { order: '78' } },
    ];
    const added = await system.api(
      'POST',
      `/v1/contact-lists/${seeded.listId}/contacts`,
      { contacts: blank },
      seeded.key,
    );
    assert.ok(added.status < 300, JSON.stringify(added.body));
    const created = await seeded.campaign(orderUpdate());
    assert.equal(created.status, 201, JSON.stringify(created.body));
    const campaignId = created.body.id as string;
    await system.api('POST', `/v1/campaigns/${campaignId}/start`, undefined, seeded.key);
    const done = await waitForStatus(system, seeded.key, campaignId, 'completed', 20_000);
    assert.equal(done.counters.sent, 2);
    assert.equal(done.counters.failed, 2);

    const tried = seeded.provider.received.map((entry) => entry.body.to);
    for (const person of blank) assert.ok(!tried.includes(person.phone.slice(1)), `${person.phone} never sent`);
    const failed = (
      await system.api('GET', `/v1/campaigns/${campaignId}/shippings?status=failed`, undefined, seeded.key)
    ).body.items as any[];
    assert.deepEqual(failed.map((shipping) => shipping.phone).sort(), blank.map((person) => person.phone).sort());
    for (const shipping of failed)
      assert.equal(
        shipping.lastError,
        'TEMPLATE_PARAMETER_EMPTY: template.components.body.3 ({city}) is empty for this contact',
      );
    const progress = await system.api('GET', `/v1/campaigns/${campaignId}/progress`, undefined, seeded.key);
    assert.equal(progress.body.counters.failed, 2);
    const overview = await system.api('GET', `/v1/progress?campaigns=${campaignId}`, undefined, seeded.key);
    assert.deepEqual(
      overview.body.failures.map((entry: any) => [entry.reason, entry.count]),
      [['TEMPLATE_PARAMETER_EMPTY: template.components.body.3 ({city}) is empty for this contact', 2]],
    );
    const failedEvents = await waitUntil(
      'a MessageFailed event per contact with the code',
      async () => {
        const page = await system.api('GET', `/v1/campaigns/${campaignId}/events`, undefined, seeded.key);
        const found = (page.body?.items ?? []).filter((each: any) => each.type === 'MessageFailed');
        return found.length === 2 ? found : null;
      },
      10_000,
    );
    for (const event of failedEvents) assert.equal(event.payload.code, 'TEMPLATE_PARAMETER_EMPTY');
    const report = await fetch(`${system.apiUrl}/v1/campaigns/${campaignId}/report.csv`, {
      headers: { authorization: `Bearer ${seeded.key}` },
    });
    const csv = await report.text();
    const rows = csv.split('\n').filter((line) => line.includes('TEMPLATE_PARAMETER_EMPTY'));
    assert.equal(rows.length, 2, csv);
  });

  test('a fallback constant fills a placeholder that is empty for a contact: sent, not failed', async () => {
    const seeded = await seed(1);
    const blank = { phone: '+5511970000003', name: 'Sem Cidade', fields: { order: '79', city: '' } };
    await system.api('POST', `/v1/contact-lists/${seeded.listId}/contacts`, { contacts: [blank] }, seeded.key);
    const created = await seeded.campaign(orderUpdate({ fallbacks: { city: 'sua cidade' } }));
    assert.equal(created.status, 201, JSON.stringify(created.body));
    assert.deepEqual(created.body.template.fallbacks, { city: 'sua cidade' });
    await system.api('POST', `/v1/campaigns/${created.body.id}/start`, undefined, seeded.key);
    const done = await waitForStatus(system, seeded.key, created.body.id, 'completed', 20_000);
    assert.equal(done.counters.sent, 2);
    assert.equal(done.counters.failed, 0);
    const request = seeded.provider.sent.find((entry) => entry.body.to === blank.phone.slice(1));
    assert.deepEqual(request?.body.template.components[1].parameters[2], { type: 'text', text: 'sua cidade' });
    const other = seeded.provider.sent.find((entry) => entry.body.to === seeded.people[0]!.phone.slice(1));
    assert.deepEqual(other?.body.template.components[1].parameters[2], { type: 'text', text: 'Natal' });
  });

  test('a Cloud API number without a business account id cannot list templates until one is set', async () => {
    const seeded = await seed(1);
    const cleared = await system.models.Connection.updateOne(
      { _id: seeded.connectionId },
      { $set: { 'cloudApi.wabaId': null } },
    );
    assert.equal(cleared.modifiedCount, 1);
    const refused = await system.api(
      'POST',
      `/v1/connections/${seeded.connectionId}/templates/refresh`,
      undefined,
      seeded.key,
    );
    assert.equal(refused.status, 409);
    assert.match(refused.body.detail, /wabaId/);
    const badWaba = await system.api(
      'PATCH',
      `/v1/connections/${seeded.connectionId}`,
      { cloudApi: { wabaId: 'not-digits' } },
      seeded.key,
    );
    assert.equal(badWaba.status, 400);
    assert.deepEqual(
      badWaba.body.errors.map((error: { field: string }) => error.field),
      ['body.cloudApi.wabaId'],
    );
    const patched = await system.api(
      'PATCH',
      `/v1/connections/${seeded.connectionId}`,
      { cloudApi: { wabaId: WABA_ID } },
      seeded.key,
    );
    assert.equal(patched.status, 200);
    const listed = await system.api(
      'POST',
      `/v1/connections/${seeded.connectionId}/templates/refresh`,
      undefined,
      seeded.key,
    );
    assert.equal(listed.status, 200);
  });
});

describe('template campaigns on the sandbox', () => {
  let system: TestSystem;
  before(async () => {
    system = await startSystem('sandbox-templates');
  });
  after(() => system.stop());

  test('a sandbox number has a built-in catalogue and records each rendered template', async () => {
    const seeded = await seedCompany(system, { contacts: 3 });
    const catalogue = await system.api(
      'GET',
      `/v1/connections/${seeded.connectionId}/templates`,
      undefined,
      seeded.key,
    );
    assert.equal(catalogue.status, 200);
    assert.ok(catalogue.body.items.some((item: any) => item.name === 'order_update' && item.language === 'pt_BR'));
    const created = await system.api(
      'POST',
      '/v1/campaigns',
      {
        name: 'Entrega',
        connectionId: seeded.connectionId,
        listId: seeded.listId,
        template: {
          name: 'order_update',
          language: 'pt_BR',
          components: { header: { 1: '123' }, body: { 1: '{name}', 2: '{city}' }, buttons: { 0: '123' } },
        },
      },
      seeded.key,
    );
    assert.equal(created.status, 201, JSON.stringify(created.body));
    await system.api('POST', `/v1/campaigns/${created.body.id}/start`, undefined, seeded.key);
    await waitForStatus(system, seeded.key, created.body.id, 'completed', 20_000);
    const sends = await system.sandboxSends(seeded.connectionId);
    assert.equal(sends.length, 3);
    const first = sends.find((send) => send.to === '+5511980000000')!;
    assert.equal(first.text, 'Olá Cliente 0, seu pedido para Santos saiu para entrega.');
    assert.deepEqual((first.template as any).components[1], {
      type: 'body',
      parameters: [
        { type: 'text', text: 'Cliente 0' },
        { type: 'text', text: 'Santos' },
      ],
    });
  });
});
