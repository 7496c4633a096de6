import { Schema } from 'mongoose';

/**
 * The recipients one scope (a number: `connection:<id>`; a company: `company:<id>`) started conversations with in the last
 * 24 h, for its daily cap. Changed only by compare-and-set on `version`, so two workers never both
 * take the last slot.
 */
export interface RecipientCapDoc {
  _id: string;
  /**
   * `shared`: another send counted on this entry (the phone was already counted), so the reservation
   * that wrote it may no longer give it back when another scope turns out full.
   */
  recent: Array<{ phone: string; at: number; shared?: boolean }>;
  version: number;
}

export const RecipientCapSchema = new Schema<RecipientCapDoc>(
  {
    _id: { type: String, required: true },
    recent: { type: [new Schema({ phone: String, at: Number, shared: Boolean }, { _id: false })], default: () => [] },
    version: { type: Number, default: 0 },
  },
  { collection: 'recipient_caps', versionKey: false },
);
