import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import { contactUpsert, mergeByPhone } from '../../src/domain/contacts/contact-changes';
import { readHeader, readRow } from '../../src/domain/contacts/csv-rows';
import { NOT_ON_WHATSAPP, planSyncPage, syncedContacts } from '../../src/domain/contacts/sync-page';

const LIST = 'aaaaaaaaaaaaaaaaaaaaaaaa';
describe('sync page planning', () => {
  test('phones become E.164 with the region, one entry per number; malformed ones are kept with a reason', () => {
    const page = planSyncPage(
      [
        { phone: '(11) 99876-5432', name: 'Ana' },
        { phone: '+55 11 99876 5432' },
        { phone: 'call me' },
        { phone: '12345', name: 'X' },
        { phone: '  ' },
      ],
      'BR',
    );
    assert.deepEqual(page.numbers, [{ phone: '+5511998765432', name: 'Ana' }]);
    assert.deepEqual(
      page.invalid.map((contact) => contact.phone),
      ['call me', '12345'],
    );
    assert.match(page.invalid[0]!.reason, /letters/);
  });

  test('the on-WhatsApp answer becomes the validation outcome', () => {
    const page = planSyncPage(
      [{ phone: '+5511998765432' }, { phone: '+5521987654321' }, { phone: '+5531987654321' }, { phone: 'abc' }],
      'BR',
    );
    const contacts = syncedContacts(
      page,
      new Map([
        ['+5511998765432', true],
        ['+5521987654321', false],
      ]),
    );
    assert.deepEqual(
      contacts.map((contact) => contact.validation),
      [
        { valid: true, onWhatsApp: true, rejectReason: null },
        { valid: true, onWhatsApp: false, rejectReason: NOT_ON_WHATSAPP },
        { valid: true, onWhatsApp: null, rejectReason: null },
        { valid: false, onWhatsApp: null, rejectReason: 'phone contains letters' },
      ],
    );
    assert.ok(contacts.every((contact) => contact.nameOnlyIfMissing));
  });
});

describe('contact upserts', () => {
  const now = new Date('2026-01-01T00:00:00Z');

  test('one entry per phone: later name and validation win, fields merge', () => {
    const merged = mergeByPhone([
      { phone: '+5511998765432', name: 'Ana', fields: { city: 'Santos' } },
      { phone: '+5521987654321', name: 'Rui' },
      { phone: '+5511998765432', fields: { plan: 'gold' } },
    ]);
    assert.deepEqual(merged[0], {
      phone: '+5511998765432',
      name: 'Ana',
      fields: { city: 'Santos', plan: 'gold' },
      validation: undefined,
      listId: undefined,
    });
    assert.equal(merged.length, 2);
  });

  test('an import sets name and each field and adds the list; defaults only on insert (so a repeat modifies nothing)', () => {
    assert.deepEqual(
      contactUpsert({ phone: '+5511998765432', name: 'Ana', fields: { city: 'Santos' }, listId: LIST }, now),
      {
        set: { name: 'Ana', 'fields.city': 'Santos' },
        setOnInsert: { updatedAt: now, valid: true, onWhatsApp: null, rejectReason: null, checkedAt: null },
        addToSetList: LIST,
      },
    );
  });

  test("a sync records the check outcome; an address book's name is only used for a new contact", () => {
    const upsert = contactUpsert(
      {
        phone: '+5511998765432',
        name: 'Aninha',
        nameOnlyIfMissing: true,
        validation: { valid: true, onWhatsApp: false, rejectReason: NOT_ON_WHATSAPP },
      },
      now,
    );
    assert.deepEqual(upsert, {
      set: { valid: true, onWhatsApp: false, rejectReason: NOT_ON_WHATSAPP, checkedAt: now },
      setOnInsert: { updatedAt: now, name: 'Aninha', fields: {}, listIds: [] },
      addToSetList: null,
    });
  });
});

describe('CSV rows', () => {
  const header = (cells: string[]) => {
    const read = readHeader(cells);
    assert.ok(read.ok, 'header reads');
    return read.header;
  };

  test('the header needs a phone column; other columns become fields', () => {
    assert.deepEqual(header(['Name', 'Phone', 'city', 'plan']), {
      phone: 1,
      name: 0,
      fields: [
        { key: 'city', index: 2 },
        { key: 'plan', index: 3 },
      ],
      width: 4,
    });
    assert.match((readHeader(['name', 'tel']) as { reason: string }).reason, /no "phone" column/);
    assert.match((readHeader(['phone', 'a b']) as { reason: string }).reason, /not a valid field name/);
    assert.match((readHeader(['phone', 'city', 'City']) as { reason: string }).reason, /twice/);
  });

  test('a good row becomes a contact of the list; bad phones and missing columns are reported with their line', () => {
    const h = header(['name', 'phone', 'city']);
    assert.deepEqual(readRow(h, ['Ana', '(11) 99876-5432', 'Santos'], 2, 'BR', LIST), {
      ok: true,
      contact: { phone: '+5511998765432', name: 'Ana', fields: { city: 'Santos' }, listId: LIST },
    });
    assert.deepEqual(readRow(h, ['Ana', '(11) 99876-5432', ''], 3, 'BR', LIST), {
      ok: true,
      contact: { phone: '+5511998765432', name: 'Ana', fields: {}, listId: LIST },
    });
    const badPhone = readRow(h, ['Rui', '12345', 'Rio'], 4, 'BR', LIST);
    assert.equal(badPhone.ok, false);
    assert.equal(!badPhone.ok && badPhone.line, 4);
    assert.match(!badPhone.ok ? badPhone.reason : '', /bad phone "12345"/);
    assert.match((readRow(h, ['Rui', '+5521987654321'], 5, 'BR', LIST) as { reason: string }).reason, /missing column/);
    assert.match((readRow(h, ['Rui', '', 'Rio'], 6, 'BR', LIST) as { reason: string }).reason, /missing phone/);
    assert.match(
      (readRow(h, ['Rui', '+5521987654321', 'Rio', 'x'], 7, 'BR', LIST) as { reason: string }).reason,
      /too many/,
    );
  });
});
