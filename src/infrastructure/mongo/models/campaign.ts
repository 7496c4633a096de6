import { Schema, type Types } from 'mongoose';
import { CAMPAIGN_STATUSES, type CampaignStatus } from '../../../domain/campaigns/campaign-status';
import type { CapSettings } from '../../../domain/pacing/daily-cap';
import type { LaneState } from '../../../domain/pacing/pacing-rule';
import type { PacingSettings } from '../../../domain/pacing/pacing-settings';
import type { WeeklySchedule, ZonedSchedule } from '../../../domain/pacing/sending-window';
import type { CampaignTemplate } from '../../../domain/whatsapp/templates';
import { LaneStateSchema, PacingSchema } from './pacing-schema';

/** The send plan fixed when the campaign is first processed, so re-processing plans the same. */
export interface CampaignPlan {
  startAt: number;
  initial: LaneState;
  settings: PacingSettings;
  audience: number;
  /** The sending windows the plan honoured (absent on older plans: none). */
  window?: ZonedSchedule | null;
  /**
   * A campaign on several numbers: each lane's share of the audience and where its stretch of time
   * starts (absent on a one-number plan: `initial` and `audience` are the lane's).
   */
  lanes?: PlannedLane[] | null;
}

/** One number's part of a several-number plan. */
export interface PlannedLane {
  connectionId: string;
  initial: LaneState;
  count: number;
  /** The number's daily cap as planned: its settings, its start and its recipients' times then (null: none). */
  cap?: { settings: CapSettings; since: number; recent: number[] } | null;
}

export interface CampaignCounters {
  /** Contacts planned (eligible members of the list when processing began). */
  audience: number;
  /** Shippings created. */
  prepared: number;
  sent: number;
  failed: number;
  cancelled: number;
  /** Members skipped: invalid number or not on WhatsApp. */
  skipped: number;
  /** Planned contacts deleted before their shipping was prepared. */
  missing: number;
  /** Sent shippings the provider reported delivered (or read) and read, each counted once (status webhooks). */
  delivered?: number;
  read?: number;
  /** Sent shippings the provider reported it could not deliver. */
  undelivered?: number;
  /** Members not planned because their phone is on the company's suppression list. */
  suppressed?: number;
}

export interface CampaignDoc {
  _id: Types.ObjectId;
  companyId: Types.ObjectId;
  name: string;
  /** The number that sends (the first, when it names several). */
  connectionId: Types.ObjectId;
  /** Every number the campaign sends from, `connectionId` first (absent on one-number campaigns). */
  connectionIds?: Types.ObjectId[] | null;
  listId: Types.ObjectId;
  /** Free-text variants; empty for a template campaign. */
  variants: string[];
  mediaUrl: string | null;
  /** A pre-approved template and how each of its parameters is filled, instead of variants. */
  template?: CampaignTemplate | null;
  /** Why Disparo paused it (the provider stopped its template); null when paused by a person or running. */
  pausedReason?: string | null;
  /** Stricter pacing for this campaign only (never looser than the company's). */
  pacing: Partial<PacingSettings> | null;
  /** Narrows the company's sending windows for this campaign (null: the company's as they are). */
  sendingWindows?: WeeklySchedule | null;
  scheduledAt: Date | null;
  /** The request that scheduled it: the check that later makes it due continues that correlation. */
  correlationId: string | null;
  status: CampaignStatus;
  plan: CampaignPlan | null;
  processingDone: boolean;
  /** Prepare batches already counted (a redelivered batch counts once). */
  preparedBatches: number[];
  counters: CampaignCounters;
  queuedAt: Date | null;
  /** Last time a shipping of this campaign reached an end (for the counter reconciler). */
  lastActivityAt: Date | null;
  /** The last planned send time: before it, a quiet campaign is simply waiting for its slots. */
  plannedUntil: Date | null;
  createdAt: Date;
  startedAt: Date | null;
  completedAt: Date | null;
  /** Set when the campaign paused itself on failures; cleared when it is resumed. */
  autoPaused?: { reason: string; at: Date } | null;
}

export const CampaignSchema = new Schema<CampaignDoc>(
  {
    companyId: { type: Schema.Types.ObjectId, required: true },
    name: { type: String, required: true },
    connectionId: { type: Schema.Types.ObjectId, required: true },
    connectionIds: { type: [Schema.Types.ObjectId], default: undefined },
    listId: { type: Schema.Types.ObjectId, required: true },
    variants: { type: [String], default: () => [] },
    mediaUrl: { type: String, default: null },
    template: { type: Schema.Types.Mixed, default: null },
    pausedReason: { type: String, default: null },
    pacing: {
      type: new Schema(
        {
          messageIntervalMs: Number,
          messageIntervalMaxMs: Number,
          longerIntervalAfter: Number,
          greaterIntervalMs: Number,
        },
        { _id: false },
      ),
      default: null,
    },
    sendingWindows: { type: Schema.Types.Mixed, default: null },
    scheduledAt: { type: Date, default: null },
    correlationId: { type: String, default: null },
    status: { type: String, enum: CAMPAIGN_STATUSES, default: 'draft' },
    plan: {
      type: new Schema(
        {
          startAt: Number,
          initial: LaneStateSchema,
          settings: PacingSchema,
          audience: Number,
          window: { type: Schema.Types.Mixed, default: null },
          lanes: { type: Schema.Types.Mixed, default: null },
        },
        { _id: false },
      ),
      default: null,
    },
    processingDone: { type: Boolean, default: false },
    preparedBatches: { type: [Number], default: () => [] },
    queuedAt: { type: Date, default: null },
    lastActivityAt: { type: Date, default: null },
    plannedUntil: { type: Date, default: null },
    counters: {
      audience: { type: Number, default: 0 },
      prepared: { type: Number, default: 0 },
      sent: { type: Number, default: 0 },
      failed: { type: Number, default: 0 },
      cancelled: { type: Number, default: 0 },
      skipped: { type: Number, default: 0 },
      missing: { type: Number, default: 0 },
      delivered: { type: Number, default: 0 },
      read: { type: Number, default: 0 },
      undelivered: { type: Number, default: 0 },
      suppressed: { type: Number, default: 0 },
    },
    createdAt: { type: Date, default: () => new Date() },
    startedAt: { type: Date, default: null },
    completedAt: { type: Date, default: null },
    autoPaused: { type: new Schema({ reason: String, at: Date }, { _id: false }), default: null },
  },
  { collection: 'campaigns', versionKey: false },
);
CampaignSchema.index({ status: 1, scheduledAt: 1 });
CampaignSchema.index({ companyId: 1, createdAt: -1 });

/** The numbers a campaign sends from: its `connectionIds`, or its one `connectionId`. */
export function connectionIdsOf(campaign: Pick<CampaignDoc, 'connectionId' | 'connectionIds'>): string[] {
  return campaign.connectionIds && campaign.connectionIds.length > 0
    ? campaign.connectionIds.map(String)
    : [String(campaign.connectionId)];
}
