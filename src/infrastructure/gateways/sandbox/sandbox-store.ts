import { type Connection, type Model, Schema } from 'mongoose';

/** What the simulated WhatsApp "sent": one document per idempotency key, kept durably. */
export interface SandboxMessageDoc {
  _id: string;
  connectionId: string;
  /** The company of the number (for the company-wide cap); null on messages stored before it was kept. */
  companyId?: string | null;
  to: string;
  text: string;
  mediaUrl: string | null;
  /** The template as rendered for this contact, when the message was one. */
  template?: unknown;
  providerMessageId: string;
  receivedAt: Date;
  /**
   * Set when this send broke a rule: `start-gap` (it started sooner after the previous start than
   * the pacing gap, or 1/throughput, allows), `pacing` (sooner after the number's last recorded
   * send than its pacing rule allows, runs included), `window` (outside the company's sending
   * windows), `cap` (over a daily cap).
   */
  violation: { rule?: 'start-gap' | 'pacing' | 'window' | 'cap'; gapMs: number; requiredMs: number } | null;
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
    companyId: { type: String, default: null },
    to: String,
    text: String,
    mediaUrl: { type: String, default: null },
    template: { type: Schema.Types.Mixed, default: null },
    providerMessageId: String,
    receivedAt: Date,
    violation: {
      type: new Schema({ rule: String, gapMs: Number, requiredMs: Number }, { _id: false }),
      default: null,
    },
  },
  { collection: 'sandbox_messages', versionKey: false },
);
SandboxMessageSchema.index({ connectionId: 1, receivedAt: 1 });
SandboxMessageSchema.index({ companyId: 1, receivedAt: 1 });

const SandboxLaneSchema = new Schema<SandboxLaneDoc>(
  {
    _id: String,
    lastAt: { type: Number, default: null },
    runLength: { type: Number, default: 0 },
    sends: { type: Number, default: 0 },
  },
  { collection: 'sandbox_lanes', versionKey: false },
);

/** One address-book entry as the simulated WhatsApp lists it. */
export interface SandboxBookEntry {
  /** As written in the address book. */
  phone: string;
  /** The number in E.164 as WhatsApp knows it (null: malformed). */
  e164: string | null;
  name: string | null;
  onWhatsApp: boolean;
}

/**
 * The simulated number's address book, seeded by tests and the demo (POST
 * /v1/connections/:id/sandbox/contacts): some numbers off WhatsApp, some malformed. Every lookup
 * is by `_id`, the one index a MongoDB-wire server without secondary indexes answers without a
 * scan: a page is one document (`<connectionId>|<page>`) holding its entries by slot, an entry's
 * place is found by `<connectionId>|<phone as written>`, and numbers off WhatsApp by
 * `<connectionId>|<e164>`.
 */
export interface SandboxPageDoc {
  _id: string;
  /** Entries by slot ("0".."999"): a re-seeded phone overwrites its own slot. */
  entries: Record<string, SandboxBookEntry>;
}

/** Where a phone, as written, sits in the book. */
export interface SandboxPlaceDoc {
  _id: string;
  page: number;
  slot: number;
}

/** A number the simulated WhatsApp answers "not on WhatsApp" for. */
export interface SandboxOffNumberDoc {
  _id: string;
}

/** How many address-book slots a connection's sandbox has allocated. */
export interface SandboxBookDoc {
  _id: string;
  entries: number;
}

const SandboxPageSchema = new Schema<SandboxPageDoc>(
  { _id: String, entries: { type: Schema.Types.Mixed, default: {} } },
  { collection: 'sandbox_book_pages', versionKey: false, minimize: false },
);
const SandboxPlaceSchema = new Schema<SandboxPlaceDoc>(
  { _id: String, page: Number, slot: Number },
  { collection: 'sandbox_book_places', versionKey: false },
);
const SandboxOffNumberSchema = new Schema<SandboxOffNumberDoc>(
  { _id: String },
  { collection: 'sandbox_off_whatsapp', versionKey: false },
);
const SandboxBookSchema = new Schema<SandboxBookDoc>(
  { _id: String, entries: { type: Number, default: 0 } },
  { collection: 'sandbox_books', versionKey: false },
);

export interface SandboxStore {
  Message: Model<SandboxMessageDoc>;
  Lane: Model<SandboxLaneDoc>;
  Page: Model<SandboxPageDoc>;
  Place: Model<SandboxPlaceDoc>;
  OffNumber: Model<SandboxOffNumberDoc>;
  Book: Model<SandboxBookDoc>;
}

const cache = new WeakMap<Connection, SandboxStore>();

export function sandboxStore(connection: Connection): SandboxStore {
  let store = cache.get(connection);
  if (!store) {
    store = {
      Message: connection.model<SandboxMessageDoc>('SandboxMessage', SandboxMessageSchema),
      Lane: connection.model<SandboxLaneDoc>('SandboxLane', SandboxLaneSchema),
      Page: connection.model<SandboxPageDoc>('SandboxPage', SandboxPageSchema),
      Place: connection.model<SandboxPlaceDoc>('SandboxPlace', SandboxPlaceSchema),
      OffNumber: connection.model<SandboxOffNumberDoc>('SandboxOffNumber', SandboxOffNumberSchema),
      Book: connection.model<SandboxBookDoc>('SandboxBook', SandboxBookSchema),
    };
    cache.set(connection, store);
  }
  return store;
}
