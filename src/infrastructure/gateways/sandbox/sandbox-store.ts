import { Schema, type Connection, type Model, type Types } from 'mongoose';

/** What the simulated WhatsApp "sent": one document per idempotency key, kept durably. */
export interface SandboxMessageDoc {
  _id: string;
  connectionId: string;
  to: string;
  text: string;
  mediaUrl: string | null;
  providerMessageId: string;
  receivedAt: Date;
  /** Set when this send came sooner after the previous one than the number's pacing rule allows. */
  violation: { gapMs: number; requiredMs: number } | null;
}

/** The simulated number's own view of its pacing, to judge each send independently of Disparo. */
export interface SandboxLaneDoc {
  _id: string;
  lastAt: number | null;
  runLength: number;
  sends: number;
}

const SandboxMessageSchema = new Schema<SandboxMessageDoc>(
  {
    _id: { type: String, required: true },
    connectionId: { type: String, required: true },
    to: String,
    text: String,
    mediaUrl: { type: String, default: null },
    providerMessageId: String,
    receivedAt: Date,
    violation: { type: new Schema({ gapMs: Number, requiredMs: Number }, { _id: false }), default: null },
  },
  { collection: 'sandbox_messages', versionKey: false },
);
SandboxMessageSchema.index({ connectionId: 1, receivedAt: 1 });

const SandboxLaneSchema = new Schema<SandboxLaneDoc>(
  { _id: String, lastAt: { type: Number, default: null }, runLength: { type: Number, default: 0 }, sends: { type: Number, default: 0 } },
  { collection: 'sandbox_lanes', versionKey: false },
);

/**
 * The simulated number's address book, seeded by tests and the demo (POST
 * /v1/connections/:id/sandbox/contacts): some numbers off WhatsApp, some malformed.
 */
export interface SandboxContactDoc {
  _id: Types.ObjectId;
  connectionId: string;
  /** As written in the address book. */
  phone: string;
  /** The number in E.164 as WhatsApp knows it (null: malformed). */
  e164: string | null;
  name: string | null;
  onWhatsApp: boolean;
  /** The page this entry is listed in (fixed when first seeded): pages are read by equality. */
  bucket: number;
}

/** How many address-book entries a connection's sandbox has allocated (their buckets). */
export interface SandboxBookDoc {
  _id: string;
  entries: number;
}

const SandboxContactSchema = new Schema<SandboxContactDoc>(
  {
    connectionId: { type: String, required: true },
    phone: { type: String, required: true },
    e164: { type: String, default: null },
    name: { type: String, default: null },
    onWhatsApp: { type: Boolean, default: true },
    bucket: { type: Number, required: true },
  },
  { collection: 'sandbox_contacts', versionKey: false },
);
SandboxContactSchema.index({ connectionId: 1, phone: 1 }, { unique: true });
SandboxContactSchema.index({ connectionId: 1, e164: 1 });
SandboxContactSchema.index({ connectionId: 1, bucket: 1 });

const SandboxBookSchema = new Schema<SandboxBookDoc>({ _id: String, entries: { type: Number, default: 0 } }, { collection: 'sandbox_books', versionKey: false });

export interface SandboxStore {
  Message: Model<SandboxMessageDoc>;
  Lane: Model<SandboxLaneDoc>;
  Contact: Model<SandboxContactDoc>;
  Book: Model<SandboxBookDoc>;
}

const cache = new WeakMap<Connection, SandboxStore>();

export function sandboxStore(connection: Connection): SandboxStore {
  let store = cache.get(connection);
  if (!store) {
    store = {
      Message: connection.model<SandboxMessageDoc>('SandboxMessage', SandboxMessageSchema),
      Lane: connection.model<SandboxLaneDoc>('SandboxLane', SandboxLaneSchema),
      Contact: connection.model<SandboxContactDoc>('SandboxContact', SandboxContactSchema),
      Book: connection.model<SandboxBookDoc>('SandboxBook', SandboxBookSchema),
    };
    cache.set(connection, store);
  }
  return store;
}
