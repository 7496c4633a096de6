import { Schema, type Connection, type Model } from 'mongoose';

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

export interface SandboxStore {
  Message: Model<SandboxMessageDoc>;
  Lane: Model<SandboxLaneDoc>;
}

const cache = new WeakMap<Connection, SandboxStore>();

export function sandboxStore(connection: Connection): SandboxStore {
  let store = cache.get(connection);
  if (!store) {
    store = {
      Message: connection.model<SandboxMessageDoc>('SandboxMessage', SandboxMessageSchema),
      Lane: connection.model<SandboxLaneDoc>('SandboxLane', SandboxLaneSchema),
    };
    cache.set(connection, store);
  }
  return store;
}
