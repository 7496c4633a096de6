import assert from 'node:assert/strict';
import { Readable } from 'node:stream';
import { after, before, describe, test } from 'node:test';
import { seedCompany, startSystem, type TestSystem } from '../support/system';

/** What a CSV import says about a file it cannot take as it is: each case names the line and why. */

async function upload(
  system: TestSystem,
  key: string,
  listId: string,
  chunks: Iterable<string | Buffer>,
  contentType = 'text/csv',
) {
  const body = Readable.toWeb(Readable.from(chunks)) as ReadableStream;
  const response = await fetch(`${system.apiUrl}/v1/contact-lists/${listId}/imports`, {
    method: 'POST',
    headers: { authorization: `Bearer ${key}`, 'content-type': contentType },
    body,
    duplex: 'half',
  } as RequestInit);
  const text = await response.text();
  return { status: response.status, body: text ? JSON.parse(text) : undefined };
}

/** A 1 MB string in 16 KB pieces, as a socket would deliver it. */
function* megabyteCell(): Iterable<string> {
  for (let i = 0; i < 64; i++) yield 'x'.repeat(16 * 1024);
}

describe('CSV import report', () => {
  let system: TestSystem;
  let key: string;
  let listId: string;
  before(async () => {
    system = await startSystem('csv-report', { workers: [] });
    ({ key, listId } = await seedCompany(system, { contacts: 0 }));
  });
  after(() => system.stop());

  test('a CSV sent as application/json is told to send text/csv', async () => {
    const answer = await upload(system, key, listId, ['phone,name\n+5511980000001,Ana\n'], 'application/json');
    assert.equal(answer.status, 415, JSON.stringify(answer.body));
    assert.match(answer.body.detail, /text\/csv/);
  });

  test('one row with a 1 MB cell is one rejected row whose reason names the size limit; the rows around it import', async () => {
    const answer = await upload(system, key, listId, [
      'phone,name,city\n',
      '+5511980000001,Ana,Santos\n',
      '+5511980000002,Bia,',
      ...megabyteCell(),
      '\n',
      '+5511980000003,Caio,Campinas\n',
    ]);
    assert.equal(answer.status, 201, JSON.stringify(answer.body));
    assert.deepEqual(
      [answer.body.rowsRead, answer.body.imported, answer.body.rejected],
      [3, 2, 1],
      JSON.stringify(answer.body.errors),
    );
    assert.equal(answer.body.errors[0].line, 3);
    assert.match(answer.body.errors[0].reason, /longer than 64 KB/);
  });

  test('a duplicate phone within one file is counted and its lines named', async () => {
    const answer = await upload(system, key, listId, [
      'phone,name\n',
      '+5511980000011,Ana\n',
      '+5511980000012,Bia\n',
      '(11) 98000-0011,Ana Maria\n',
    ]);
    assert.equal(answer.status, 201, JSON.stringify(answer.body));
    assert.equal(answer.body.duplicates, 1);
    assert.deepEqual(answer.body.warnings, [
      { line: 4, reason: "duplicate of line 2 (+5511980000011): this line's values are the ones kept" },
    ]);
  });

  test('bytes that are not UTF-8 are warned about, with the line', async () => {
    const answer = await upload(system, key, listId, [
      Buffer.from('phone,name\n+5511980000021,Ana\n+5511980000022,Jo'),
      Buffer.from([0xe3, 0x6f]), // "Joã" in Latin-1
      Buffer.from('o\n'),
    ]);
    assert.equal(answer.status, 201, JSON.stringify(answer.body));
    assert.equal(answer.body.imported, 2);
    assert.equal(answer.body.warnings.length, 1, JSON.stringify(answer.body.warnings));
    assert.equal(answer.body.warnings[0].line, 3);
    assert.match(answer.body.warnings[0].reason, /not UTF-8.*U\+FFFD/);
  });

  test('a custom field named $gt is refused with the names that are allowed', async () => {
    const answer = await system.api(
      'POST',
      `/v1/contact-lists/${listId}/contacts`,
      { contacts: [{ phone: '+5511980000031', fields: { $gt: 'x' } }] },
      key,
    );
    assert.equal(answer.status, 400);
    assert.deepEqual(answer.body.errors, [
      {
        field: 'body.contacts.0.fields.$gt',
        message:
          'is not an allowed name: field names are letters, digits, _ . - (starting with a letter or _), at most 64 characters',
      },
    ]);
    const csv = await upload(system, key, listId, ['phone,$gt\n+5511980000032,x\n']);
    assert.equal(csv.status, 400);
    assert.match(csv.body.detail, /letters, digits, _ \. -/);
  });
});
