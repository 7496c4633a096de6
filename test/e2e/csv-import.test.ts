import assert from 'node:assert/strict';
import { Readable } from 'node:stream';
import { after, before, describe, test } from 'node:test';
import { Types } from 'mongoose';
import { createCampaign, seedCompany, startSystem, type TestSystem, waitForStatus, waitUntil } from '../support/system';

/** POSTs a CSV as a streamed body (chunked upload, never one buffer). */
async function upload(
  system: TestSystem,
  key: string,
  listId: string,
  chunks: AsyncIterable<string> | Iterable<string>,
  query = '',
  contentType = 'text/csv',
) {
  const body = Readable.toWeb(Readable.from(chunks)) as ReadableStream;
  const response = await fetch(`${system.apiUrl}/v1/contact-lists/${listId}/imports${query}`, {
    method: 'POST',
    headers: { authorization: `Bearer ${key}`, 'content-type': contentType },
    body,
    duplex: 'half',
  } as RequestInit);
  const text = await response.text();
  return { status: response.status, body: text ? JSON.parse(text) : undefined };
}

const FILE = [
  'name,phone,city,plan\n',
  'Ana,(11) 98000-1000,Santos,ouro\n',
  '"Rui, o Grande",+55 21 98000-1001,"Rio de Janeiro",prata\n',
  'Bia,12345,Campinas,ouro\n', // line 4: bad phone
  'Caio,11980001003,Sorocaba\n', // line 5: missing column
  '\n',
  'Duda,0055 11 98000-1004,,bronze\n',
  'Eva,11 98000-1005,Santos,ouro\n',
];

describe('CSV import into a contact list', () => {
  let system: TestSystem;
  before(async () => {
    system = await startSystem('csv-import');
  });
  after(() => system.stop());

  test('rows are imported, bad rows reported with line and reason, a second import changes nothing, extra columns personalise messages', async () => {
    const seeded = await seedCompany(system, {
      contacts: 0,
      pacing: { messageInterval: 0.02, longerIntervalAfter: 10, greaterInterval: 0.05 },
    });
    const { key, listId, companyId } = seeded;
    const first = await upload(system, key, listId, FILE);
    assert.equal(first.status, 201, JSON.stringify(first.body));
    assert.equal(first.body.status, 'completed');
    assert.deepEqual([first.body.rowsRead, first.body.imported, first.body.created, first.body.rejected], [6, 4, 4, 2]);
    assert.deepEqual(
      first.body.errors.map((error: { line: number }) => error.line),
      [4, 5],
    );
    assert.match(first.body.errors[0].reason, /bad phone "12345"/);
    assert.match(first.body.errors[1].reason, /missing column/);

    const { Contact } = system.models;
    const rui = await Contact.findOne({ companyId, phone: '+5521980001001' }).lean();
    assert.deepEqual(
      [rui!.name, rui!.fields, rui!.listIds.map(String)],
      ['Rui, o Grande', { city: 'Rio de Janeiro', plan: 'prata' }, [listId]],
    );
    assert.deepEqual((await Contact.findOne({ companyId, phone: '+5511980001004' }).lean())!.fields, {
      plan: 'bronze',
    });

    const before = await Contact.find({ companyId }).sort({ phone: 1 }).lean();
    const second = await upload(system, key, listId, FILE);
    assert.equal(second.status, 201);
    assert.deepEqual(
      [second.body.imported, second.body.created, second.body.updated, second.body.rejected],
      [4, 0, 0, 2],
    );
    assert.deepEqual(
      await Contact.find({ companyId }).sort({ phone: 1 }).lean(),
      before,
      'the same file again changes nothing',
    );
    const report = await system.api('GET', `/v1/contact-lists/${listId}/imports/${second.body.id}`, undefined, key);
    assert.deepEqual(report.body, second.body);

    const campaignId = await createCampaign(system, key, {
      connectionId: seeded.connectionId,
      listId,
      variants: ['Oi {name}, plano {plan}!'],
    });
    await system.api('POST', `/v1/campaigns/${campaignId}/start`, undefined, key);
    await waitForStatus(system, key, campaignId, 'completed', 30_000);
    const texts = (await system.sandboxSends(seeded.connectionId)).map((send) => send.text).sort();
    assert.deepEqual(texts, [
      'Oi Ana, plano ouro!',
      'Oi Duda, plano bronze!',
      'Oi Eva, plano ouro!',
      'Oi Rui, o Grande, plano prata!',
    ]);
  });

  test('progress is readable from another request while a large import streams in', { timeout: 120_000 }, async () => {
    const { key, listId, companyId } = await seedCompany(system, { contacts: 0 });
    const rows = 20_000;
    async function* slowFile() {
      yield 'phone,name,code\n';
      for (let start = 0; start < rows; start += 500) {
        let chunk = '';
        for (let i = start; i < start + 500; i++)
          chunk += `+55 31 9${String(70_000_000 + i)},Pessoa ${i},${i % 997 === 0 ? '' : 'c'}${i}\n`;
        yield chunk;
        await new Promise((resolve) => setTimeout(resolve, 10));
      }
    }
    const importId = '0123456789abcdef01234567';
    const uploading = upload(system, key, listId, slowFile(), `?importId=${importId}`);
    const seen = await waitUntil(
      'progress of the running import',
      async () => {
        const progress = await system.api('GET', `/v1/contact-lists/${listId}/imports/${importId}`, undefined, key);
        return progress.status === 200 && progress.body.status === 'running' && progress.body.rowsRead > 0
          ? progress.body
          : undefined;
      },
      60_000,
      50,
    );
    assert.ok(seen.rowsRead < rows);
    const done = await uploading;
    assert.equal(done.status, 201, JSON.stringify(done.body));
    assert.deepEqual([done.body.rowsRead, done.body.imported, done.body.rejected], [rows, rows, 0]);
    assert.equal(await system.models.Contact.countDocuments({ companyId, listIds: new Types.ObjectId(listId) }), rows);
    const again = await upload(system, key, listId, ['phone\n'], `?importId=${importId}`);
    assert.equal(again.status, 409, 'an import id is used once');
  });

  test('a file without a phone column answers 400 and the import is marked failed; other bodies answer 415', async () => {
    const { key, listId } = await seedCompany(system, { contacts: 0 });
    const bad = await upload(system, key, listId, ['name,tel\nAna,123\n'], '?importId=0123456789abcdef0123abcd');
    assert.equal(bad.status, 400);
    assert.match(bad.body.detail, /no "phone" column/);
    const job = await system.api('GET', `/v1/contact-lists/${listId}/imports/0123456789abcdef0123abcd`, undefined, key);
    assert.equal(job.body.status, 'failed');
    const json = await system.api('POST', `/v1/contact-lists/${listId}/imports`, { phone: '1' }, key);
    assert.equal(json.status, 415);
  });
});
