import { Readable } from 'node:stream';
import { pipeline } from 'node:stream/promises';
import { stringify } from 'csv-stringify';
import type { Types } from 'mongoose';
import { REPORT_COLUMNS, type ReportShipping, reportRow } from '../../domain/reports/campaign-report-row';
import type { Models } from '../../infrastructure/mongo/models';

/** Shippings read per round trip, and per lookup of their contacts' names. */
export const REPORT_BATCH = 1_000;

type ReportModels = Pick<Models, 'Shipping' | 'Contact'>;

/**
 * A campaign's per-contact report as CSV text, streamed with bounded memory: a lean cursor reads
 * the shippings `REPORT_BATCH` at a time, each batch's contact names are looked up by `_id`, and
 * csv-stringify quotes the cells. Everything is pulled: the next batch is read only when the
 * consumer (an HTTP response, a file) has taken the previous one, so a slow client holds one batch
 * in memory, not the campaign. Destroying the returned stream closes the cursor.
 */
export function campaignReportCsv(models: ReportModels, campaignId: Types.ObjectId): Readable {
  const csv = stringify({ header: true, columns: [...REPORT_COLUMNS] });
  pipeline(Readable.from(reportRows(models, campaignId)), csv).catch((error: Error) => csv.destroy(error));
  return csv;
}

async function* reportRows(models: ReportModels, campaignId: Types.ObjectId): AsyncGenerator<string[]> {
  const cursor = models.Shipping.find(
    { campaignId },
    {
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
    },
  )
    .lean()
    .cursor({ batchSize: REPORT_BATCH });
  let batch: Array<Omit<ReportShipping, 'name'> & { contactId: Types.ObjectId }> = [];
  const flush = async function* () {
    const names = await namesOf(
      models,
      batch.map((shipping) => shipping.contactId),
    );
    for (const shipping of batch) yield reportRow({ ...shipping, name: names.get(String(shipping.contactId)) ?? null });
    batch = [];
  };
  try {
    for await (const shipping of cursor) {
      batch.push({
        contactId: shipping.contactId,
        phone: shipping.phone,
        variant: shipping.variant ?? 0,
        status: shipping.status,
        plannedAt: shipping.plannedAt ?? null,
        sentAt: shipping.sentAt ?? null,
        deliveredAt: shipping.deliveredAt ?? null,
        readAt: shipping.readAt ?? null,
        lastError: shipping.lastError ?? null,
        failedReason: shipping.failedReason ?? null,
      });
      if (batch.length >= REPORT_BATCH) yield* flush();
    }
    if (batch.length > 0) yield* flush();
  } finally {
    await cursor.close();
  }
}

/** Contacts by `_id` (the one lookup every MongoDB-wire server serves from an index); deleted ones have no name. */
async function namesOf(models: ReportModels, ids: Types.ObjectId[]): Promise<Map<string, string | null>> {
  const contacts = await models.Contact.find({ _id: { $in: ids } }, { name: 1 }).lean();
  return new Map(contacts.map((contact) => [String(contact._id), contact.name ?? null]));
}
