import assert from 'node:assert/strict';
import { after, before, describe, test } from 'node:test';
import { seedCloudApiCompany } from '../support/cloud-api-company';
import { ANSWERS, LocalCloudApi } from '../support/cloud-api-provider';
import { sleep } from '../support/collector';
import { createCampaign, startSystem, type TestSystem, waitForStatus } from '../support/system';

const TOKEN = 'EAAG-test-access-token-0001-abcd';
const APP_SECRET = 'test-app-secret-9876';
const VERIFY_TOKEN = 'verify-token-disparo';
const COOL_DOWN_MS = 1_000;
const CONTACT_RETRY_MS = 700;
const pacing = { messageInterval: 0.05, longerIntervalAfter: 50, greaterInterval: 0.2 };

let numbers = 0;
/** Calls the provider refused with 190 in the expired-token test (the metrics test counts them). */
let expiredTokenRefusals = 0;

/** A company, a cloud-api connection pointing at its own local provider, and `contacts` contacts. */
async function seedCloudCompany(system: TestSystem, contacts: number) {
  const phoneNumberId = String(106540352242922 + ++numbers);
  const provider = await new LocalCloudApi({ phoneNumberId, accessToken: TOKEN, appSecret: APP_SECRET }).start();
  const phones = Array.from(
    { length: contacts },
    (_, i) => `+55119${String(70_000_000 + numbers * 100 + i).padStart(8, '0')}`,
  );
  const { key, connection, listId } = await seedCloudApiCompany(system, provider, {
    name: `Loja ${numbers}`,
    pacing,
    phoneNumberId,
    accessToken: TOKEN,
    appSecret: APP_SECRET,
    verifyToken: VERIFY_TOKEN,
    phones,
  });
  const run = async () => {
    const campaignId = await createCampaign(system, key, {
      connectionId: connection.id,
      listId,
      variants: ['Olá {name}!'],
    });
    const started = await system.api('POST', `/v1/campaigns/${campaignId}/start`, undefined, key);
    assert.equal(started.status, 202);
    return campaignId;
  };
  const shippings = async (campaignId: string) =>
    (await system.api('GET', `/v1/campaigns/${campaignId}/shippings?limit=200`, undefined, key)).body.items as any[];
  return {
    key,
    provider,
    connectionId: connection.id as string,
    connection,
    phones,
    digits: phones.map((p) => p.slice(1)),
    run,
    shippings,
  };
}

type Seeded = Awaited<ReturnType<typeof seedCloudCompany>>;

function assertEachContactOnce(seeded: Seeded) {
  const sentTo = seeded.provider.sent.map((request) => request.body.to).sort();
  assert.deepEqual(sentTo, [...seeded.digits].sort(), 'every contact received exactly one message');
}

