import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import { canApply } from '../../src/domain/campaigns/campaign-status';
import { chooseVariant, personalise, placeholdersOf, renderTemplate } from '../../src/domain/campaigns/personalise';

describe('personalisation', () => {
  test('placeholders take the contact name, phone and custom fields', () => {
    const text = renderTemplate('Olá {name}, sua loja em { city } abre às {hour}h. ({phone})', {
      name: 'Ana',
      phone: '+5511999990000',
      fields: { city: 'Campinas', hour: 9 },
    });
    assert.equal(text, 'Olá Ana, sua loja em Campinas abre às 9h. (+5511999990000)');
  });

  test('a missing field leaves no hole', () => {
    assert.equal(renderTemplate('Oi {name} , tudo bem?', { phone: '+1' }), 'Oi, tudo bem?');
  });

  test('placeholdersOf lists each placeholder once', () => {
    assert.deepEqual(placeholdersOf('{name} {city} {name}'), ['name', 'city']);
  });

  test('the variant is reproducible per contact and spreads over the variants', () => {
    const variants = ['a', 'b', 'c', 'd', 'e'];
    assert.equal(chooseVariant(variants, 'camp', 'contact-1'), chooseVariant(variants, 'camp', 'contact-1'));
    const counts = new Array(5).fill(0);
    for (let i = 0; i < 5_000; i++) counts[chooseVariant(variants, 'camp', `contact-${i}`)]++;
    for (const count of counts) assert.ok(count > 850 && count < 1_150, `uneven spread: ${counts}`);
    assert.equal(personalise(['Hi {name}'], 'c', { id: 'x', name: 'Bo', phone: '+1' }).text, 'Hi Bo');
  });

  test('campaign commands are allowed only from their statuses', () => {
    assert.equal(canApply('resume', 'cancelled'), false);
    assert.equal(canApply('resume', 'paused'), true);
    assert.equal(canApply('pause', 'running'), true);
    assert.equal(canApply('delete', 'scheduled'), false);
    assert.equal(canApply('cancel', 'completed'), false);
  });
});
