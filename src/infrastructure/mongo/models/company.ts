import { Schema, type Types } from 'mongoose';
import type { AutoPauseSettings } from '../../../domain/campaigns/failure-threshold';
import type { CapSettings } from '../../../domain/pacing/daily-cap';
import type { PacingSettings } from '../../../domain/pacing/pacing-settings';
import type { WeeklySchedule } from '../../../domain/pacing/sending-window';
import type { OptOutSettings } from '../../../domain/suppression/opt-out-keywords';
import { PacingSchema } from './pacing-schema';

/** A tenant. Its pacing settings apply to every WhatsApp number it owns. */
export interface CompanyDoc {
  _id: Types.ObjectId;
  name: string;
  timezone: string;
  /** Region for phone numbers written without a country code (ISO 3166, e.g. BR). */
  defaultRegion: string;
  pacing: PacingSettings;
  /** Weekly sending windows in `timezone` (null or absent: always open). */
  sendingWindows?: WeeklySchedule | null;
  /** Unique recipients per moving 24 h over all its numbers (null or absent: none); warm-up from `createdAt`. */
  dailyCap?: CapSettings | null;
  /** Opt-out and opt-in keywords (absent on older documents: the defaults apply). */
  optOut?: OptOutSettings;
  /** When a running campaign pauses itself on failures (absent: the defaults apply). */
  autoPause?: AutoPauseSettings;
  createdAt: Date;
}

export const CompanySchema = new Schema<CompanyDoc>(
  {
    name: { type: String, required: true },
    timezone: { type: String, default: 'America/Sao_Paulo' },
    defaultRegion: { type: String, default: 'BR' },
    pacing: { type: PacingSchema, default: () => ({}) },
    sendingWindows: { type: Schema.Types.Mixed, default: null },
    dailyCap: { type: Schema.Types.Mixed, default: null },
    optOut: { type: new Schema({ keywords: [String], optInKeywords: [String] }, { _id: false }), default: undefined },
    autoPause: {
      type: new Schema({ enabled: Boolean, failureRate: Number, window: Number, consecutive: Number }, { _id: false }),
      default: undefined,
    },
    createdAt: { type: Date, default: () => new Date() },
  },
  { collection: 'companies', versionKey: false },
);
