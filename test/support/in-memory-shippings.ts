import { Types } from 'mongoose';
import type { ReadyShipping } from '../../publishers/contact-prepared';
import type { DomainEvents, LaneHandoff } from '../../src/application/messaging-ports';
import type {
  CampaignCounterStore,
  OutcomeCounter,
  ProviderMessage,
  ShippingChanges,
  ShippingRepository,
} from '../../src/application/shippings/shipping-repository';
import type { ShippingStatus } from '../../src/domain/campaigns/shipping-status';
import type { Cause, Envelope } from '../../src/domain/events/envelope';
import type { DeliveryCounter, DeliveryStatus } from '../../src/domain/whatsapp/delivery-status';
import { newShipping, type ShippingDoc } from '../../src/infrastructure/mongo/models/shipping';

/** Shippings in a Map, with the same compare-and-set semantics as the MongoDB repository. */
export class InMemoryShippingRepository implements ShippingRepository {
  readonly byId = new Map<string, ShippingDoc>();

  add(fields: Partial<ShippingDoc> = {}, now = new Date(0)): ShippingDoc {
    const shipping: ShippingDoc = {
      ...newShipping(
        {
          companyId: new Types.ObjectId(),
          campaignId: new Types.ObjectId(),
          contactId: new Types.ObjectId(),
          connectionId: new Types.ObjectId(),
          phone: '+5511999990000',
          text: 'hello',
          variant: 0,
          mediaUrl: null,
          plannedAt: now,
        },
        now,
      ),
      ...fields,
    };
    this.byId.set(String(shipping._id), shipping);
    return { ...shipping };
  }

  status(id: Types.ObjectId): ShippingStatus | undefined {
    return this.byId.get(String(id))?.status;
  }

  async findById(id: string): Promise<ShippingDoc | null> {
    const found = this.byId.get(id);
    return found ? { ...found } : null;
  }

  async transition(
    id: Types.ObjectId,
    from: readonly ShippingStatus[],
    to: ShippingStatus,
    changes: ShippingChanges = {},
    onConnection?: Types.ObjectId,
  ): Promise<boolean> {
    const found = this.byId.get(String(id));
    if (!found || !from.includes(found.status)) return false;
    if (onConnection && !found.connectionId.equals(onConnection)) return false;
    Object.assign(found, changes, { status: to });
    return true;
  }

  async claim(
    id: Types.ObjectId,
    from: readonly ShippingStatus[],
    claimedAt: Date,
    onConnection?: Types.ObjectId,
  ): Promise<ShippingDoc | null> {
    const found = this.byId.get(String(id));
    if (!found || !from.includes(found.status)) return null;
    if (onConnection && !found.connectionId.equals(onConnection)) return null;
    Object.assign(found, { status: 'sending', claimedAt, attempts: found.attempts + 1 });
    return { ...found };
  }

  async findMany(ids: Types.ObjectId[]): Promise<ShippingDoc[]> {
    return ids.flatMap((id) => {
      const found = this.byId.get(String(id));
      return found ? [{ ...found }] : [];
    });
  }

  async claimMany(
    ids: Types.ObjectId[],
    from: readonly ShippingStatus[],
    claimedAt: Date,
    onConnection: Types.ObjectId,
  ): Promise<ShippingDoc[]> {
    const claimed: ShippingDoc[] = [];
    for (const id of ids) {
      const one = await this.claim(id, from, claimedAt, onConnection);
      if (one) claimed.push(one);
    }
    return claimed;
  }

  async transitionEach(
    changes: Array<{ id: Types.ObjectId; changes: ShippingChanges }>,
    from: readonly ShippingStatus[],
    to: ShippingStatus,
  ): Promise<Set<string>> {
    const moved = new Set<string>();
    for (const each of changes) if (await this.transition(each.id, from, to, each.changes)) moved.add(String(each.id));
    return moved;
  }

  async clearOutboxes(events: Array<{ id: Types.ObjectId; eventId: string }>): Promise<void> {
    for (const each of events) await this.clearOutbox(each.id, each.eventId);
  }

  async clearOutbox(id: Types.ObjectId, eventId: string): Promise<boolean> {
    const found = this.byId.get(String(id));
    if (!found?.outbox || found.outbox.eventId !== eventId) return false;
    delete found.outbox;
    delete found.outboxAt;
    return true;
  }

  async withPendingOutbox(before: Date, limit: number): Promise<ShippingDoc[]> {
    return [...this.byId.values()]
      .filter((shipping) => shipping.outboxAt && shipping.outboxAt.getTime() <= before.getTime())
      .sort((a, b) => a.outboxAt!.getTime() - b.outboxAt!.getTime())
      .slice(0, limit)
      .map((shipping) => ({ ...shipping }));
  }

  async transitionCampaign(
    campaignId: Types.ObjectId,
    from: readonly ShippingStatus[],
    to: ShippingStatus,
    changes: ShippingChanges = {},
  ): Promise<number> {
    let moved = 0;
    for (const shipping of this.byId.values()) {
      if (!shipping.campaignId.equals(campaignId) || !from.includes(shipping.status)) continue;
      Object.assign(shipping, changes, { status: to });
      moved++;
    }
    return moved;
  }

  async clearCountPending(campaignId: Types.ObjectId, at: Date, id?: Types.ObjectId): Promise<void> {
    for (const shipping of this.byId.values())
      if (
        shipping.campaignId.equals(campaignId) &&
        (!id || shipping._id.equals(id)) &&
        shipping.countPendingAt?.getTime() === at.getTime()
      )
        delete shipping.countPendingAt;
  }

