import type { Types } from 'mongoose';
import type { z } from 'zod';
import {
  claimableStatuses,
  NOT_YET_SENT,
  type ShippingCommand,
  type ShippingStatus,
  shippingStatusesAllowing,
  shippingTarget,
} from '../../domain/campaigns/shipping-status';
import { MessageDispatched, MessageFailed } from '../../domain/events/dispatch-messages';
import {
  type Cause,
  createMessage,
  type Envelope,
  type MessageDefinition,
  stableEventId,
} from '../../domain/events/envelope';
import {
  counterChanges,
  DELIVERY_RANK,
  type DeliveryStatus,
  deliveryTimesOf,
} from '../../domain/whatsapp/delivery-status';
import type { SendReceipt } from '../../domain/whatsapp/gateway';
import type { ShippingDoc } from '../../infrastructure/mongo/models/shipping';
import type { DomainEvents, LaneHandoff } from '../messaging-ports';
import type { CampaignCounterStore, ShippingChanges, ShippingRef, ShippingRepository } from './shipping-repository';

export interface ShippingServiceDeps {
  shippings: ShippingRepository;
  counters: CampaignCounterStore;
  events: DomainEvents;
  lanes: LaneHandoff;
  /** Completes the campaign if this was its last shipping in flight (the campaign's own rule). */
  completeIfDone(campaignId: string, cause: Cause): Promise<boolean>;
  now(): number;
}

/** The events a shipping's end publishes (through its outbox). */
const OUTCOME_EVENTS: ReadonlyArray<MessageDefinition<string, z.ZodType>> = [MessageDispatched, MessageFailed];

/** A shipping ends once, so its outcome event is one event: its id derives from the shipping. */
export function outcomeEventId(type: string, shippingId: Types.ObjectId | string): string {
  return stableEventId(type, String(shippingId));
}

function outboxOf(event: Envelope, now: number): Pick<ShippingChanges, 'outbox' | 'outboxAt'> {
  return { outbox: event, outboxAt: new Date(now) };
}

export interface SendFailure {
  /** Kept on the shipping: `<code>: <message>`, clipped. */
  lastError: string;
  /** Published in MessageFailed. */
  reason: string;
  code: string | null;
}

/** One status the provider reported for a message it accepted. */
export interface DeliveryReport {
  providerMessageId: string;
  status: DeliveryStatus;
  at: Date;
  /** For `failed`: why (`<code>: <title>`). */
  reason?: string | null;
}

/** Applied; stale (its shipping already ranks as high); unknown (no shipping has that message id). */
export type DeliveryOutcome = 'applied' | 'stale' | 'unknown';

/**
 * Owns every status change of a shipping (see the table in shipping-status.ts), the campaign
 * counters each end moves and the events and lane messages it causes. Each change is a
 * compare-and-set from the statuses the table allows, so a lane, the reconciler and a redelivered
 * message never both apply one: whoever loses gets `false`/`null` and does nothing more.
 */
export class ShippingService {
  constructor(private readonly deps: ShippingServiceDeps) {}

  private move(id: Types.ObjectId, command: ShippingCommand, changes?: ShippingChanges): Promise<boolean> {
    return this.deps.shippings.transition(id, shippingStatusesAllowing(command), shippingTarget(command), changes);
  }

  /**
   * Creates a batch of shippings (queued) against the unique (campaign, contact) index: a batch
   * prepared again creates nothing twice. Returns the shippings of the batch still waiting to be
   * sent (new ones, and earlier ones a crash left behind) and how many were created. Shippings
   * that failed at preparation (`failedAtPreparation`) are created failed, their MessageFailed in
   * their outbox: published here when the whole batch is new, else by the reconciler.
   */
  async create(
    campaignId: Types.ObjectId,
    contactIds: Types.ObjectId[],
    shippings: ShippingDoc[],
  ): Promise<{
    created: number;
    ready: Array<Pick<ShippingDoc, '_id' | 'contactId' | 'plannedAt' | 'connectionId'>>;
  }> {
    const { allNew, inserted } = await this.deps.shippings.insertNew(shippings);
    const queued = shippings.filter((shipping) => shipping.status === 'queued');
    const ready = allNew ? queued : await this.deps.shippings.queuedOf(campaignId, contactIds);
    if (allNew)
      for (const shipping of shippings)
        if (shipping.status === 'failed' && shipping.outbox) await this.publishStored(shipping._id, shipping.outbox);
    return { created: inserted, ready };
  }

