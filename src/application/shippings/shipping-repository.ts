import type { Types } from 'mongoose';
import type { ShippingStatus } from '../../domain/campaigns/shipping-status';
import type { DeliveryCounter, DeliveryStatus } from '../../domain/whatsapp/delivery-status';
import type { ShippingDoc } from '../../infrastructure/mongo/models/shipping';

/** What the outcome of a shipping needs to know about it (ids and its planned time). */
export type ShippingRef = Pick<ShippingDoc, '_id' | 'campaignId' | 'contactId' | 'connectionId' | 'plannedAt'>;

/** A sent shipping as a delivery report names it: the provider's message id on one number. */
export interface ProviderMessage {
  connectionId: string;
  providerMessageId: string;
}

/** Fields a status change may set besides the status. */
export type ShippingChanges = Partial<
  Pick<
    ShippingDoc,
    | 'sentAt'
    | 'providerMessageId'
    | 'lastError'
    | 'plannedAt'
    | 'reconciledAt'
    | 'claimedAt'
    | 'connectionId'
    | 'outbox'
    | 'outboxAt'
    | 'countPendingAt'
  >
>;

/**
 * The shippings' store, as the shipping service needs it. Every write is a compare-and-set on the
 * status (`from`), so concurrent callers never both apply one change.
 */
export interface ShippingRepository {
  findById(id: string): Promise<ShippingDoc | null>;
  /**
   * Moves one shipping to `to` (with `changes`) if its status is one of `from` (and, given
   * `onConnection`, it is still on that number); whether it did.
   */
  transition(
    id: Types.ObjectId,
    from: readonly ShippingStatus[],
    to: ShippingStatus,
    changes?: ShippingChanges,
    onConnection?: Types.ObjectId,
  ): Promise<boolean>;
  /**
   * The same, counting an attempt, and returning the shipping as claimed (null when another won, or
   * when it moved to another number than `onConnection`).
   */
  claim(
    id: Types.ObjectId,
    from: readonly ShippingStatus[],
    claimedAt: Date,
    onConnection?: Types.ObjectId,
  ): Promise<ShippingDoc | null>;
  /** Several shippings by id, in one read (those that exist). */
  findMany(ids: Types.ObjectId[]): Promise<ShippingDoc[]>;
  /**
   * `claim` for a batch, in one write and one read: the shippings of `ids` in one of `from` (and on
   * `onConnection`) move to `sending`, counting an attempt; returns those this call claimed.
   */
  claimMany(
    ids: Types.ObjectId[],
    from: readonly ShippingStatus[],
    claimedAt: Date,
    onConnection: Types.ObjectId,
  ): Promise<ShippingDoc[]>;
  /** `transition` for a batch, each with its own changes, in one write; the ids that moved. */
  transitionEach(
    changes: Array<{ id: Types.ObjectId; changes: ShippingChanges }>,
    from: readonly ShippingStatus[],
    to: ShippingStatus,
  ): Promise<Set<string>>;
  /** `clearOutbox` for a batch, in one write. */
  clearOutboxes(events: Array<{ id: Types.ObjectId; eventId: string }>): Promise<void>;
  /** Removes the shipping's outbox event if it still is `eventId` (its publish was confirmed). */
  clearOutbox(id: Types.ObjectId, eventId: string): Promise<boolean>;
  /** Shippings whose outbox event was stored at or before `before` and is still there (oldest first). */
  withPendingOutbox(before: Date, limit: number): Promise<ShippingDoc[]>;
  /** Moves every shipping of the campaign in `from` to `to` (with `changes`); how many moved. */
  transitionCampaign(
    campaignId: Types.ObjectId,
    from: readonly ShippingStatus[],
    to: ShippingStatus,
    changes?: ShippingChanges,
  ): Promise<number>;
  /** Removes the count-pending mark `at` from the campaign's shippings (one shipping, given `id`): its counter moved. */
  clearCountPending(campaignId: Types.ObjectId, at: Date, id?: Types.ObjectId): Promise<void>;
  /**
   * Inserts new shippings (queued), skipping any that exists for the same campaign and contact;
   * whether all were new, and how many were inserted.
   */
  insertNew(shippings: ShippingDoc[]): Promise<{ allNew: boolean; inserted: number }>;
  /** The campaign's shippings of these contacts still queued (a redelivered batch's leftovers). */
  queuedOf(
    campaignId: Types.ObjectId,
    contactIds: Types.ObjectId[],
  ): Promise<Array<Pick<ShippingDoc, '_id' | 'contactId' | 'plannedAt' | 'connectionId'>>>;
  /** The contact's shippings in one of `statuses` (few: one per campaign that planned it). */
  ofContact(
    contactId: Types.ObjectId,
    statuses: readonly ShippingStatus[],
  ): Promise<Array<Pick<ShippingDoc, '_id' | 'campaignId'>>>;
  /**
   * Moves the sent shipping's delivery status up to `status` (with its rank, and the reason of a
   * failure) if its rank is lower; the shipping as it was before (its campaign and delivery status),
   * or null when there is none or its status ranks as high already.
   */
  raiseDelivery(
    message: ProviderMessage,
    status: DeliveryStatus,
    rank: number,
    failedReason: string | null,
  ): Promise<Pick<ShippingDoc, 'campaignId' | 'deliveryStatus'> | null>;
  /** Sets the time unless the shipping holds an earlier one already. */
  recordEarliest(message: ProviderMessage, field: 'deliveredAt' | 'readAt', at: Date): Promise<void>;
  hasMessage(message: ProviderMessage): Promise<boolean>;
}

export type OutcomeCounter = 'sent' | 'failed' | 'cancelled';

/** The campaign counters a shipping's end moves (kept beside the campaign, for progress without a scan). */
export interface CampaignCounterStore {
  /** Adds `by` to the counter and, with `activityAt`, marks the campaign active then. */
  count(campaignId: Types.ObjectId, counter: OutcomeCounter, by: number, activityAt: Date | null): Promise<void>;
  /** Adds each change (some negative: a shipping that was undelivered, delivered after all) to the delivery counters. */
  countDelivery(campaignId: Types.ObjectId, changes: Partial<Record<DeliveryCounter, number>>): Promise<void>;
}
