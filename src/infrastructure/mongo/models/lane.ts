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
    version: { type: Number, default: 0 },
  },
  { collection: 'lanes', versionKey: false },
);
