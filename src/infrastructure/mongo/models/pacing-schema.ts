import { Schema } from 'mongoose';
import { DEFAULT_PACING } from '../../../domain/pacing/pacing-settings';

export const PacingSchema = new Schema(
  {
    messageIntervalMs: { type: Number, default: DEFAULT_PACING.messageIntervalMs },
    /** Set: each gap is drawn in [messageIntervalMs, messageIntervalMaxMs]. */
    messageIntervalMaxMs: { type: Number, default: null },
    longerIntervalAfter: { type: Number, default: DEFAULT_PACING.longerIntervalAfter },
    greaterIntervalMs: { type: Number, default: DEFAULT_PACING.greaterIntervalMs },
  },
  { _id: false },
);

export const LaneStateSchema = new Schema(
  { lastSentAt: { type: Number, default: null }, runLength: { type: Number, default: 0 } },
  { _id: false },
);
