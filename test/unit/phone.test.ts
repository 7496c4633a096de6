import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import { normalisePhone } from '../../src/domain/contacts/phone';

describe('phone normalisation', () => {
  test('national and international forms become E.164', () => {
    assert.deepEqual(normalisePhone('(11) 99876-5432', 'BR'), { valid: true, e164: '+5511998765432' });
    assert.deepEqual(normalisePhone('+55 11 99876 5432', 'US'), { valid: true, e164: '+5511998765432' });
    assert.deepEqual(normalisePhone('0055 11 99876-5432', 'BR'), { valid: true, e164: '+5511998765432' });
    assert.deepEqual(normalisePhone('+1 (415) 555-2671', 'BR'), { valid: true, e164: '+14155552671' });
  });

  test('malformed numbers are rejected with a reason', () => {
    assert.equal(normalisePhone('', 'BR').valid, false);
    assert.match((normalisePhone('call me', 'BR') as { reason: string }).reason, /letters/);
    assert.match((normalisePhone('12345', 'BR') as { reason: string }).reason, /valid|phone/);
  });
});
