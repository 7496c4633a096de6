import assert from 'node:assert/strict';
import { randomBytes } from 'node:crypto';
import { describe, test } from 'node:test';
import { decideClose, decideWebSendFailure, reconnectDelay } from '../../src/domain/whatsapp/whatsapp-web-errors';
import { contactOfWeb, jidOfPhone, phoneOfJid } from '../../src/domain/whatsapp/whatsapp-web-jid';
import {
  parseSessionKey,
  SessionCipher,
  SessionKeyError,
} from '../../src/infrastructure/gateways/whatsapp-web/session-cipher';

describe('WHATSAPP_SESSION_KEY and the session cipher', () => {
  test('accepts 32 bytes as hex or base64, refuses anything else naming the variable', () => {
    const key = randomBytes(32);
    assert.deepEqual(parseSessionKey(key.toString('hex')), key);
    assert.deepEqual(parseSessionKey(key.toString('base64')), key);
    for (const bad of [undefined, '', 'short', randomBytes(16).toString('base64'), randomBytes(33).toString('hex')])
      assert.throws(
        () => parseSessionKey(bad),
        (error: Error) => {
          assert.ok(error instanceof SessionKeyError);
          assert.match(error.message, /WHATSAPP_SESSION_KEY/);
          return true;
        },
      );
  });

  test('seals with AES-256-GCM: round trip, no plaintext, bound to its id, a wrong key fails clearly', () => {
    const cipher = new SessionCipher(randomBytes(32));
    const secret = JSON.stringify({ noiseKey: 'private-bytes-0123456789' });
    const sealed = cipher.seal(secret, 'abc|creds');
    assert.ok(!JSON.stringify(sealed).includes('private-bytes'));
    assert.equal(cipher.open(sealed, 'abc|creds'), secret);
    assert.notDeepEqual(cipher.seal(secret, 'abc|creds').iv, sealed.iv, 'a fresh IV every time');
    assert.throws(() => cipher.open(sealed, 'other|creds'), SessionKeyError);
    assert.throws(
      () => new SessionCipher(randomBytes(32)).open(sealed, 'abc|creds'),
      /WHATSAPP_SESSION_KEY does not open/,
    );
    const tampered = { ...sealed, data: Buffer.from('x'.repeat(10)).toString('base64') };
    assert.throws(() => cipher.open(tampered, 'abc|creds'), SessionKeyError);
  });
});

describe('WhatsApp Web decisions', () => {
  test('closes: transient ones reconnect, logged out and banned halt, a replaced session is given up', () => {
    for (const code of [408, 428, 503, 515, null]) assert.equal(decideClose(code).action, 'reconnect', String(code));
    assert.deepEqual(decideClose(401), {
      action: 'halt',
      reason: 'logged out from the phone (401)',
      forgetSession: true,
    });
    assert.equal(decideClose(403).action, 'halt');
    assert.equal(decideClose(440).action, 'release');
    assert.deepEqual(
      [1, 2, 3, 4, 10].map((attempt) => reconnectDelay(attempt, 1_000, 5_000)),
      [1_000, 2_000, 4_000, 5_000, 5_000],
    );
  });

  test('send failures map to the gateway error kinds', () => {
    const kind = (statusCode: number | null, message: string) => decideWebSendFailure({ statusCode, message }, 9_000);
    assert.deepEqual(kind(429, 'rate-overlimit'), { kind: 'lane-backoff', code: 'WEB_429', retryAfterMs: 9_000 });
    assert.equal(kind(null, 'rate-overlimit').kind, 'lane-backoff');
    assert.equal(kind(401, 'logged out').kind, 'halt-connection');
    assert.equal(kind(403, 'forbidden').kind, 'halt-connection');
    assert.equal(kind(428, 'Connection Closed').kind, 'retry');
    assert.equal(kind(408, 'Timed Out').kind, 'retry');
    assert.equal(kind(null, 'socket hang up').kind, 'retry');
    assert.equal(kind(400, 'invalid jid').kind, 'permanent');
    assert.equal(kind(406, 'not-acceptable').kind, 'permanent');
  });

  test('JIDs and delivered contacts', () => {
    assert.equal(phoneOfJid('5511999990000@s.whatsapp.net'), '+5511999990000');
    assert.equal(phoneOfJid('5511999990000:7@s.whatsapp.net'), '+5511999990000');
    assert.equal(phoneOfJid('120363000000000000@g.us'), null);
    assert.equal(phoneOfJid('12345678901234@lid'), null);
    assert.equal(jidOfPhone('+5511999990000'), '5511999990000@s.whatsapp.net');
    assert.deepEqual(contactOfWeb({ id: '5511999990000@s.whatsapp.net', notify: 'Ana' }), {
      phone: '+5511999990000',
      name: 'Ana',
    });
    assert.deepEqual(contactOfWeb({ id: '99@lid', phoneNumber: '5521988887777@s.whatsapp.net', name: 'Rui' }), {
      phone: '+5521988887777',
      name: 'Rui',
    });
    assert.equal(contactOfWeb({ id: '120363@g.us', name: 'Grupo' }), null);
  });
});
