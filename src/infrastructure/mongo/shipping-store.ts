import { Types } from 'mongoose';
import type {
  CampaignCounterStore,
  OutcomeCounter,
  ProviderMessage,
  ShippingChanges,
  ShippingRepository,
} from '../../application/shippings/shipping-repository';
import type { ShippingStatus } from '../../domain/campaigns/shipping-status';
import type { DeliveryCounter, DeliveryStatus } from '../../domain/whatsapp/delivery-status';
import { updateIfMatches } from './conditional-update';
import { insertNew } from './insert-new';
import type { Models } from './models';
import type { ShippingDoc } from './models/shipping';

/** Shippings in MongoDB: every change a findOneAndUpdate filtered on `_id` and the allowed statuses. */
export class MongoShippingRepository implements ShippingRepository {
  constructor(private readonly models: Pick<Models, 'Shipping'>) {}

  async findById(id: string): Promise<ShippingDoc | null> {
    return (await this.models.Shipping.findById(id).lean()) as ShippingDoc | null;
  }

  transition(
    id: Types.ObjectId,
    from: readonly ShippingStatus[],
    to: ShippingStatus,
    changes: ShippingChanges = {},
    onConnection?: Types.ObjectId,
  ): Promise<boolean> {
    return updateIfMatches(
      this.models.Shipping,
      { _id: id, status: statusFilter(from), ...(onConnection ? { connectionId: onConnection } : {}) },
      {
        $set: { ...changes, status: to },
      },
    );
  }

  async claim(
    id: Types.ObjectId,
    from: readonly ShippingStatus[],
    claimedAt: Date,
    onConnection?: Types.ObjectId,
  ): Promise<ShippingDoc | null> {
    return (await this.models.Shipping.findOneAndUpdate(
      { _id: id, status: statusFilter(from), ...(onConnection ? { connectionId: onConnection } : {}) },
      { $set: { status: 'sending', claimedAt }, $inc: { attempts: 1 } },
      { returnDocument: 'after' },
    ).lean()) as ShippingDoc | null;
  }

  async findMany(ids: Types.ObjectId[]): Promise<ShippingDoc[]> {
    if (ids.length === 0) return [];
    return (await this.models.Shipping.find({ _id: { $in: ids } }).lean()) as ShippingDoc[];
  }

  async claimMany(
    ids: Types.ObjectId[],
    from: readonly ShippingStatus[],
    claimedAt: Date,
    onConnection: Types.ObjectId,
  ): Promise<ShippingDoc[]> {
    if (ids.length === 0) return [];
    // A token of this claim tells which of the batch this call moved (another may have won some).
    const claimToken = String(new Types.ObjectId());
    await this.models.Shipping.updateMany(
      { _id: { $in: ids }, status: statusFilter(from), connectionId: onConnection },
      { $set: { status: 'sending', claimedAt, claimToken }, $inc: { attempts: 1 } },
    );
    return (await this.models.Shipping.find({ _id: { $in: ids }, claimToken }).lean()) as ShippingDoc[];
  }

  async transitionEach(
    changes: Array<{ id: Types.ObjectId; changes: ShippingChanges }>,
    from: readonly ShippingStatus[],
    to: ShippingStatus,
  ): Promise<Set<string>> {
    if (changes.length === 0) return new Set();
    const result = await this.models.Shipping.bulkWrite(
      changes.map((each) => ({
        updateOne: {
          filter: { _id: each.id, status: statusFilter(from) },
          update: { $set: { ...each.changes, status: to } },
        },
      })),
      { ordered: false },
    );
    const ids = changes.map((each) => each.id);
    if (result.modifiedCount === changes.length) return new Set(ids.map(String));
    // Some lost their compare-and-set: those that moved are the ones holding this change's outbox event.
    const moved = await this.models.Shipping.find({ _id: { $in: ids }, status: to }, { _id: 1, outbox: 1 }).lean();
    const expected = new Map(changes.map((each) => [String(each.id), each.changes.outbox?.eventId]));
    return new Set(
      moved
        .filter((doc) => expected.get(String(doc._id)) === (doc.outbox as { eventId?: string } | undefined)?.eventId)
        .map((doc) => String(doc._id)),
    );
  }

  async clearOutboxes(events: Array<{ id: Types.ObjectId; eventId: string }>): Promise<void> {
    if (events.length === 0) return;
    await this.models.Shipping.bulkWrite(
      events.map((each) => ({
        updateOne: {
          filter: { _id: each.id, 'outbox.eventId': each.eventId },
          update: { $unset: { outbox: 1, outboxAt: 1 } },
        },
      })),
      { ordered: false },
    );
  }

