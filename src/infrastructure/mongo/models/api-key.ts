import { Schema, Types } from 'mongoose';

/** An API key, stored as its SHA-256 hash; the plain key is shown once, at creation. */
export interface ApiKeyDoc {
  _id: string;
  /** The key's public id (listings, revocation); the hash itself is never shown. */
  keyId: string;
  companyId: Types.ObjectId;
  label: string;
  /** The first characters of the plain key, to tell keys apart in listings. */
  preview: string;
  createdAt: Date;
}

export const ApiKeySchema = new Schema<ApiKeyDoc>(
  {
    _id: { type: String, required: true },
    keyId: { type: String, default: () => new Types.ObjectId().toHexString() },
    companyId: { type: Schema.Types.ObjectId, required: true, index: true },
    label: { type: String, default: 'default' },
    preview: { type: String, required: true },
    createdAt: { type: Date, default: () => new Date() },
  },
  { collection: 'api_keys', versionKey: false },
);