  async insertNew(shippings: ShippingDoc[]): Promise<{ allNew: boolean; inserted: number }> {
    let inserted = 0;
    for (const shipping of shippings) {
      const taken = [...this.byId.values()].some(
        (stored) => stored.campaignId.equals(shipping.campaignId) && stored.contactId.equals(shipping.contactId),
      );
      if (taken) continue;
      this.byId.set(String(shipping._id), { ...shipping });
      inserted++;
    }
    return { allNew: inserted === shippings.length, inserted };
  }

  async queuedOf(campaignId: Types.ObjectId, contactIds: Types.ObjectId[]) {
    return [...this.byId.values()]
      .filter(
        (stored) =>
          stored.campaignId.equals(campaignId) &&
          stored.status === 'queued' &&
          contactIds.some((id) => id.equals(stored.contactId)),
      )
      .map(({ _id, contactId, plannedAt, connectionId }) => ({ _id, contactId, plannedAt, connectionId }));
  }

  async ofContact(contactId: Types.ObjectId, statuses: readonly ShippingStatus[]) {
    return [...this.byId.values()]
      .filter((shipping) => shipping.contactId.equals(contactId) && statuses.includes(shipping.status))
      .map((shipping) => ({ _id: shipping._id, campaignId: shipping.campaignId }));
  }

  private byMessage(message: ProviderMessage): ShippingDoc | undefined {
    return [...this.byId.values()].find(
      (shipping) =>
        String(shipping.connectionId) === message.connectionId &&
        shipping.providerMessageId === message.providerMessageId,
    );
  }

  async raiseDelivery(message: ProviderMessage, status: DeliveryStatus, rank: number, failedReason: string | null) {
    const found = this.byMessage(message);
    if (!found || found.deliveryRank >= rank) return null;
    const before = { campaignId: found.campaignId, deliveryStatus: found.deliveryStatus };
    Object.assign(found, { deliveryStatus: status, deliveryRank: rank }, failedReason !== null ? { failedReason } : {});
    return before;
  }

  async recordEarliest(message: ProviderMessage, field: 'deliveredAt' | 'readAt', at: Date): Promise<void> {
    const found = this.byMessage(message);
    if (found && (found[field] === null || found[field] > at)) found[field] = at;
  }

  async hasMessage(message: ProviderMessage): Promise<boolean> {
    return this.byMessage(message) !== undefined;
  }
}

/** Campaign counters by campaign id, and when each was last active. */
export class InMemoryCampaignCounters implements CampaignCounterStore {
  readonly counts = new Map<string, Record<OutcomeCounter, number>>();
  readonly deliveries = new Map<string, Record<DeliveryCounter, number>>();
  readonly activity = new Map<string, Date>();

  deliveriesOf(campaignId: Types.ObjectId): Record<DeliveryCounter, number> {
    return this.deliveries.get(String(campaignId)) ?? { delivered: 0, read: 0, undelivered: 0 };
  }

  async countDelivery(campaignId: Types.ObjectId, changes: Partial<Record<DeliveryCounter, number>>) {
    const counts = this.deliveriesOf(campaignId);
    for (const [counter, by] of Object.entries(changes) as Array<[DeliveryCounter, number]>) counts[counter] += by;
    this.deliveries.set(String(campaignId), counts);
  }

  of(campaignId: Types.ObjectId): Record<OutcomeCounter, number> {
    return this.counts.get(String(campaignId)) ?? { sent: 0, failed: 0, cancelled: 0 };
  }

  async count(campaignId: Types.ObjectId, counter: OutcomeCounter, by: number, activityAt: Date | null) {
    const counts = this.of(campaignId);
    counts[counter] += by;
    this.counts.set(String(campaignId), counts);
    if (activityAt) this.activity.set(String(campaignId), activityAt);
  }
}

/** Every event published, in order (type and payload; eventId when the caller built the envelope). */
export class RecordedEvents implements DomainEvents {
  readonly published: Array<{ type: string; payload: unknown; cause: Cause; eventId?: string }> = [];
  /** Makes the next `publishMessage` calls fail (a broker that does not confirm). */
  failing = 0;

  async publish(definition: { type: string }, payload: unknown, cause: Cause): Promise<void> {
    this.published.push({ type: definition.type, payload, cause });
  }

  async publishMessage(_definition: { type: string }, message: Envelope): Promise<void> {
    if (this.failing > 0) {
      this.failing--;
      throw new Error('publish not confirmed');
    }
    const { companyId, correlationId, causationId } = message;
    this.published.push({
      type: message.type,
      payload: message.payload,
      cause: { companyId, correlationId, causationId },
      eventId: message.eventId,
    });
  }

  types(): string[] {
    return this.published.map((event) => event.type);
  }
}

/** Every hand-off to a lane, in order. */
export class RecordedLanes implements LaneHandoff {
  readonly handedOver: ReadyShipping[] = [];

  async toLane(shipping: ReadyShipping): Promise<void> {
    this.handedOver.push(shipping);
  }
}

/** A clock the test moves by hand. */
export class ManualClock {
  constructor(public ms = Date.parse('2026-01-05T12:00:00Z')) {}
  now = (): number => this.ms;
  advance(ms: number): void {
    this.ms += ms;
  }
}