  clearOutbox(id: Types.ObjectId, eventId: string): Promise<boolean> {
    return updateIfMatches(
      this.models.Shipping,
      { _id: id, 'outbox.eventId': eventId },
      { $unset: { outbox: 1, outboxAt: 1 } },
    );
  }

  async withPendingOutbox(before: Date, limit: number): Promise<ShippingDoc[]> {
    // Both bounds: a range the index answers alone (shippings without an outbox have no key in it).
    return (await this.models.Shipping.find({ outboxAt: { $gte: new Date(0), $lte: before } })
      .sort({ outboxAt: 1 })
      .limit(limit)
      .lean()) as ShippingDoc[];
  }

  async transitionCampaign(
    campaignId: Types.ObjectId,
    from: readonly ShippingStatus[],
    to: ShippingStatus,
    changes: ShippingChanges = {},
  ): Promise<number> {
    const result = await this.models.Shipping.updateMany(
      { campaignId, status: statusFilter(from) },
      { $set: { ...changes, status: to } },
    );
    return result.modifiedCount;
  }

  async clearCountPending(campaignId: Types.ObjectId, at: Date, id?: Types.ObjectId): Promise<void> {
    await this.models.Shipping.updateMany(
      { ...(id ? { _id: id } : {}), campaignId, countPendingAt: at },
      { $unset: { countPendingAt: 1 } },
    );
  }

  insertNew(shippings: ShippingDoc[]): Promise<{ allNew: boolean; inserted: number }> {
    return insertNew(this.models.Shipping.collection, shippings);
  }

  queuedOf(campaignId: Types.ObjectId, contactIds: Types.ObjectId[]) {
    return this.models.Shipping.find(
      { campaignId, contactId: { $in: contactIds }, status: 'queued' },
      { _id: 1, contactId: 1, plannedAt: 1, connectionId: 1 },
    ).lean();
  }

  async ofContact(
    contactId: Types.ObjectId,
    statuses: readonly ShippingStatus[],
  ): Promise<Array<Pick<ShippingDoc, '_id' | 'campaignId'>>> {
    return this.models.Shipping.find({ contactId, status: { $in: [...statuses] } }, { _id: 1, campaignId: 1 }).lean();
  }

  async raiseDelivery(
    message: ProviderMessage,
    status: DeliveryStatus,
    rank: number,
    failedReason: string | null,
  ): Promise<Pick<ShippingDoc, 'campaignId' | 'deliveryStatus'> | null> {
    return this.models.Shipping.findOneAndUpdate(
      { ...messageFilter(message), deliveryRank: { $lt: rank } },
      { $set: { deliveryStatus: status, deliveryRank: rank, ...(failedReason !== null ? { failedReason } : {}) } },
      { returnDocument: 'before', projection: { campaignId: 1, deliveryStatus: 1 } },
    ).lean();
  }

  async recordEarliest(message: ProviderMessage, field: 'deliveredAt' | 'readAt', at: Date): Promise<void> {
    await this.models.Shipping.updateOne(
      { ...messageFilter(message), $or: [{ [field]: null }, { [field]: { $gt: at } }] },
      { $set: { [field]: at } },
    );
  }

  async hasMessage(message: ProviderMessage): Promise<boolean> {
    return Boolean(await this.models.Shipping.exists(messageFilter(message)));
  }
}

/** By the number and the provider's id (the index delivery reports use). */
function messageFilter(message: ProviderMessage) {
  return { connectionId: message.connectionId, providerMessageId: message.providerMessageId };
}

/** One status as an equality (what the wire server and the indexes handle best), several as $in. */
function statusFilter(from: readonly ShippingStatus[]): ShippingStatus | { $in: ShippingStatus[] } {
  return from.length === 1 ? from[0]! : { $in: [...from] };
}

export class MongoCampaignCounters implements CampaignCounterStore {
  constructor(private readonly models: Pick<Models, 'Campaign'>) {}

  async count(campaignId: Types.ObjectId, counter: OutcomeCounter, by: number, activityAt: Date | null) {
    await this.models.Campaign.updateOne(
      { _id: campaignId },
      { $inc: { [`counters.${counter}`]: by }, ...(activityAt ? { $set: { lastActivityAt: activityAt } } : {}) },
    );
  }

  async countDelivery(campaignId: Types.ObjectId, changes: Partial<Record<DeliveryCounter, number>>) {
    const inc = Object.fromEntries(
      Object.entries(changes)
        .filter(([, by]) => by !== 0)
        .map(([counter, by]) => [`counters.${counter}`, by]),
    );
    if (Object.keys(inc).length > 0) await this.models.Campaign.updateOne({ _id: campaignId }, { $inc: inc });
  }
}
