import type { Types } from 'mongoose';
import type { CampaignStatus } from '../../domain/campaigns/campaign-status';
import type { Cause } from '../../domain/events/envelope';
import type { LaneState } from '../../domain/pacing/pacing-rule';
import type { PacingSettings } from '../../domain/pacing/pacing-settings';
import type { PlanLimits } from '../../domain/pacing/send-planner';
import type { WeeklySchedule } from '../../domain/pacing/sending-window';
import type { CampaignDoc, CampaignPlan, PlannedLane } from '../../infrastructure/mongo/models/campaign';
import type { ShippingRef } from '../shippings/shipping-repository';

/** What a new campaign is made of (it starts as a draft). */
export type NewCampaign = Pick<CampaignDoc, 'name' | 'variants' | 'mediaUrl' | 'pacing'> &
  Partial<Pick<CampaignDoc, 'template' | 'sendingWindows'>> & {
    companyId: string;
    connectionId: string;
    /** Several numbers (the first is `connectionId`). */
    connectionIds?: string[];
    listId: string;
  };

/** Fields a status change may set besides the status. */
export type CampaignChanges = Partial<
  Pick<
    CampaignDoc,
    | 'name'
    | 'variants'
    | 'mediaUrl'
    | 'template'
    | 'pacing'
    | 'sendingWindows'
    | 'pausedReason'
    | 'autoPaused'
    | 'scheduledAt'
    | 'correlationId'
    | 'queuedAt'
    | 'startedAt'
    | 'completedAt'
  >
> & {
  connectionId?: Types.ObjectId | string;
  /** Several numbers (null: back to the one `connectionId`). */
  connectionIds?: Array<Types.ObjectId | string> | null;
  listId?: Types.ObjectId | string;
  status?: CampaignStatus;
};

/** Extra conditions of a compare-and-set besides the id and the status. */
export interface CampaignGuard {
  /** Only the company's campaign. */
  companyId?: string;
  /** Only if scheduled no later than this. */
  scheduledBy?: Date;
  /** Only if still queued at exactly this time (nobody re-sent it meanwhile). */
  queuedAt?: Date | null;
}

/** The counts a recount sets from the campaign's shippings. */
export interface RecountedCounters {
  prepared: number;
  sent: number;
  failed: number;
  cancelled: number;
}

/**
 * The campaigns' store, as the campaign service needs it. Every status change is a compare-and-set
 * on the status (`from`), so concurrent callers (the scheduler on two instances, a redelivered
 * CampaignDue, a pause racing the last send) never both apply one.
 */
export interface CampaignRepository {
  create(fields: NewCampaign): Promise<CampaignDoc>;
  findById(id: string): Promise<CampaignDoc | null>;
  /** Only what completion looks at (read after every send: kept small). */
  completionState(id: string): Promise<Pick<CampaignDoc, '_id' | 'status' | 'processingDone' | 'counters'> | null>;
  /** Moves one campaign from `from` (and the guard) with `set`; the document as it was before, or null. */
  transition(
    id: string,
    from: readonly CampaignStatus[],
    set: CampaignChanges,
    guard?: CampaignGuard,
  ): Promise<CampaignDoc | null>;
  /** Deletes the company's campaign. */
  remove(id: string, companyId: string): Promise<void>;
  /** Ids of scheduled campaigns due by `until`, earliest first. */
  scheduledBy(until: Date, limit: number): Promise<string[]>;
  /** Queued campaigns claimed and due before `before` that never started. */
  stuckQueued(before: Date, limit: number): Promise<CampaignDoc[]>;
  /** The connection's campaigns in one of `statuses` (those sending from it among other numbers too). */
  ofConnection(connectionId: string, statuses: readonly CampaignStatus[]): Promise<CampaignOnNumbers[]>;
  /** Stores the send plan if none is stored yet (and the audience counter); the plan stored (first writer wins). */
  storePlan(id: Types.ObjectId, plan: CampaignPlan): Promise<CampaignPlan>;
  /** Marks processing done once, with the members skipped and missed and the last planned send. */
  finishProcessing(
    id: Types.ObjectId,
    result: { skipped: number; suppressed: number; missing: number; plannedUntil: Date | null },
  ): Promise<void>;
  /**
   * Counts a prepared batch once (a redelivered batch is not counted again): shippings created, and
   * planned contacts that vanished before (missing); whether it counted.
   */
  countPreparedBatch(
    id: Types.ObjectId,
    batch: number,
    prepared: number,
    missing: number,
    failed?: number,
  ): Promise<boolean>;
  /** Moves the last planned send later (never earlier). */
  extendPlannedUntil(id: Types.ObjectId, plannedUntil: Date): Promise<void>;
  /** Running, processed campaigns with no shipping activity and no planned send since `since`, with their counters. */
  quietRunning(since: Date, limit: number): Promise<Array<Pick<CampaignDoc, '_id' | 'companyId' | 'counters'>>>;
  /**
   * Sets counters recounted from the shippings, and marks the campaign active at `at`, if they still
   * are `expected` (as read before the recount: a change counted meanwhile makes the recount stale).
   * Whether they were set.
   */
  setCounters(id: Types.ObjectId, counters: RecountedCounters, at: Date, expected: RecountedCounters): Promise<boolean>;
}

