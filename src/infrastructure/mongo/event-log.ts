import { type Connection, type Model, Schema } from 'mongoose';
import type { Envelope } from '../../domain/events/envelope';
import { isDuplicateKeyError } from './insert-new';

/** One stored domain event; `_id` is the eventId, so recording twice is a no-op. */
export interface EventRecord {
  _id: string;
  type: string;
  version: number;
  occurredAt: Date;
  recordedAt: Date;
  companyId: string;
  correlationId: string;
  causationId: string | null;
  campaignId?: string;
  contactId?: string;
  replayed: boolean;
  payload: unknown;
}

const EventRecordSchema = new Schema<EventRecord>(
  {
    _id: { type: String, required: true },
    type: { type: String, required: true },
    version: { type: Number, required: true },
    occurredAt: { type: Date, required: true },
    recordedAt: { type: Date, required: true },
    companyId: { type: String, required: true },
    correlationId: { type: String, required: true },
    causationId: { type: String, default: null },
    campaignId: { type: String },
    contactId: { type: String },
    replayed: { type: Boolean, default: false },
    payload: { type: Schema.Types.Mixed },
  },
  { collection: 'events', versionKey: false },
);
EventRecordSchema.index({ companyId: 1, campaignId: 1, occurredAt: 1 });
EventRecordSchema.index({ companyId: 1, contactId: 1, occurredAt: 1 });
EventRecordSchema.index({ companyId: 1, type: 1, occurredAt: 1 });
EventRecordSchema.index({ companyId: 1, correlationId: 1, occurredAt: 1 });
EventRecordSchema.index({ recordedAt: 1 });

/** Which recorded events to look at or replay; `companyId` is required outside admin tools. */
export interface EventFilter {
  companyId?: string;
  campaignId?: string;
  contactId?: string;
  correlationId?: string;
  types?: string[];
  from?: Date;
  to?: Date;
}

export function eventQuery(filter: EventFilter): Record<string, unknown> {
  return {
    ...(filter.companyId ? { companyId: filter.companyId } : {}),
    ...(filter.campaignId ? { campaignId: filter.campaignId } : {}),
    ...(filter.contactId ? { contactId: filter.contactId } : {}),
    ...(filter.correlationId ? { correlationId: filter.correlationId } : {}),
    ...(filter.types && filter.types.length > 0 ? { type: { $in: filter.types } } : {}),
    ...(filter.from || filter.to
      ? { occurredAt: { ...(filter.from ? { $gte: filter.from } : {}), ...(filter.to ? { $lte: filter.to } : {}) } }
      : {}),
  };
}

/** The audit log every event lands in (and the source replays read from). */
export class EventLog {
  readonly model: Model<EventRecord>;

  constructor(connection: Connection) {
    this.model = connection.models.EventRecord ?? connection.model<EventRecord>('EventRecord', EventRecordSchema);
  }

  async record(event: Envelope, now: Date = new Date()): Promise<'recorded' | 'already-recorded'> {
    const payload = (event.payload ?? {}) as Record<string, unknown>;
    const record: EventRecord = {
      _id: event.eventId,
      type: event.type,
      version: event.version,
      occurredAt: new Date(event.occurredAt),
      recordedAt: now,
      companyId: event.companyId,
      correlationId: event.correlationId,
      causationId: event.causationId,
      ...(typeof payload.campaignId === 'string' ? { campaignId: payload.campaignId } : {}),
      ...(typeof payload.contactId === 'string' ? { contactId: payload.contactId } : {}),
      replayed: event.replayed ?? false,
      payload: event.payload,
    };
    try {
      // The driver's insert skips mongoose casting: the envelope was validated on the way in.
      await this.model.collection.insertOne(record as unknown as Record<string, unknown>);
      return 'recorded';
    } catch (error) {
      if (isDuplicateKeyError(error)) return 'already-recorded';
      throw error;
    }
  }

  /**
   * Events in the order they happened (ties by id), one page at a time: `after` is the last event
   * of the previous page (a position, not an offset, so a page costs what the first one does).
   */
  async find(
    filter: EventFilter,
    page: { limit: number; after?: { occurredAt: Date; id: string } },
  ): Promise<EventRecord[]> {
    const after = page.after
      ? {
          $or: [
            { occurredAt: { $gt: page.after.occurredAt } },
            { occurredAt: page.after.occurredAt, _id: { $gt: page.after.id } },
          ],
        }
      : {};
    return this.model
      .find({ $and: [eventQuery(filter), after] })
      .sort({ occurredAt: 1, _id: 1 })
      .limit(page.limit)
      .lean();
  }

  /** Streams every matching event in order, without holding them all in memory. */
  stream(filter: EventFilter): AsyncIterable<EventRecord> {
    return this.model.find(eventQuery(filter)).sort({ occurredAt: 1, _id: 1 }).lean().cursor({ batchSize: 500 });
  }

  /** The envelope as it was published. */
  static toEnvelope(record: EventRecord): Envelope {
    return {
      eventId: record._id,
      type: record.type,
      version: record.version,
      occurredAt: record.occurredAt.toISOString(),
      companyId: record.companyId,
      correlationId: record.correlationId,
      causationId: record.causationId,
      payload: record.payload,
    };
  }

  /** Retention: deletes events recorded before `before`. */
  async purge(before: Date): Promise<number> {
    const result = await this.model.deleteMany({ recordedAt: { $lt: before } });
    return result.deletedCount;
  }

  async ensureIndexes(): Promise<void> {
    await this.model.init();
  }
}
