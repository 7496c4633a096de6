import { type Connection, type Model, Schema } from 'mongoose';
import type { SealedValue } from './session-cipher';

/**
 * One sealed piece of a WhatsApp Web session: the credentials (`<connectionId>|creds`) or one
 * signal key (`<connectionId>|<type>|<id>`). Only ciphertext is stored (session-cipher.ts).
 */
export interface WebAuthSecretDoc {
  _id: string;
  connectionId: string;
  sealed: SealedValue;
  updatedAt: Date;
}

/** Which process holds a number's socket, until when (renewed by heartbeat). */
export interface WebLeaseDoc {
  _id: string;
  holder: string;
  expiresAt: Date;
}

/** What the API shows while a number is being linked; written by the process that holds the socket. */
export interface WebPairingDoc {
  _id: string;
  /** The QR's text (Baileys' `ref,noiseKey,identityKey,advKey`); replaced as WhatsApp rotates it. */
  qr: string | null;
  qrAt: Date | null;
  /** How many QRs this pairing has shown (rotations). */
  qrCount: number;
  /** A phone (digits, with country code) that asked to link with a code instead of the QR. */
  phone: string | null;
  code: string | null;
  codeAt: Date | null;
  holder: string | null;
  /** Why the last try to link failed (e.g. an invalid phone for a pairing code). */
  error: string | null;
}

/** One contact WhatsApp delivered to the session, in arrival order (`seq`), for listContacts to page over. */
export interface WebContactDoc {
  _id: string;
  connectionId: string;
  seq: number;
  /** E.164, from the contact's WhatsApp id. */
  phone: string;
  name: string | null;
  /** Answered by sock.onWhatsApp when the contact arrived (null: not checked yet). */
  onWhatsApp: boolean | null;
}

export interface WebBookDoc {
  _id: string;
  entries: number;
}

export interface WhatsAppWebStore {
  Auth: Model<WebAuthSecretDoc>;
  Lease: Model<WebLeaseDoc>;
  Pairing: Model<WebPairingDoc>;
  Contact: Model<WebContactDoc>;
  Book: Model<WebBookDoc>;
}

const Sealed = new Schema<SealedValue>({ iv: String, tag: String, data: String }, { _id: false });

const schemas = {
  Auth: new Schema<WebAuthSecretDoc>(
    { _id: String, connectionId: { type: String, index: true }, sealed: Sealed, updatedAt: Date },
    { collection: 'whatsapp_web_auth', versionKey: false },
  ),
  Lease: new Schema<WebLeaseDoc>(
    { _id: String, holder: String, expiresAt: Date },
    { collection: 'whatsapp_web_leases', versionKey: false },
  ),
  Pairing: new Schema<WebPairingDoc>(
    {
      _id: String,
      qr: { type: String, default: null },
      qrAt: { type: Date, default: null },
      qrCount: { type: Number, default: 0 },
      phone: { type: String, default: null },
      code: { type: String, default: null },
      codeAt: { type: Date, default: null },
      holder: { type: String, default: null },
      error: { type: String, default: null },
    },
    { collection: 'whatsapp_web_pairings', versionKey: false },
  ),
  Contact: new Schema<WebContactDoc>(
    {
      _id: String,
      connectionId: { type: String, index: true },
      seq: Number,
      phone: String,
      name: { type: String, default: null },
      onWhatsApp: { type: Boolean, default: null },
    },
    { collection: 'whatsapp_web_contacts', versionKey: false },
  ),
  Book: new Schema<WebBookDoc>(
    { _id: String, entries: { type: Number, default: 0 } },
    { collection: 'whatsapp_web_books', versionKey: false },
  ),
};

const cache = new WeakMap<Connection, WhatsAppWebStore>();

export function whatsappWebStore(connection: Connection): WhatsAppWebStore {
  let store = cache.get(connection);
  if (!store) {
    store = {
      Auth: connection.model<WebAuthSecretDoc>('WhatsAppWebAuth', schemas.Auth),
      Lease: connection.model<WebLeaseDoc>('WhatsAppWebLease', schemas.Lease),
      Pairing: connection.model<WebPairingDoc>('WhatsAppWebPairing', schemas.Pairing),
      Contact: connection.model<WebContactDoc>('WhatsAppWebContact', schemas.Contact),
      Book: connection.model<WebBookDoc>('WhatsAppWebBook', schemas.Book),
    };
    cache.set(connection, store);
  }
  return store;
}

/** Removes everything stored for a number's session: secrets, pairing state, lease and contacts. */
export async function forgetSession(store: WhatsAppWebStore, connectionId: string): Promise<void> {
  await Promise.all([
    store.Auth.deleteMany({ connectionId }),
    store.Pairing.deleteOne({ _id: connectionId }),
    store.Contact.deleteMany({ connectionId }),
    store.Book.deleteOne({ _id: connectionId }),
  ]);
}