  /**
   * A new shipping that fails for good before any provider call (a template parameter empty for its
   * contact): created failed with the reason, its MessageFailed in its outbox. Counted with its
   * prepared batch (CampaignService.countPreparedBatch), so a batch prepared again counts it once.
   */
  failedAtPreparation(shipping: ShippingDoc, failure: SendFailure, cause: Cause): ShippingDoc {
    const event = this.failedEvent(shipping, failure, cause);
    return { ...shipping, status: 'failed', lastError: failure.lastError, ...outboxOf(event, this.deps.now()) };
  }

  find(id: string): Promise<ShippingDoc | null> {
    return this.deps.shippings.findById(id);
  }

  /** Ended shippings whose outcome event a crash left unconfirmed since at least `before`. */
  withPendingOutbox(before: Date, limit: number): Promise<ShippingDoc[]> {
    return this.deps.shippings.withPendingOutbox(before, limit);
  }

  /**
   * queued → sending (or sending again, on a provider that deduplicates the idempotency key),
   * counting the attempt; null when it was not claimable any more (another delivery claimed it).
   */
  claim(id: Types.ObjectId, providerDeduplicates: boolean, onConnection?: Types.ObjectId): Promise<ShippingDoc | null> {
    return this.deps.shippings.claim(
      id,
      claimableStatuses(providerDeduplicates),
      new Date(this.deps.now()),
      onConnection,
    );
  }

  /**
   * The provider accepted it: sending → sent (once), counted, MessageDispatched, maybe the campaign's
   * end. The event is stored on the shipping in the same write (its outbox) and published after, so
   * a crash in between leaves it there for the lane's redelivered message or the reconciler to
   * publish (`publishOutcome`); its eventId is the shipping's, so the event log keeps it once.
   */
  async markSent(shipping: ShippingRef, receipt: SendReceipt, cause: Cause): Promise<boolean> {
    const event = this.dispatchedEvent(shipping, receipt, cause, this.deps.now());
    const updated = await this.move(shipping._id, 'markSent', {
      sentAt: receipt.acceptedAt,
      providerMessageId: receipt.providerMessageId,
      lastError: null,
      ...outboxOf(event, this.deps.now()),
    });
    // Whoever lost the compare-and-set publishes nothing: the winner's outbox carries the one event.
    if (updated) {
      await this.deps.counters.count(shipping.campaignId, 'sent', 1, new Date(this.deps.now()));
      await this.publishStored(shipping._id, event);
    }
    await this.deps.completeIfDone(String(shipping.campaignId), cause);
    return updated;
  }

  /** Several shippings by id, in one read. */
  findMany(ids: Types.ObjectId[]): Promise<ShippingDoc[]> {
    return this.deps.shippings.findMany(ids);
  }

  /** `claim` for a batch of a number's shippings, in one write and one read: those claimed. */
  claimMany(
    ids: Types.ObjectId[],
    providerDeduplicates: boolean,
    onConnection: Types.ObjectId,
  ): Promise<ShippingDoc[]> {
    return this.deps.shippings.claimMany(
      ids,
      claimableStatuses(providerDeduplicates),
      new Date(this.deps.now()),
      onConnection,
    );
  }

