import { Schema, type Types } from 'mongoose';
import { SUPPRESSION_SOURCES, type SuppressionSource } from '../../../domain/events/suppression-messages';

/**
 * A phone (E.164) on a company's suppression list: no campaign of the company sends to it, whether
 * or not a contact with that phone exists. One document per (company, phone), kept when lifted
 * (`suppressed: false`) so the history of the last change stays readable.
 */
export interface SuppressionDoc {
  _id: Types.ObjectId;
  companyId: Types.ObjectId;
  phone: string;
  suppressed: boolean;
  /** How it got on the list: the contact's opt-out keyword, the API, or a CSV import. */
  source: SuppressionSource;
  keyword: string | null;
  /** The number the opt-out was received on (null when added by the company). */
  connectionId: Types.ObjectId | null;
  suppressedAt: Date;
  liftedAt: Date | null;
}

export const SuppressionSchema = new Schema<SuppressionDoc>(
  {
    companyId: { type: Schema.Types.ObjectId, required: true },
    phone: { type: String, required: true },
    suppressed: { type: Boolean, default: true },
    source: { type: String, enum: SUPPRESSION_SOURCES, required: true },
    keyword: { type: String, default: null },
    connectionId: { type: Schema.Types.ObjectId, default: null },
    suppressedAt: { type: Date, default: () => new Date() },
    liftedAt: { type: Date, default: null },
  },
  { collection: 'suppressions', versionKey: false },
);
/** The lookup dispatch makes before every send: exact keys, so even the MongoDB-wire server uses it. */
SuppressionSchema.index({ companyId: 1, phone: 1 }, { unique: true });
