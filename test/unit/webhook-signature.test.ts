import assert from 'node:assert/strict';
import { createHmac } from 'node:crypto';
import { describe, test } from 'node:test';
import { isValidWebhookSignature, sameSecretText, signWebhookBody } from '../../src/domain/whatsapp/webhook-signature';

const secret = 'app-secret-123';
const body = '{"object":"whatsapp_business_account","entry":[]}';

describe('webhook signature (X-Hub-Signature-256)', () => {
  test('is the hex HMAC-SHA256 of the raw body with the app secret', () => {
    assert.equal(signWebhookBody(body, secret), `sha256=${createHmac('sha256', secret).update(body).digest('hex')}`);
  });

  test('a good signature passes, in either hex case', () => {
    assert.ok(isValidWebhookSignature(body, signWebhookBody(body, secret), secret));
    assert.ok(
      isValidWebhookSignature(body, signWebhookBody(body, secret).toUpperCase().replace('SHA256=', 'sha256='), secret),
    );
  });

  test('missing, malformed, wrong secret or altered body fail', () => {
    assert.equal(isValidWebhookSignature(body, undefined, secret), false);
    assert.equal(isValidWebhookSignature(body, '', secret), false);
    assert.equal(isValidWebhookSignature(body, 'sha256=abc', secret), false);
    assert.equal(
      isValidWebhookSignature(body, signWebhookBody(body, secret).replace('sha256=', 'sha1='), secret),
      false,
    );
    assert.equal(isValidWebhookSignature(body, signWebhookBody(body, 'other'), secret), false);
    assert.equal(isValidWebhookSignature(`${body} `, signWebhookBody(body, secret), secret), false);
    assert.equal(
      isValidWebhookSignature(body, signWebhookBody(body, ''), ''),
      false,
      'no secret configured: nothing passes',
    );
  });

  test('verify tokens compare in constant time and never match when missing', () => {
    assert.ok(sameSecretText('token-1', 'token-1'));
    assert.equal(sameSecretText('token-1', 'token-2'), false);
    assert.equal(sameSecretText(undefined, 'token-1'), false);
    assert.equal(sameSecretText('', ''), false);
  });
});