  /**
   * `markSent` for a batch a throughput lane sent: every status and outbox in one write, each
   * campaign's counter once, the events published (confirmed) together, their outboxes cleared in
   * one write, each campaign's end checked once. The ids that moved to sent (the others lost their
   * compare-and-set to someone else, whose outbox carries their one event).
   */
  async markSentMany(all: Array<{ shipping: ShippingRef; receipt: SendReceipt; cause: Cause }>): Promise<Set<string>> {
    // One shipping twice (two copies of its message, each claimed and sent: a provider that
    // deduplicates answers the second with the first's receipt) moves, counts and is announced once.
    const sends = [...new Map(all.map((send) => [String(send.shipping._id), send])).values()];
    if (sends.length === 0) return new Set();
    const now = this.deps.now();
    const events = sends.map(({ shipping, receipt, cause }) => this.dispatchedEvent(shipping, receipt, cause, now));
    const moved = await this.deps.shippings.transitionEach(
      sends.map(({ shipping, receipt }, index) => ({
        id: shipping._id,
        changes: {
          sentAt: receipt.acceptedAt,
          providerMessageId: receipt.providerMessageId,
          lastError: null,
          ...outboxOf(events[index]!, now),
        },
      })),
      shippingStatusesAllowing('markSent'),
      shippingTarget('markSent'),
    );
    const perCampaign = new Map<string, { campaignId: Types.ObjectId; count: number; cause: Cause }>();
    for (const { shipping, cause } of sends) {
      const key = String(shipping.campaignId);
      const entry = perCampaign.get(key) ?? { campaignId: shipping.campaignId, count: 0, cause };
      if (moved.has(String(shipping._id))) entry.count++;
      perCampaign.set(key, entry);
    }
    await Promise.all(
      [...perCampaign.values()]
        .filter((each) => each.count > 0)
        .map((each) => this.deps.counters.count(each.campaignId, 'sent', each.count, new Date(now))),
    );
    const published = sends.flatMap(({ shipping }, index) =>
      moved.has(String(shipping._id)) ? [{ id: shipping._id, event: events[index]! }] : [],
    );
    await Promise.all(published.map(({ event }) => this.deps.events.publishMessage(MessageDispatched, event)));
    await this.deps.shippings.clearOutboxes(published.map(({ id, event }) => ({ id, eventId: event.eventId })));
    for (const { campaignId, cause } of perCampaign.values()) await this.deps.completeIfDone(String(campaignId), cause);
    return moved;
  }

  /** A shipping's MessageDispatched, with the id its outcome always has (the same event whenever it is re-published). */
  private dispatchedEvent(shipping: ShippingRef, receipt: SendReceipt, cause: Cause, now: number) {
    return createMessage(
      MessageDispatched,
      {
        shippingId: String(shipping._id),
        campaignId: String(shipping.campaignId),
        contactId: String(shipping.contactId),
        connectionId: String(shipping.connectionId),
        providerMessageId: receipt.providerMessageId,
        plannedAt: shipping.plannedAt.toISOString(),
        sentAt: receipt.acceptedAt.toISOString(),
      },
      cause,
      new Date(now),
      outcomeEventId(MessageDispatched.type, shipping._id),
    );
  }

  /** A shipping's MessageFailed, with the id its outcome always has (the same event whenever it is re-published). */
  private failedEvent(shipping: ShippingRef, failure: SendFailure, cause: Cause) {
    return createMessage(
      MessageFailed,
      {
        shippingId: String(shipping._id),
        campaignId: String(shipping.campaignId),
        contactId: String(shipping.contactId),
        connectionId: String(shipping.connectionId),
        reason: failure.reason,
        code: failure.code,
      },
      cause,
      new Date(this.deps.now()),
      outcomeEventId(MessageFailed.type, shipping._id),
    );
  }

  /** Failed for good: sending → failed (once), counted, MessageFailed (through the outbox, as markSent), maybe the campaign's end. */
  async markFailed(shipping: ShippingRef, failure: SendFailure, cause: Cause): Promise<boolean> {
    const event = this.failedEvent(shipping, failure, cause);
    const updated = await this.move(shipping._id, 'markFailed', {
      lastError: failure.lastError,
      ...outboxOf(event, this.deps.now()),
    });
    if (updated) {
      await this.deps.counters.count(shipping.campaignId, 'failed', 1, new Date(this.deps.now()));
      await this.publishStored(shipping._id, event);
    }
    await this.deps.completeIfDone(String(shipping.campaignId), cause);
    return updated;
  }

