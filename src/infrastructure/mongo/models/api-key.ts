import { Schema, type Types } from 'mongoose';

/** An API key, stored as its SHA-256 hash; the plain key is shown once, at creation. */
export interface ApiKeyDoc {
  _id: string;
  companyId: Types.ObjectId;
  label: string;
  /** The first characters of the plain key, to tell keys apart in listings. */
  preview: string;
  createdAt: Date;
}

export const ApiKeySchema = new Schema<ApiKeyDoc>(
  {
    _id: { type: String, required: true },
    companyId: { type: Schema.Types.ObjectId, required: true, index: true },
    label: { type: String, default: 'default' },
    preview: { type: String, required: true },
    createdAt: { type: Date, default: () => new Date() },
  },
  { collection: 'api_keys', versionKey: false },
);
