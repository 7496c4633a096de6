import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import { decideCloudApiFailure } from '../../src/domain/whatsapp/cloud-api-errors';
import { cloudApiMessageBody } from '../../src/infrastructure/gateways/cloud-api/cloud-api-gateway';

const backoff = { laneCoolDownMs: 60_000, contactRetryMs: 30_000 };
const http = (httpStatus: number, code: number | null) =>
  decideCloudApiFailure({ kind: 'http', httpStatus, code, message: 'x' }, backoff);

describe('Cloud API error → decision', () => {
  test('network errors, timeouts and 5xx retry this message', () => {
    assert.deepEqual(decideCloudApiFailure({ kind: 'timeout' }, backoff), {
      kind: 'retry',
      code: 'TIMEOUT',
      retryAfterMs: null,
      rateLimited: false,
    });
    assert.deepEqual(decideCloudApiFailure({ kind: 'network', message: 'ECONNRESET' }, backoff), {
      kind: 'retry',
      code: 'NETWORK',
      retryAfterMs: null,
      rateLimited: false,
    });
    assert.deepEqual(http(500, 131000), { kind: 'retry', code: '131000', retryAfterMs: null, rateLimited: false });
    assert.deepEqual(http(503, null), { kind: 'retry', code: 'HTTP_503', retryAfterMs: null, rateLimited: false });
    assert.equal(http(502, 999_999).kind, 'retry', 'an unknown code on a 5xx');
  });

  test('the throughput limit cools the whole lane down', () => {
    // Meta answers 130429 with HTTP 400; the status does not change the decision.
    const throughput = { kind: 'lane-backoff', code: '130429', retryAfterMs: 60_000, rateLimited: true };
    assert.deepEqual(http(400, 130429), throughput);
    assert.deepEqual(http(429, 130429), throughput);
    assert.equal(http(400, 80007).kind, 'lane-backoff');
    assert.equal(http(429, null).kind, 'lane-backoff');
  });

  test('only the number’s own rate (130429, a bare 429) is marked rate-limited, not the app’s or the account’s', () => {
    assert.equal(http(400, 130429).rateLimited, true);
    assert.equal(http(429, null).rateLimited, true);
    assert.equal(http(400, 4).rateLimited, false);
    assert.equal(http(400, 80007).rateLimited, false);
    assert.equal(http(400, 131056).rateLimited, false, 'the pair rate limit is one contact, not the number');
    assert.equal(http(400, 131048).rateLimited, false);
  });

  test('the pair rate limit retries this contact later', () => {
    assert.deepEqual(http(400, 131056), {
      kind: 'contact-later',
      code: '131056',
      retryAfterMs: 30_000,
      rateLimited: false,
    });
  });

  test('spam rate limit and bad tokens halt the connection', () => {
    for (const code of [131048, 190, 368, 131031]) assert.equal(http(400, code).kind, 'halt-connection', String(code));
    assert.deepEqual(http(401, 190), { kind: 'halt-connection', code: '190', retryAfterMs: null, rateLimited: false });
    assert.equal(http(401, null).kind, 'halt-connection');
  });

  test('undeliverable recipients and bad parameters fail the shipping for good', () => {
    for (const code of [131026, 100, 131008, 131009, 131047, 132005, 132007, 132012])
      assert.equal(http(400, code).kind, 'permanent', String(code));
    assert.equal(http(404, null).kind, 'permanent');
  });

  test('a template that cannot be sent any more (paused, disabled, gone, changed) pauses the campaign', () => {
    for (const code of [132000, 132001, 132015, 132016])
      assert.equal(http(400, code).kind, 'pause-campaign', String(code));
  });
});

describe('Cloud API message bodies', () => {
  const base = { idempotencyKey: 'k', to: '+5511987654321', text: 'Olá Ana' };

  test('text, without the plus sign', () => {
    assert.deepEqual(cloudApiMessageBody(base), {
      messaging_product: 'whatsapp',
      recipient_type: 'individual',
      to: '5511987654321',
      type: 'text',
      text: { body: 'Olá Ana', preview_url: false },
    });
  });

  test('media by URL with the text as caption', () => {
    const body = cloudApiMessageBody({ ...base, mediaUrl: 'https://cdn.example.com/promo.JPG?x=1' });
    assert.equal(body.type, 'image');
    assert.deepEqual(body.image, { link: 'https://cdn.example.com/promo.JPG?x=1', caption: 'Olá Ana' });
    assert.equal(cloudApiMessageBody({ ...base, mediaUrl: 'https://cdn.example.com/catalogo.pdf' }).type, 'document');
    assert.equal(cloudApiMessageBody({ ...base, mediaUrl: 'https://cdn.example.com/v.mp4' }).type, 'video');
  });

  test('templates', () => {
    const body = cloudApiMessageBody({
      ...base,
      template: {
        name: 'boas_vindas',
        language: 'pt_BR',
        components: [{ type: 'body', parameters: [{ type: 'text', text: 'Ana' }] }],
      },
    });
    assert.equal(body.type, 'template');
    assert.deepEqual(body.template, {
      name: 'boas_vindas',
      language: { code: 'pt_BR' },
      components: [{ type: 'body', parameters: [{ type: 'text', text: 'Ana' }] }],
    });
  });
});
