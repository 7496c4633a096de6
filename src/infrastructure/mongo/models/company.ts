import { Schema, type Types } from 'mongoose';
import type { PacingSettings } from '../../../domain/pacing/pacing-settings';
import { PacingSchema } from './pacing-schema';

/** A tenant. Its pacing settings apply to every WhatsApp number it owns. */
export interface CompanyDoc {
  _id: Types.ObjectId;
  name: string;
  timezone: string;
  /** Region for phone numbers written without a country code (ISO 3166, e.g. BR). */
  defaultRegion: string;
  pacing: PacingSettings;
  createdAt: Date;
}

export const CompanySchema = new Schema<CompanyDoc>(
  {
    name: { type: String, required: true },
    timezone: { type: String, default: 'America/Sao_Paulo' },
    defaultRegion: { type: String, default: 'BR' },
    pacing: { type: PacingSchema, default: () => ({}) },
    createdAt: { type: Date, default: () => new Date() },
  },
  { collection: 'companies', versionKey: false },
);
