import assert from 'node:assert/strict';
import { test } from 'node:test';
import { redactText, redactValue } from '../../src/infrastructure/observability/redact';

test('phone numbers keep only their last four digits, in any usual spelling', () => {
  for (const phone of [
    '+5511987654321',
    '+55 11 98765-4321',
    '(11) 98765-4321',
    '5511987654321',
    '+1 (415) 555-4321',
  ]) {
    assert.equal(redactText(`send to ${phone} failed`), 'send to [phone …4321] failed', phone);
  }
});

test('ids, dates, counts and durations are not mistaken for phones', () => {
  for (const text of [
    'campaign 65f1a2b3c4d5e6f7a8b9c0d1',
    'at 2026-11-25T13:45:00.000Z',
    '100000 contacts in 39.7 s',
    'id 5f2b9c1e-4a1d-4b7e-9c3f-12ab34cd56ef',
    'sandbox.6a1f0b2c',
  ]) {
    assert.equal(redactText(text), text);
  }
});

test('tokens, API keys, bearer credentials and URL passwords are replaced', () => {
  assert.equal(redactText('token EAAGm0PX4ZCpsBAKZAZC0123 expired'), 'token [redacted token] expired');
  assert.equal(redactText('key dsp_Xy12_abcdefghijk'), 'key dsp_[redacted]');
  assert.equal(redactText('Authorization: Bearer abc.def-ghi_0123'), 'Authorization: Bearer [redacted]');
  assert.equal(redactText('amqp://disparo:s3cret@rabbit:5672'), 'amqp://disparo:[redacted]@rabbit:5672');
});

test('values under secret-sounding keys are replaced whole, at any depth; the input is not changed', () => {
  const input = {
    connection: { accessToken: 'anything', appSecret: 'x', name: 'Loja +55 11 98765-4321' },
    headers: [{ Authorization: 'Basic abc' }],
    count: 3,
  };
  const output = redactValue(input);
  assert.deepEqual(output, {
    connection: { accessToken: '[redacted]', appSecret: '[redacted]', name: 'Loja [phone …4321]' },
    headers: [{ Authorization: '[redacted]' }],
    count: 3,
  });
  assert.equal(input.connection.accessToken, 'anything');
});