describe('WhatsApp Business Cloud API gateway', () => {
  let system: TestSystem;
  const providers: LocalCloudApi[] = [];
  before(async () => {
    system = await startSystem('cloud-api', {
      env: {
        CLOUD_API_TIMEOUT_MS: '500',
        CLOUD_API_LANE_COOLDOWN_MS: String(COOL_DOWN_MS),
        CLOUD_API_CONTACT_RETRY_MS: String(CONTACT_RETRY_MS),
      },
    });
  });
  after(async () => {
    await Promise.all(providers.map((provider) => provider.stop()));
    await system.stop();
  });
  const seed = async (contacts: number) => {
    const seeded = await seedCloudCompany(system, contacts);
    providers.push(seeded.provider);
    return seeded;
  };

  test('sends each message through the messages endpoint with the bearer token; secrets are never shown', async () => {
    const seeded = await seed(4);
    const campaignId = await seeded.run();
    const done = await waitForStatus(system, seeded.key, campaignId, 'completed', 20_000);
    assert.equal(done.counters.sent, 4);
    assertEachContactOnce(seeded);
    for (const request of seeded.provider.received) {
      assert.equal(request.path, `/v23.0/${seeded.provider.settings.phoneNumberId}/messages`);
      assert.equal(request.authorization, `Bearer ${TOKEN}`);
      assert.equal(request.body.messaging_product, 'whatsapp');
      assert.equal(request.body.type, 'text');
      assert.match(request.body.text.body, /^Olá Cliente \d!$/);
    }
    const shippings = await seeded.shippings(campaignId);
    assert.ok(
      shippings.every((shipping) => shipping.status === 'sent' && shipping.providerMessageId.startsWith('wamid.')),
    );

    for (const view of [
      seeded.connection,
      (await system.api('GET', `/v1/connections/${seeded.connectionId}`, undefined, seeded.key)).body,
      (await system.api('GET', '/v1/connections', undefined, seeded.key)).body,
    ]) {
      const json = JSON.stringify(view);
      assert.ok(
        !json.includes(TOKEN) && !json.includes(APP_SECRET) && !json.includes(VERIFY_TOKEN),
        `no secret in ${json}`,
      );
    }
    assert.equal(seeded.connection.cloudApi.accessToken, `…${TOKEN.slice(-4)}`);
    assert.equal(seeded.connection.cloudApi.webhookPath, `/webhooks/whatsapp/${seeded.connectionId}`);
  });

  test('5xx, dropped connections and timeouts retry the message until it is sent', async () => {
    const seeded = await seed(3);
    seeded.provider.failNext(ANSWERS.serverError);
    seeded.provider.failNext(ANSWERS.drop);
    seeded.provider.failNext(ANSWERS.hang);
    seeded.provider.failNext(ANSWERS.unavailable);
    const campaignId = await seeded.run();
    const done = await waitForStatus(system, seeded.key, campaignId, 'completed', 30_000);
    assert.equal(done.counters.sent, 3);
    assert.equal(done.counters.failed, 0);
    assertEachContactOnce(seeded);
    assert.equal(seeded.provider.received.length, 7, 'four failed attempts, then three sends');
    const attempts = (await seeded.shippings(campaignId)).reduce((sum, shipping) => sum + shipping.attempts, 0);
    assert.equal(attempts, 7);
  });

  test('the throughput limit (130429) lowers the number’s rate for a while instead of cooling it down; the refused message is sent again', async () => {
    const seeded = await seed(4);
    seeded.provider.failNext(ANSWERS.throughput);
    const campaignId = await seeded.run();
    await waitForStatus(system, seeded.key, campaignId, 'completed', 20_000);
    const [limited, next] = seeded.provider.received;
    assert.ok('code' in limited!.answer && limited!.answer.code === 130429, 'the first send was refused for its rate');
    assert.ok(
      next!.at - limited!.at < COOL_DOWN_MS,
      `sending went on without a whole-number cool-down (next one ${next!.at - limited!.at} ms later)`,
    );
    const lane = await system.models.Lane.findById(seeded.connectionId).lean();
    assert.equal(lane?.coolDownUntil ?? null, null, 'no cool-down recorded on the lane');
    const retried = seeded.provider.sent.filter((request) => request.body.to === limited!.body.to);
    assert.equal(retried.length, 1, 'the refused contact got its message once, later');
    const shipping = (await seeded.shippings(campaignId)).find((each) => each.phone.endsWith(limited!.body.to));
    assert.equal(shipping?.status, 'sent');
    assertEachContactOnce(seeded);
  });

  test('the pair rate limit (131056) retries that contact later while the number sends to the others', async () => {
    const seeded = await seed(4);
    seeded.provider.failNext(ANSWERS.pairRateLimit); // the first contact the number sends to
    const campaignId = await seeded.run();
    await waitForStatus(system, seeded.key, campaignId, 'completed', 20_000);
    assertEachContactOnce(seeded);
    const requests = seeded.provider.received;
    const refused = requests.findIndex((request) => 'code' in request.answer && request.answer.code === 131056);
    const limitedContact = requests[refused]!.body.to as string;
    const retried = requests.findIndex((request, index) => index > refused && request.body.to === limitedContact);
    assert.ok(retried > refused + 1, 'other contacts were sent to before the retry');
    assert.ok(
      requests[retried]!.at - requests[refused]!.at >= CONTACT_RETRY_MS - 50,
      'the contact was retried after the pause',
    );
    const shipping = (await seeded.shippings(campaignId)).find((item) => item.phone === `+${limitedContact}`);
    assert.equal(shipping.attempts, 2);
  });

  test('undeliverable recipients and bad parameters fail the shipping for good, with the code', async () => {
    const seeded = await seed(6);
    const cases = [
      ANSWERS.undeliverable,
      ANSWERS.invalidParameter,
      ANSWERS.missingParameter,
      ANSWERS.invalidParameterValue,
    ] as const;
    for (const [i, answer] of cases.entries()) seeded.provider.failNext(answer, { to: seeded.digits[i] });
    const campaignId = await seeded.run();
    const done = await waitForStatus(system, seeded.key, campaignId, 'completed', 20_000);
    assert.equal(done.counters.sent, 2);
    assert.equal(done.counters.failed, 4);
    const shippings = await seeded.shippings(campaignId);
    cases.forEach((answer, i) => {
      const shipping = shippings.find((item) => item.phone === seeded.phones[i]);
      assert.equal(shipping.status, 'failed');
      assert.equal(shipping.attempts, 1, 'never retried');
      assert.ok(
        shipping.lastError.startsWith(`${typeof answer === 'string' ? '' : answer.error.code}: `),
        shipping.lastError,
      );
    });
  });

  test('the spam rate limit (131048) halts the number and pauses its campaigns until an operator reconnects it', async () => {
    const seeded = await seed(5);
    seeded.provider.failNext(ANSWERS.spamRateLimit, { to: seeded.digits[2] });
    const campaignId = await seeded.run();
    const paused = await waitForStatus(system, seeded.key, campaignId, 'paused', 20_000);
    assert.ok(paused);
    const connection = (await system.api('GET', `/v1/connections/${seeded.connectionId}`, undefined, seeded.key)).body;
    assert.equal(connection.status, 'halted');
    assert.match(connection.haltedReason, /^131048: /);
    const shipping = (await seeded.shippings(campaignId)).find((item) => item.phone === seeded.phones[2]);
    assert.equal(shipping.status, 'paused');
    assert.match(shipping.lastError, /^131048: cloud-api: Spam rate limit hit/);
    const requestsAtHalt = seeded.provider.received.length;
    await sleep(400);
    assert.equal(seeded.provider.received.length, requestsAtHalt, 'nothing is sent on a halted number');

    const refused = await system.api('POST', `/v1/campaigns/${campaignId}/resume`, undefined, seeded.key);
    assert.equal(refused.status, 409);
    assert.match(refused.body.detail, /is halted/);

    const reconnected = await system.api(
      'PATCH',
      `/v1/connections/${seeded.connectionId}`,
      { status: 'connected' },
      seeded.key,
    );
    assert.equal(reconnected.status, 200);
    assert.equal(reconnected.body.status, 'connected');
    assert.equal((await system.api('POST', `/v1/campaigns/${campaignId}/resume`, undefined, seeded.key)).status, 202);
    const done = await waitForStatus(system, seeded.key, campaignId, 'completed', 20_000);
    assert.equal(done.counters.sent, 5);
    assertEachContactOnce(seeded);
  });

  test('an expired token (190) halts the number; a new token by PATCH and a resume finish the campaign', async () => {
    const seeded = await seed(3);
    const newToken = 'EAAG-rotated-access-token-0002-wxyz';
    seeded.provider.acceptToken(newToken);
    const campaignId = await seeded.run();
    await waitForStatus(system, seeded.key, campaignId, 'paused', 20_000);
    const halted = (await system.api('GET', `/v1/connections/${seeded.connectionId}`, undefined, seeded.key)).body;
    assert.equal(halted.status, 'halted');
    assert.match(halted.haltedReason, /^190: /);
    // A 50 ms gap is a throughput lane: when a round trip takes longer (a loaded machine), the next
    // call starts before the first 190 comes back, and is refused too. Calls already out may still
    // arrive; none may start after the halt.
    await sleep(400);
    const refused = seeded.provider.received;
    const atHalt = refused.length;
    assert.ok(atHalt >= 1, 'the expired token was refused');
    assert.ok(
      refused.every((request) => 'code' in request.answer && request.answer.code === 190),
      JSON.stringify(refused.map((request) => request.answer)),
    );
    expiredTokenRefusals += atHalt;
    await sleep(400);
    assert.equal(seeded.provider.received.length, atHalt, 'nothing is sent on a halted number');

    const patched = await system.api(
      'PATCH',
      `/v1/connections/${seeded.connectionId}`,
      { cloudApi: { accessToken: newToken }, status: 'connected' },
      seeded.key,
    );
    assert.equal(patched.status, 200, JSON.stringify(patched.body));
    assert.equal(patched.body.cloudApi.accessToken, '…wxyz');
    assert.equal(patched.body.cloudApi.phoneNumberId, seeded.provider.settings.phoneNumberId, 'other settings kept');
    assert.equal((await system.api('POST', `/v1/campaigns/${campaignId}/resume`, undefined, seeded.key)).status, 202);
    await waitForStatus(system, seeded.key, campaignId, 'completed', 20_000);
    assertEachContactOnce(seeded);
    assert.ok(seeded.provider.sent.every((request) => request.authorization === `Bearer ${newToken}`));
  });

  test('every decision above is counted in the metrics, by gateway, provider code and decision', async () => {
    const text = await system.workerMetrics();
    const count = (code: string, decision: string) =>
      Number(
        new RegExp(
          `^disparo_gateway_errors_total\\{gateway="cloud-api",code="${code}",decision="${decision}"\\} (\\d+)$`,
          'm',
        ).exec(text)?.[1] ?? 0,
      );
    assert.ok(
      count('131000', 'retry') >= 1,
      `5xx retried:\n${text
        .split('\n')
        .filter((line) => line.startsWith('disparo_gateway'))
        .join('\n')}`,
    );
    assert.ok(count('133004', 'retry') >= 1);
    assert.equal(count('130429', 'lane-backoff'), 1);
    assert.equal(count('131056', 'contact-later'), 1);
    assert.equal(count('131026', 'permanent'), 1);
    for (const code of ['100', '131008', '131009'])
      assert.equal(count(code, 'permanent'), 1, `bad parameters (${code})`);
    assert.equal(count('131048', 'halt-connection'), 1);
    assert.equal(count('190', 'halt-connection'), expiredTokenRefusals, 'each refused call of the expired token');
    assert.match(text, /^disparo_sends_total\{connection_id="[0-9a-f]{24}",outcome="sent"\} [1-9]/m);
    assert.match(text, /^disparo_sends_total\{connection_id="[0-9a-f]{24}",outcome="permanent"\} [1-9]/m);
    assert.match(text, /^disparo_send_lag_seconds_count [1-9]/m);
  });

  test('a connection switches between sandbox and cloud-api by PATCH', async () => {
    const seeded = await seed(1);
    const toSandbox = await system.api(
      'PATCH',
      `/v1/connections/${seeded.connectionId}`,
      { gateway: 'sandbox' },
      seeded.key,
    );
    assert.equal(toSandbox.body.gateway, 'sandbox');
    const campaignId = await seeded.run();
    await waitForStatus(system, seeded.key, campaignId, 'completed', 20_000);
    assert.equal(seeded.provider.received.length, 0);
    assert.equal((await system.sandboxSends(seeded.connectionId)).length, 1);
    const back = await system.api(
      'PATCH',
      `/v1/connections/${seeded.connectionId}`,
      { gateway: 'cloud-api' },
      seeded.key,
    );
    assert.equal(back.body.gateway, 'cloud-api');
    const bad = await system.api('POST', '/v1/connections', { name: 'x', gateway: 'cloud-api' }, seeded.key);
    assert.equal(bad.status, 400);
    assert.deepEqual(
      bad.body.errors.map((error: { field: string }) => error.field),
      ['body.cloudApi'],
    );
  });
});

