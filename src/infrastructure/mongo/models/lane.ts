import { Schema, type Types } from 'mongoose';
import type { LaneState } from '../../../domain/pacing/pacing-rule';
import { LaneStateSchema } from './pacing-schema';

/**
 * Pacing state of one WhatsApp number, shared by whichever worker is its active dispatcher:
 * `sent` is the real sends, `planned` the horizon campaigns have reserved, `inFlight` a send that
 * started and has not been recorded as finished (after a crash, its time is unknown).
 */
export interface LaneDoc {
  _id: Types.ObjectId;
  companyId: Types.ObjectId;
  sent: LaneState;
  planned: LaneState;
  inFlight: { shippingId: string; since: number } | null;
  /**
   * A throughput lane's sends in flight (claimed, recorded before their calls went out; `at`: the
   * planned start). They are already counted in `sent`; a dispatcher taking over treats them as made
   * at takeover (the next start waits a full gap from then) and the reconciler finishes them.
   */
  window: Array<{ shippingId: string; at: number }>;
  /** A throughput lane's latest real start whose outcome is recorded (its planned `sent` may be earlier). */
  lastStartAt?: number | null;
  /** A throughput lane's rate after the provider refused calls for it (130429), while it recovers. */
  rate: { configuredPerSec: number; loweredPerSec: number | null; loweredAt: number | null } | null;
  /** No send on this number before this time (epoch ms): the provider's throughput limit was hit. */
  coolDownUntil: number | null;
  version: number;
}

export const LaneSchema = new Schema<LaneDoc>(
  {
    _id: { type: Schema.Types.ObjectId, required: true },
    companyId: { type: Schema.Types.ObjectId, required: true },
    sent: { type: LaneStateSchema, default: () => ({}) },
    planned: { type: LaneStateSchema, default: () => ({}) },
    inFlight: { type: new Schema({ shippingId: String, since: Number }, { _id: false }), default: null },
    coolDownUntil: { type: Number, default: null },
    window: { type: [new Schema({ shippingId: String, at: Number }, { _id: false })], default: undefined },
    lastStartAt: { type: Number, default: null },
    rate: {
      type: new Schema({ configuredPerSec: Number, loweredPerSec: Number, loweredAt: Number }, { _id: false }),
      default: null,
    },
    version: { type: Number, default: 0 },
  },
  { collection: 'lanes', versionKey: false },
);
