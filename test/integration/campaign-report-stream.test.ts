import assert from 'node:assert/strict';
import { once } from 'node:events';
import { after, before, describe, test } from 'node:test';
import { parse } from 'csv-parse/sync';
import mongoose, { Types } from 'mongoose';
import { campaignReportCsv, REPORT_BATCH } from '../../src/application/reports/campaign-report';
import { REPORT_COLUMNS } from '../../src/domain/reports/campaign-report-row';
import { type Models, modelsOf } from '../../src/infrastructure/mongo/models';
import { newShipping } from '../../src/infrastructure/mongo/models/shipping';
import { testMongoUrl } from '../support/infrastructure';

/** Many batches (the last one partial), and many times what the stream buffers. */
const ROWS = 50 * REPORT_BATCH + 45;

describe('the campaign report stream, over several batches', () => {
  let db: mongoose.Connection;
  let models: Models;
  const campaignId = new Types.ObjectId();
  const deletedContact = 1_500;
  let reportBytes = 0;
  let largestChunk = 0;

  before(async () => {
    db = await mongoose.createConnection(testMongoUrl('report-stream')).asPromise();
    models = modelsOf(db);
    const companyId = new Types.ObjectId();
    const connectionId = new Types.ObjectId();
    const now = new Date('2026-01-01T12:00:00Z');
    const contacts = [];
    const shippings = [];
    for (let i = 0; i < ROWS; i++) {
      const contactId = new Types.ObjectId();
      const phone = `+5511${String(900_000_000 + i)}`;
      if (i !== deletedContact)
        contacts.push({ _id: contactId, companyId, phone, name: i % 7 === 0 ? `=evil(${i})` : `Cliente ${i}` });
      const shipping = newShipping(
        {
          companyId,
          campaignId,
          contactId,
          connectionId,
          phone,
          text: 'Olá',
          variant: i % 2,
          mediaUrl: null,
          plannedAt: now,
        },
        now,
      );
      shipping.status = i % 3 === 0 ? 'failed' : 'queued';
      if (shipping.status === 'failed') shipping.lastError = `error ${i}`;
      shippings.push(shipping);
    }
    // Another campaign's shipping, which must not appear.
    shippings.push(
      newShipping(
        {
          companyId,
          campaignId: new Types.ObjectId(),
          contactId: new Types.ObjectId(),
          connectionId,
          phone: '+5511000',
          text: 'x',
          variant: 0,
          mediaUrl: null,
          plannedAt: now,
        },
        now,
      ),
    );
    await models.Contact.collection.insertMany(contacts, { ordered: false });
    await models.Shipping.collection.insertMany(shippings as never[], { ordered: false });
  });
  after(async () => {
    await db.dropDatabase().catch(() => undefined);
    await db.close();
  });

  test('every shipping once, with its contact name (none for a deleted contact), formulas neutralised', async () => {
    let text = '';
    for await (const chunk of campaignReportCsv(models, campaignId)) {
      largestChunk = Math.max(largestChunk, chunk.length);
      text += chunk;
    }
    reportBytes = Buffer.byteLength(text);
    const rows = parse(text, { columns: true }) as Array<Record<string, string>>;
    assert.deepEqual(Object.keys(rows[0]!), [...REPORT_COLUMNS]);
    assert.equal(rows.length, ROWS);
    const byPhone = new Map(rows.map((row) => [row.phone!.replace(/^'/, ''), row]));
    assert.equal(byPhone.size, ROWS, 'no shipping twice');
    for (let i = 0; i < ROWS; i++) {
      const row = byPhone.get(`+5511${String(900_000_000 + i)}`);
      assert.ok(row, `row ${i}`);
      const name = i === deletedContact ? '' : i % 7 === 0 ? `'=evil(${i})` : `Cliente ${i}`;
      assert.equal(row.name, name, `name of row ${i}`);
      assert.equal(row.variant, String((i % 2) + 1));
      assert.equal(row.failure_reason, i % 3 === 0 ? `error ${i}` : '');
    }
  });

  test('a consumer that stops reading holds the stream at its buffer, the rest stays in the database', async () => {
    const stream = campaignReportCsv(models, campaignId);
    await new Promise<void>((resolve) => {
      let bytes = 0;
      stream.on('data', function onData(chunk: Buffer) {
        bytes += chunk.length;
        // The header, then the first batch's rows: stop after them and read nothing more.
        if (bytes > 1_000) {
          stream.pause();
          stream.off('data', onData);
          resolve();
        }
      });
    });
    await new Promise((resolve) => setTimeout(resolve, 1_000));
    // Paused, the stream reads until its buffer is full (the last batch read may overshoot it), however
    // long the consumer waits.
    const bound = stream.readableHighWaterMark + largestChunk;
    assert.ok(reportBytes > 4 * bound, `the report (${reportBytes} bytes) is long enough to tell`);
    assert.ok(stream.readableLength <= bound, `buffered ${stream.readableLength} bytes, bound ${bound}`);
    stream.destroy();
    await once(stream, 'close');
  });
});