  /**
   * Publishes the outcome event a crash left in the shipping's outbox (sent or failed, event not
   * confirmed), exactly as it was stored, then checks the campaign's end (which the crash skipped
   * too). Nothing is counted again: the counters moved with the status. Whether there was one.
   */
  async publishOutcome(shipping: Pick<ShippingDoc, '_id' | 'campaignId' | 'outbox'>): Promise<boolean> {
    const event = shipping.outbox;
    if (!event) return false;
    await this.publishStored(shipping._id, event);
    const { companyId, correlationId, causationId } = event;
    await this.deps.completeIfDone(String(shipping.campaignId), { companyId, correlationId, causationId });
    return true;
  }

  private async publishStored(id: Types.ObjectId, event: Envelope): Promise<void> {
    const definition = OUTCOME_EVENTS.find((each) => each.type === event.type);
    if (!definition) throw new Error(`shipping ${String(id)} holds an unknown outcome event ${event.type}`);
    await this.deps.events.publishMessage(definition, event);
    await this.deps.shippings.clearOutbox(id, event.eventId);
  }

  /** A send that will be tried again (the caller decides when): sending → queued, keeping why. */
  release(id: Types.ObjectId, lastError: string): Promise<boolean> {
    return this.move(id, 'release', { lastError });
  }

  /** Its campaign is paused: queued → paused; resuming re-plans it. */
  park(id: Types.ObjectId): Promise<boolean> {
    return this.move(id, 'park');
  }

  /**
   * Not to be sent (its campaign was cancelled or is gone, its contact deleted): queued or paused →
   * cancelled, counted on the campaign. `reason` is kept as its lastError.
   */
  async cancel(shipping: Pick<ShippingDoc, '_id' | 'campaignId'>, reason?: string): Promise<boolean> {
    const at = new Date(this.deps.now());
    const cancelled = await this.move(shipping._id, 'cancel', {
      ...(reason ? { lastError: reason } : {}),
      countPendingAt: at,
    });
    if (cancelled) await this.countCancelled(shipping.campaignId, 1, at, { activityAt: at, id: shipping._id });
    return cancelled;
  }

  /**
   * Counts cancellations stored with the count-pending mark `at`, then removes the mark. Between the
   * two writes a recount would count them from their status and this count again: the mark makes
   * it wait (sent and failed have their outbox for the same purpose).
   */
  private async countCancelled(
    campaignId: Types.ObjectId,
    by: number,
    at: Date,
    { activityAt, id }: { activityAt: Date | null; id?: Types.ObjectId },
  ) {
    await this.deps.counters.count(campaignId, 'cancelled', by, activityAt);
    await this.deps.shippings.clearCountPending(campaignId, at, id);
  }

  /**
   * Claimed by the lane but its phone was found suppressed before the provider call: sending →
   * cancelled, counted on the campaign. Only the lane that holds the claim calls it.
   */
  async withdraw(shipping: Pick<ShippingDoc, '_id' | 'campaignId'>, reason: string): Promise<boolean> {
    const at = new Date(this.deps.now());
    const withdrawn = await this.move(shipping._id, 'withdraw', { lastError: reason, countPendingAt: at });
    if (withdrawn) await this.countCancelled(shipping.campaignId, 1, at, { activityAt: at, id: shipping._id });
    return withdrawn;
  }

  /** Every shipping of a cancelled campaign not yet sent is cancelled and counted; how many. */
  async cancelCampaign(campaignId: Types.ObjectId): Promise<number> {
    const { from, to } = { from: shippingStatusesAllowing('cancel'), to: shippingTarget('cancel') };
    const at = new Date(this.deps.now());
    const cancelled = await this.deps.shippings.transitionCampaign(campaignId, from, to, { countPendingAt: at });
    if (cancelled > 0) await this.countCancelled(campaignId, cancelled, at, { activityAt: null });
    return cancelled;
  }

