import assert from 'node:assert/strict';
import { after, before, describe, test } from 'node:test';
import { GatewayError, isRateLimited } from '../../src/domain/whatsapp/gateway';
import { CloudApiGateway } from '../../src/infrastructure/gateways/cloud-api/cloud-api-gateway';
import { ANSWERS, LocalCloudApi } from '../support/cloud-api-provider';

const settings = {
  phoneNumberId: '106540352242922',
  accessToken: 'EAAG-rate-limit-test-token-0123',
  appSecret: 'app-secret-rate',
};

/**
 * The local Cloud API enforces a throughput per phone number id like Meta (130429 "Rate limit hit",
 * HTTP 400, past it), and the gateway maps that answer to a lane-backoff marked rate-limited.
 */
describe('Cloud API throughput (130429) against the local provider', () => {
  let provider: LocalCloudApi;
  let gateway: CloudApiGateway;

  before(async () => {
    provider = await new LocalCloudApi(settings).start();
    gateway = new CloudApiGateway(
      { ...settings, apiVersion: 'v23.0', baseUrl: provider.url },
      { timeoutMs: 5_000, laneCoolDownMs: 60_000, contactRetryMs: 60_000 },
    );
  });
  after(() => provider.stop());

  const send = (i: number) =>
    gateway.send({ idempotencyKey: `k${i}`, to: `+55119876500${String(i).padStart(2, '0')}`, text: `Olá ${i}` });

  test('past its rate the provider answers Meta’s 130429 shape, HTTP 400', async () => {
    provider.enforceRate(2);
    const url = `${provider.url}/v23.0/${settings.phoneNumberId}/messages`;
    const post = () =>
      fetch(url, {
        method: 'POST',
        headers: { authorization: `Bearer ${settings.accessToken}`, 'content-type': 'application/json' },
        body: JSON.stringify({ messaging_product: 'whatsapp', to: '5511987650000', type: 'text', text: { body: 'x' } }),
      });
    assert.equal((await post()).status, 200);
    assert.equal((await post()).status, 200);
    const refused = await post();
    assert.equal(refused.status, 400);
    const body = (await refused.json()) as { error: Record<string, unknown> };
    assert.equal(body.error.code, 130429);
    assert.equal(body.error.type, 'OAuthException');
    assert.equal(body.error.message, '(#130429) Rate limit hit');
    assert.deepEqual(body.error.error_data, {
      messaging_product: 'whatsapp',
      details: 'Cloud API message throughput has been reached.',
    });
    assert.match(String(body.error.fbtrace_id), /^A/);
  });

  test('a burst past the rate: the first N sent, the rest refused as rate-limited lane-backoffs; the next second sends again', async () => {
    provider.enforceRate(5);
    const before = provider.sent.length;
    const outcomes = await Promise.allSettled(Array.from({ length: 12 }, (_, i) => send(i)));
    const sent = outcomes.filter((outcome) => outcome.status === 'fulfilled');
    const refused = outcomes.flatMap((outcome) => (outcome.status === 'rejected' ? [outcome.reason] : []));
    assert.equal(sent.length, 5);
    assert.equal(refused.length, 7);
    for (const error of refused) {
      assert.ok(error instanceof GatewayError);
      assert.equal(error.kind, 'lane-backoff', 'today’s reaction: the number cools down');
      assert.equal(error.code, '130429');
      assert.equal(error.retryAfterMs, 60_000);
      assert.equal(error.rateLimited, true);
      assert.ok(isRateLimited(error));
      assert.match(error.message, /Rate limit hit/);
    }
    assert.equal(provider.sent.length - before, 5);
    await new Promise((resolve) => setTimeout(resolve, 1_050));
    await send(99);
  });

  test('sends spaced at the rate are never refused', async () => {
    provider.enforceRate(20);
    const refusedBefore = provider.rateLimited;
    for (let i = 0; i < 30; i++) {
      const started = performance.now();
      await send(i);
      const wait = 1_000 / 20 - (performance.now() - started);
      if (wait > 0) await new Promise((resolve) => setTimeout(resolve, wait + 1));
    }
    assert.equal(provider.rateLimited, refusedBefore);
  });

  test('other throttles keep their meaning: the app’s call limit is a lane-backoff, not rate-limited', async () => {
    provider.enforceRate(null);
    provider.failNext({
      httpStatus: 400,
      error: { message: '(#80007) Rate limit issues', type: 'OAuthException', code: 80007 },
    });
    const error = await send(1).catch((failure: unknown) => failure);
    assert.ok(error instanceof GatewayError);
    assert.equal(error.kind, 'lane-backoff');
    assert.equal(error.rateLimited, false);
    provider.failNext(ANSWERS.throughput);
    const scripted = await send(2).catch((failure: unknown) => failure);
    assert.ok(isRateLimited(scripted));
  });
});
