import { Schema, type Types } from 'mongoose';

export interface ContactListDoc {
  _id: Types.ObjectId;
  companyId: Types.ObjectId;
  name: string;
  createdAt: Date;
}

export const ContactListSchema = new Schema<ContactListDoc>(
  {
    companyId: { type: Schema.Types.ObjectId, required: true, index: true },
    name: { type: String, required: true },
    createdAt: { type: Date, default: () => new Date() },
  },
  { collection: 'contact_lists', versionKey: false },
);