  /**
   * A deleted contact's shippings not yet sent are cancelled (each claimed as dispatch claims it,
   * so it is either sent or cancelled, never both); returns the campaigns touched and how many.
   */
  async cancelOfContact(contactId: Types.ObjectId, reason: string): Promise<{ campaignIds: string[]; count: number }> {
    const pending = await this.deps.shippings.ofContact(contactId, NOT_YET_SENT);
    const campaignIds = new Set<string>();
    let count = 0;
    for (const shipping of pending) {
      if (!(await this.cancel(shipping, reason))) continue;
      campaignIds.add(String(shipping.campaignId));
      count++;
    }
    return { campaignIds: [...campaignIds], count };
  }

  /**
   * The reconciler hands a stuck shipping back (from `from`: queued, its lane message lost; or
   * sending, its send never reached the provider): → queued, marked reconciled, into its lane now.
   */
  async requeue(shipping: ShippingRef, from: ShippingStatus, cause: Cause): Promise<boolean> {
    if (!shippingStatusesAllowing('requeue').includes(from)) throw new Error(`a ${from} shipping cannot be requeued`);
    const now = new Date(this.deps.now());
    const moved = await this.deps.shippings.transition(shipping._id, [from], shippingTarget('requeue'), {
      reconciledAt: now,
    });
    if (moved) await this.handOver(shipping, now, cause);
    return moved;
  }

  /** Its campaign resumed: paused → queued at a new time, and into its lane to arrive then. */
  async replan(shipping: ShippingRef, plannedAt: Date, cause: Cause): Promise<boolean> {
    const moved = await this.move(shipping._id, 'replan', { plannedAt });
    if (moved) await this.handOver(shipping, plannedAt, cause);
    return moved;
  }

  /**
   * Its number halted and its campaign sends from others too: queued or paused, still on
   * `fromConnection` → queued on `toConnection` at a new time, and into that number's lane. Once only:
   * a second mover (another worker halting the same number) finds it on another number and does nothing.
   */
  async reassign(
    shipping: ShippingRef,
    fromConnection: Types.ObjectId,
    toConnection: Types.ObjectId,
    plannedAt: Date,
    cause: Cause,
  ): Promise<boolean> {
    const moved = await this.deps.shippings.transition(
      shipping._id,
      shippingStatusesAllowing('reassign'),
      shippingTarget('reassign'),
      { connectionId: toConnection, plannedAt },
      fromConnection,
    );
    if (moved) await this.handOver({ ...shipping, connectionId: toConnection }, plannedAt, cause);
    return moved;
  }

  /**
   * A delivery report for a sent shipping (by its provider message id on that number). Idempotent and
   * order-independent: the delivery status only moves up its rank (delivery-status.ts; one
   * compare-and-set), so a replay or a late `sent` changes nothing, and the campaign's delivered /
   * read / undelivered counters move exactly once per shipping, on the change that crossed the rank.
   * Delivered and read times keep the earliest report.
   */
  async recordDelivery(connectionId: string, report: DeliveryReport): Promise<DeliveryOutcome> {
    const message = { connectionId, providerMessageId: report.providerMessageId };
    for (const field of deliveryTimesOf(report.status))
      await this.deps.shippings.recordEarliest(message, field, report.at);
    const failedReason = report.status === 'failed' ? (report.reason ?? 'failed') : null;
    const before = await this.deps.shippings.raiseDelivery(
      message,
      report.status,
      DELIVERY_RANK[report.status],
      failedReason,
    );
    if (!before) return (await this.deps.shippings.hasMessage(message)) ? 'stale' : 'unknown';
    await this.deps.counters.countDelivery(
      before.campaignId,
      counterChanges(before.deliveryStatus ?? null, report.status),
    );
    return 'applied';
  }

  private handOver(shipping: ShippingRef, plannedAt: Date, cause: Cause): Promise<void> {
    return this.deps.lanes.toLane(
      {
        shippingId: String(shipping._id),
        campaignId: String(shipping.campaignId),
        contactId: String(shipping.contactId),
        connectionId: String(shipping.connectionId),
        plannedAt,
      },
      cause,
    );
  }
}