describe('WhatsApp status webhooks', () => {
  let system: TestSystem;
  let seeded: Seeded;
  let campaignId: string;
  let ids: string[];
  const webhookUrl = () => `${system.apiUrl}/webhooks/whatsapp/${seeded.connectionId}`;
  const send = (statuses: Parameters<LocalCloudApi['statusWebhook']>[0], signing?: 'good' | 'bad' | 'none') =>
    seeded.provider.deliverWebhook(webhookUrl(), seeded.provider.statusWebhook(statuses), signing);
  const counters = async () =>
    (await system.api('GET', `/v1/campaigns/${campaignId}/progress`, undefined, seeded.key)).body.counters;
  const shippingOf = async (id: string) =>
    (await seeded.shippings(campaignId)).find((shipping) => shipping.providerMessageId === id);

  before(async () => {
    system = await startSystem('cloud-webhooks');
    seeded = await seedCloudCompany(system, 4);
    campaignId = await seeded.run();
    await waitForStatus(system, seeded.key, campaignId, 'completed', 20_000);
    ids = seeded.provider.sent.map((request) => (request.answer as { id: string }).id);
  });
  after(async () => {
    await seeded.provider.stop();
    await system.stop();
  });

  test('the verification handshake echoes the challenge only for the right verify token', async () => {
    const verify = (token: string, mode = 'subscribe') =>
      fetch(`${webhookUrl()}?hub.mode=${mode}&hub.verify_token=${encodeURIComponent(token)}&hub.challenge=1158201444`);
    const good = await verify(VERIFY_TOKEN);
    assert.equal(good.status, 200);
    assert.equal(await good.text(), '1158201444');
    assert.equal((await verify('wrong-token')).status, 403);
    assert.equal((await verify(VERIFY_TOKEN, 'unsubscribe')).status, 403);
    assert.equal(
      (
        await fetch(
          `${system.apiUrl}/webhooks/whatsapp/0123456789abcdef01234567?hub.mode=subscribe&hub.verify_token=${VERIFY_TOKEN}&hub.challenge=1`,
        )
      ).status,
      404,
    );
  });

  test('unsigned or wrongly signed webhooks are refused with 401 and change nothing', async () => {
    const statuses = [{ id: ids[0]!, status: 'read' }];
    assert.equal((await send(statuses, 'none')).status, 401);
    assert.equal((await send(statuses, 'bad')).status, 401);
    const body = seeded.provider.statusWebhook(statuses);
    const tampered = await fetch(webhookUrl(), {
      method: 'POST',
      headers: {
        'content-type': 'application/json',
        'x-hub-signature-256': (await import('../../src/domain/whatsapp/webhook-signature.js')).signWebhookBody(
          body,
          APP_SECRET,
        ),
      },
      body: body.replace('"read"', '"delivered"'),
    });
    assert.equal(tampered.status, 401, 'the signature covers the raw body');
    assert.equal((await shippingOf(ids[0]!)).deliveryStatus, null);
    assert.equal((await counters()).read, 0);
  });

  test('statuses apply in any order; a late "sent" never overwrites "read"; counters move once', async () => {
    const [first, second] = ids as [string, string];
    const t = Math.floor(Date.now() / 1000);
    assert.equal((await send([{ id: first, status: 'read', timestamp: t + 20 }])).status, 200);
    assert.equal(
      (
        await send([
          { id: first, status: 'delivered', timestamp: t + 10 },
          { id: first, status: 'sent', timestamp: t },
        ])
      ).status,
      200,
    );
    const shipping = await shippingOf(first);
    assert.equal(shipping.deliveryStatus, 'read');
    assert.equal(new Date(shipping.readAt).getTime(), (t + 20) * 1000);
    assert.equal(new Date(shipping.deliveredAt).getTime(), (t + 10) * 1000, 'the earliest delivery time is kept');

    await send([{ id: second, status: 'sent' }]);
    await send([{ id: second, status: 'delivered' }]);
    assert.equal((await shippingOf(second)).deliveryStatus, 'delivered');
    const progress = await counters();
    assert.equal(progress.delivered, 2);
    assert.equal(progress.read, 1);
  });

  test('a replayed signed body is harmless', async () => {
    const third = ids[2]!;
    const body = seeded.provider.statusWebhook([
      { id: third, status: 'delivered' },
      { id: third, status: 'read' },
    ]);
    const before = await counters();
    for (let i = 0; i < 3; i++) assert.equal((await seeded.provider.deliverWebhook(webhookUrl(), body)).status, 200);
    const afterReplays = await counters();
    assert.equal(afterReplays.delivered, before.delivered + 1);
    assert.equal(afterReplays.read, before.read + 1);
    assert.equal((await shippingOf(third)).deliveryStatus, 'read');
  });

  test('a "failed" status records why the message was not delivered', async () => {
    const fourth = ids[3]!;
    const answer = await send([
      { id: fourth, status: 'failed', errors: [{ code: 131026, title: 'Message undeliverable' }] },
      { id: 'wamid.unknown', status: 'delivered' },
    ]);
    assert.equal(answer.status, 200);
    assert.deepEqual(answer.body.received, {
      applied: 1,
      stale: 0,
      unknown: 1,
      ignored: 0,
      messages: 0,
      optedOut: 0,
      optedIn: 0,
    });
    const shipping = await shippingOf(fourth);
    assert.equal(shipping.deliveryStatus, 'failed');
    assert.equal(shipping.failedReason, '131026: Message undeliverable');
    assert.equal((await counters()).undelivered, 1);
  });
});
