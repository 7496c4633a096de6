import { Schema, type Connection, type Model } from 'mongoose';
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

  async ensureIndexes(): Promise<void> {
    await this.model.init();
  }
}
