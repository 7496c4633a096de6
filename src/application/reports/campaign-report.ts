import { Readable } from 'node:stream';
import { stringify } from 'csv-stringify/sync';
import type { Types } from 'mongoose';
import { REPORT_COLUMNS, type ReportShipping, reportRow } from '../../domain/reports/campaign-report-row';
import type { Models } from '../../infrastructure/mongo/models';

/**
 * Shippings read per round trip (the cursor's batchSize), and per lookup of their contacts' names.
 * Small on purpose: the driver keeps a whole reply (the batch's bytes and every document parsed out
 * of it) until the batch is used up, and whatever lives that long outlives young-generation
 * collections and is promoted. With 1,000 per batch that promoted ~0.7 KB per row, dead by the next
 * batch but only freed by a full collection: on 100,000 rows the old generation swung 60 → 180 MB
 * and the API process peaked at 310 MB. With 200 almost nothing is promoted (0.6 MB over 50,000
 * rows), and the report is no slower (the wire server answers small batches as fast).
 */
export const REPORT_BATCH = 200;

/**
 * Bytes the report stream buffers before it stops reading the database (a batch's CSV is ~23 KB):
 * a slow consumer holds a few batches of text, however large the campaign.
 */
const BUFFERED_BYTES = 64 * 1024;

type ReportModels = Pick<Models, 'Shipping' | 'Contact'>;

type ReportedShipping = Omit<ReportShipping, 'name'> & { contactId: Types.ObjectId };

const SHIPPING_FIELDS = {
  contactId: 1,
  phone: 1,
  variant: 1,
  status: 1,
  plannedAt: 1,
  sentAt: 1,
  deliveredAt: 1,
  readAt: 1,
  lastError: 1,
  failedReason: 1,
} as const;

/**
 * A campaign's per-contact report as CSV text, streamed with bounded memory: a lean cursor reads
 * the shippings `REPORT_BATCH` at a time, each batch's contact names are looked up by `_id`, and
 * the batch becomes one CSV chunk (csv-stringify quotes the cells). Everything is pulled: the next
 * batch is read only when the consumer (an HTTP response, a file) has taken what is buffered, so a
 * slow client holds `BUFFERED_BYTES` of text and one batch in memory, not the campaign. Destroying
 * the stream closes the cursor.
 *
 * One chunk per batch rather than one stream write per row: a promise and a transform call per row
 * doubled the garbage each batch made (and so what was promoted), for no gain.
 */
export function campaignReportCsv(models: ReportModels, campaignId: Types.ObjectId): Readable {
  return Readable.from(reportChunks(models, campaignId), { objectMode: false, highWaterMark: BUFFERED_BYTES });
}

async function* reportChunks(models: ReportModels, campaignId: Types.ObjectId): AsyncGenerator<string> {
  yield stringify([[...REPORT_COLUMNS]]);
  const cursor = models.Shipping.find({ campaignId }, SHIPPING_FIELDS)
    .lean<ReportedShipping>()
    .cursor({ batchSize: REPORT_BATCH });
  try {
    let batch: ReportedShipping[] = [];
    for await (const shipping of cursor) {
      batch.push(shipping);
      if (batch.length < REPORT_BATCH) continue;
      yield await csvOf(models, batch);
      batch = [];
    }
    if (batch.length > 0) yield await csvOf(models, batch);
  } finally {
    await cursor.close();
  }
}

/** A batch of shippings as CSV rows, with their contacts' names. */
async function csvOf(models: ReportModels, shippings: ReportedShipping[]): Promise<string> {
  const names = await namesOf(
    models,
    shippings.map((shipping) => shipping.contactId),
  );
  return stringify(
    shippings.map((shipping) =>
      reportRow({
        phone: shipping.phone,
        name: names.get(String(shipping.contactId)) ?? null,
        variant: shipping.variant ?? 0,
        status: shipping.status,
        plannedAt: shipping.plannedAt ?? null,
        sentAt: shipping.sentAt ?? null,
        deliveredAt: shipping.deliveredAt ?? null,
        readAt: shipping.readAt ?? null,
        lastError: shipping.lastError ?? null,
        failedReason: shipping.failedReason ?? null,
      }),
    ),
  );
}

/** Contacts by `_id` (the one lookup every MongoDB-wire server serves from an index); deleted ones have no name. */
async function namesOf(models: ReportModels, ids: Types.ObjectId[]): Promise<Map<string, string | null>> {
  const contacts = await models.Contact.find({ _id: { $in: ids } }, { name: 1 }).lean();
  return new Map(contacts.map((contact) => [String(contact._id), contact.name ?? null]));
}
