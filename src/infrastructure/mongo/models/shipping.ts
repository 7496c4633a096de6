import { Schema, Types } from 'mongoose';
import { SHIPPING_STATUSES, type ShippingStatus } from '../../../domain/campaigns/shipping-status';
import type { Envelope } from '../../../domain/events/envelope';
import { DELIVERY_STATUSES, type DeliveryStatus } from '../../../domain/whatsapp/delivery-status';
import type { RenderedTemplate } from '../../../domain/whatsapp/templates';

/** One campaign message to one contact: the source of truth for "sent at most once". */
export interface ShippingDoc {
  _id: Types.ObjectId;
  companyId: Types.ObjectId;
  campaignId: Types.ObjectId;
  contactId: Types.ObjectId;
  connectionId: Types.ObjectId;
  phone: string;
  /** What the contact reads: the personalised variant, or a template's body with its parameters filled. */
  text: string;
  variant: number;
  mediaUrl: string | null;
  /** The template exactly as sent (name, language, rendered components); null for a text message. */
  template?: RenderedTemplate | null;
  status: ShippingStatus;
  plannedAt: Date;
  sentAt: Date | null;
  /** When the lane last claimed it (queued → sending): how long a send has been in flight. */
  claimedAt: Date | null;
  claimToken?: string;
  /** When the reconciler last handed it back to its lane (stuck after a crash). */
  reconciledAt: Date | null;
  attempts: number;
  lastError: string | null;
  providerMessageId: string | null;
  /** The provider's latest report (status webhooks), only ever moving up (sent < failed < delivered < read). */
  deliveryStatus: DeliveryStatus | null;
  deliveryRank: number;
  deliveredAt: Date | null;
  readAt: Date | null;
  /** Why the provider could not deliver (`failed` webhook): `<code>: <title>`. */
  failedReason: string | null;
  /**
   * The outcome event (MessageDispatched or MessageFailed) stored with the change that caused it and
   * removed once the broker confirmed its publish: one still here after a crash is published again,
   * as it is (same eventId), by the lane's redelivered message or the reconciler. Absent otherwise.
   */
  outbox?: Envelope | null;
  /** When `outbox` was stored (what the reconciler looks for); absent when nothing waits. */
  outboxAt?: Date | null;
  /**
   * Set with a change that moves a campaign counter but has no outbox (a cancellation), removed once
   * the counter moved: while it is recent, the counters' recount leaves the campaign alone (see
   * CampaignService.recountQuiet). Sent and failed have their outbox for this. Absent otherwise.
   */
  countPendingAt?: Date | null;
  createdAt: Date;
}

/** What a new shipping is made of; every other field starts empty (queued, never attempted). */
export type NewShipping = Pick<
  ShippingDoc,
  'companyId' | 'campaignId' | 'contactId' | 'connectionId' | 'phone' | 'text' | 'variant' | 'mediaUrl' | 'plannedAt'
> &
  Pick<Partial<ShippingDoc>, 'template'>;

/** A complete shipping document for a bulk insert through the driver (which applies no schema defaults). */
export function newShipping(fields: NewShipping, now: Date): ShippingDoc {
  return {
    _id: new Types.ObjectId(),
    template: null,
    ...fields,
    status: 'queued',
    sentAt: null,
    claimedAt: null,
    reconciledAt: null,
    attempts: 0,
    lastError: null,
    providerMessageId: null,
    deliveryStatus: null,
    deliveryRank: 0,
    deliveredAt: null,
    readAt: null,
    failedReason: null,
    createdAt: now,
  };
}

export const ShippingSchema = new Schema<ShippingDoc>(
  {
    companyId: { type: Schema.Types.ObjectId, required: true },
    campaignId: { type: Schema.Types.ObjectId, required: true },
    contactId: { type: Schema.Types.ObjectId, required: true },
    connectionId: { type: Schema.Types.ObjectId, required: true },
    phone: { type: String, required: true },
    text: { type: String, required: true },
    variant: { type: Number, default: 0 },
    mediaUrl: { type: String, default: null },
    template: { type: Schema.Types.Mixed, default: null },
    status: { type: String, enum: SHIPPING_STATUSES, default: 'queued' },
    plannedAt: { type: Date, required: true },
    sentAt: { type: Date, default: null },
    claimedAt: { type: Date, default: null },
    /** Which batch claim moved it to `sending` (a throughput lane claims many in one write). */
    claimToken: { type: String },
    reconciledAt: { type: Date, default: null },
    attempts: { type: Number, default: 0 },
    lastError: { type: String, default: null },
    providerMessageId: { type: String, default: null },
    deliveryStatus: { type: String, enum: [...DELIVERY_STATUSES, null], default: null },
    deliveryRank: { type: Number, default: 0 },
    deliveredAt: { type: Date, default: null },
    readAt: { type: Date, default: null },
    failedReason: { type: String, default: null },
    outbox: { type: Schema.Types.Mixed },
    outboxAt: { type: Date },
    countPendingAt: { type: Date },
    createdAt: { type: Date, default: () => new Date() },
  },
  { collection: 'shippings', versionKey: false },
);
ShippingSchema.index({ campaignId: 1, contactId: 1 }, { unique: true });
ShippingSchema.index({ campaignId: 1, status: 1 });
ShippingSchema.index({ connectionId: 1, providerMessageId: 1 });
/** A deleted contact's shippings not yet sent are found and cancelled. */
ShippingSchema.index({ contactId: 1, status: 1 });
/** Outcome events a crash left unpublished (the reconciler's range on the few that have one). */
ShippingSchema.index({ outboxAt: 1 });
