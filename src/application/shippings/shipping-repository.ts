import type { Types } from 'mongoose';
import type { ShippingStatus } from '../../domain/campaigns/shipping-status';
import type { ShippingDoc } from '../../infrastructure/mongo/models/shipping';

/** What the outcome of a shipping needs to know about it (ids and its planned time). */
export type ShippingRef = Pick<ShippingDoc, '_id' | 'campaignId' | 'contactId' | 'connectionId' | 'plannedAt'>;

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
  /** Removes the shipping's outbox event if it still is `eventId` (its publish was confirmed). */
  clearOutbox(id: Types.ObjectId, eventId: string): Promise<boolean>;
  /** Shippings whose outbox event was stored at or before `before` and is still there (oldest first). */
  withPendingOutbox(before: Date, limit: number): Promise<ShippingDoc[]>;
  /** Moves every shipping of the campaign in `from` to `to`; how many moved. */
  transitionCampaign(campaignId: Types.ObjectId, from: readonly ShippingStatus[], to: ShippingStatus): Promise<number>;
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
}

export type OutcomeCounter = 'sent' | 'failed' | 'cancelled';

/** The campaign counters a shipping's end moves (kept beside the campaign, for progress without a scan). */
export interface CampaignCounterStore {
  /** Adds `by` to the counter and, with `activityAt`, marks the campaign active then. */
  count(campaignId: Types.ObjectId, counter: OutcomeCounter, by: number, activityAt: Date | null): Promise<void>;
}