/** What moving a campaign off one of its numbers needs of it. */
export type CampaignOnNumbers = Pick<
  CampaignDoc,
  '_id' | 'companyId' | 'connectionId' | 'connectionIds' | 'pacing' | 'sendingWindows' | 'status'
>;

/** A member a campaign sends to, as its prepare batch carries it. */
export interface AudienceMember {
  _id: Types.ObjectId;
  phone: string;
  name?: string | null;
  fields?: Record<string, string>;
}

/** The list members a campaign sends to: valid numbers not known to be off WhatsApp. */
export interface CampaignAudience {
  countEligible(companyId: Types.ObjectId, listId: Types.ObjectId): Promise<number>;
  /** Members with an invalid number or not on WhatsApp. */
  countSkipped(companyId: Types.ObjectId, listId: Types.ObjectId): Promise<number>;
  /** The eligible members in a stable order (by id), streamed. */
  eligible(companyId: Types.ObjectId, listId: Types.ObjectId): AsyncIterable<AudienceMember>;
}

/** What the campaign service reads of its shippings (changes go through the shipping service). */
export interface CampaignShippingsView {
  /** Shippings parked while the campaign was paused (on one of its numbers). */
  countParked(campaignId: Types.ObjectId, connectionId: Types.ObjectId): Promise<number>;
  /** Shippings parked while the campaign was paused on one of its numbers, in planned order. */
  parked(campaignId: Types.ObjectId, connectionId: Types.ObjectId): AsyncIterable<ShippingRef>;
  /** The campaign's shippings not yet sent (queued or parked) on one of its numbers, in planned order. */
  unsentOn(campaignId: Types.ObjectId, connectionId: Types.ObjectId): Promise<ShippingRef[]>;
  /** How many of the campaign's shippings are in each status. */
  countByStatus(campaignId: Types.ObjectId): Promise<Record<string, number>>;
  /**
   * Whether one of the campaign's shippings changed after `since` in a way that may not be counted
   * yet: its outcome event still in its outbox, or its count-pending mark (a cancellation).
   */
  hasUncountedSince(campaignId: Types.ObjectId, since: Date): Promise<boolean>;
  /** Whether one of the campaign's shippings is not finished yet (queued, sending or paused). */
  hasUnfinished(campaignId: Types.ObjectId): Promise<boolean>;
}

/** The changes a campaign makes to its shippings (owned by the shipping service). */
export interface CampaignShippingChanges {
  replan(shipping: ShippingRef, plannedAt: Date, cause: Cause): Promise<boolean>;
  /** Moves a shipping not yet sent from one number to another, at a new time (compare-and-set on the number). */
  reassign(
    shipping: ShippingRef,
    from: Types.ObjectId,
    to: Types.ObjectId,
    plannedAt: Date,
    cause: Cause,
  ): Promise<boolean>;
  cancelCampaign(campaignId: Types.ObjectId): Promise<number>;
}

/** What a company's sends honour: its pacing, time zone and sending windows (null when it does not exist). */
export interface CompanySending {
  sendingOf(companyId: string): Promise<{
    pacing: PacingSettings;
    timezone: string;
    sendingWindows?: WeeklySchedule | null;
  } | null>;
}

/** A campaign's numbers as planning sees them: connected or not, and each one's daily cap. */
export interface SendingNumbers {
  /** Those of `ids` connected (one not found counts as connected: dispatch decides then). */
  connected(ids: string[]): Promise<string[]>;
  /** The number's daily cap as planned from `at` (its sends of the day before it, oldest first); null: none. */
  capOf(connectionId: string, at: number): Promise<PlannedLane['cap']>;
}

/** The phones on a company's suppression list (not planned). */
export interface SuppressedPhones {
  phonesOf(companyId: Types.ObjectId): Promise<Set<string>>;
}

/** A number's lane: declared before use; send slots reserved on it for a campaign's plan. */
export interface LaneReservations {
  declare(connectionId: string): Promise<void>;
  reserve(
    connectionId: string,
    companyId: string,
    settings: PacingSettings,
    startAt: number,
    count: number,
    limits?: PlanLimits,
  ): Promise<LaneState>;
}

/** One batch of planned contacts for contact-prepare. */
export interface PrepareBatch {
  campaignId: string;
  batch: number;
  items: Array<{
    contactId: string;
    plannedAt: number;
    /** The number it is sent from, when the campaign has several. */
    connectionId?: string;
    contact?: { phone: string; name: string | null; fields: Record<string, string> };
  }>;
}

/** The commands a campaign sends through the broker. */
export interface CampaignCommands {
  /** CampaignDue to campaign-process, to arrive at `scheduledAt`. */
  sendDue(campaign: { campaignId: string; scheduledAt: Date }, cause: Cause, now: number): Promise<void>;
  /** A batch of planned contacts to contact-prepare. */
  sendPrepare(batch: PrepareBatch, cause: Cause): Promise<void>;
}
