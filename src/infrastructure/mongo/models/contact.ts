import { Schema, type Types } from 'mongoose';

/** A person a company may message; unique per company by E.164 phone. */
export interface ContactDoc {
  _id: Types.ObjectId;
  companyId: Types.ObjectId;
  phone: string;
  name: string | null;
  fields: Record<string, string>;
  listIds: Types.ObjectId[];
  /** The phone parsed as a valid number. */
  valid: boolean;
  /** The gateway confirmed the number is on WhatsApp (null: not checked yet). */
  onWhatsApp: boolean | null;
  rejectReason: string | null;
  checkedAt: Date | null;
  updatedAt: Date;
}

export const ContactSchema = new Schema<ContactDoc>(
  {
    companyId: { type: Schema.Types.ObjectId, required: true },
    phone: { type: String, required: true },
    name: { type: String, default: null },
    fields: { type: Schema.Types.Mixed, default: () => ({}) },
    listIds: { type: [Schema.Types.ObjectId], default: () => [] },
    valid: { type: Boolean, default: true },
    onWhatsApp: { type: Boolean, default: null },
    rejectReason: { type: String, default: null },
    checkedAt: { type: Date, default: null },
    updatedAt: { type: Date, default: () => new Date() },
  },
  { collection: 'contacts', versionKey: false, minimize: false },
);
ContactSchema.index({ companyId: 1, phone: 1 }, { unique: true });
ContactSchema.index({ companyId: 1, listIds: 1, _id: 1 });
