import { Types } from 'mongoose';
import type {
  AudienceMember,
  CampaignAudience,
  CampaignChanges,
  CampaignGuard,
  CampaignOnNumbers,
  CampaignRepository,
  CampaignShippingsView,
  CompanySending,
  NewCampaign,
  RecountedCounters,
  SendingNumbers,
  SuppressedPhones,
} from '../../application/campaigns/campaign-repository';
import type { ShippingRef } from '../../application/shippings/shipping-repository';
import type { CampaignStatus } from '../../domain/campaigns/campaign-status';
import { NOT_FINISHED } from '../../domain/campaigns/shipping-status';
import { DAY_MS } from '../../domain/pacing/daily-cap';
import { updateIfMatches } from './conditional-update';
import type { Models } from './models';
import type { CampaignDoc, CampaignPlan, PlannedLane } from './models/campaign';
import { MongoCapStore } from './recipient-caps';

/** Campaigns in MongoDB: every status change a findOneAndUpdate filtered on `_id` and the allowed statuses. */
export class MongoCampaignRepository implements CampaignRepository {
  constructor(private readonly models: Pick<Models, 'Campaign'>) {}

  async create(fields: NewCampaign): Promise<CampaignDoc> {
    const created = await this.models.Campaign.create({ ...fields, variants: fields.variants ?? [], status: 'draft' });
    return created.toObject() as CampaignDoc;
  }

  async findById(id: string): Promise<CampaignDoc | null> {
    return (await this.models.Campaign.findById(id).lean()) as CampaignDoc | null;
  }

  async completionState(id: string) {
    return this.models.Campaign.findById(id, { status: 1, processingDone: 1, counters: 1 }).lean();
  }

  async transition(
    id: string,
    from: readonly CampaignStatus[],
    set: CampaignChanges,
    guard: CampaignGuard = {},
  ): Promise<CampaignDoc | null> {
    const filter: Record<string, unknown> = { _id: id, status: from.length === 1 ? from[0] : { $in: [...from] } };
    if (guard.companyId !== undefined) filter.companyId = guard.companyId;
    if (guard.scheduledBy !== undefined) filter.scheduledAt = { $lte: guard.scheduledBy };
    if (guard.queuedAt !== undefined) filter.queuedAt = guard.queuedAt;
    return (await this.models.Campaign.findOneAndUpdate(
      filter,
      { $set: set },
      { returnDocument: 'before' },
    ).lean()) as CampaignDoc | null;
  }

  async remove(id: string, companyId: string): Promise<void> {
    await this.models.Campaign.deleteOne({ _id: id, companyId });
  }

  async scheduledBy(until: Date, limit: number): Promise<string[]> {
    const due = await this.models.Campaign.find({ status: 'scheduled', scheduledAt: { $lte: until } }, { _id: 1 })
      .sort({ scheduledAt: 1 })
      .limit(limit)
      .lean();
    return due.map((campaign) => String(campaign._id));
  }

  async stuckQueued(before: Date, limit: number): Promise<CampaignDoc[]> {
    return (await this.models.Campaign.find({
      status: 'queued',
      queuedAt: { $lte: before },
      scheduledAt: { $lte: before },
    })
      .limit(limit)
      .lean()) as CampaignDoc[];
  }

  ofConnection(connectionId: string, statuses: readonly CampaignStatus[]) {
    return this.models.Campaign.find(
      {
        $or: [{ connectionId: new Types.ObjectId(connectionId) }, { connectionIds: new Types.ObjectId(connectionId) }],
        status: { $in: [...statuses] },
      },
      { _id: 1, companyId: 1, connectionId: 1, connectionIds: 1, pacing: 1, sendingWindows: 1, status: 1 },
    ).lean() as Promise<CampaignOnNumbers[]>;
  }

  async storePlan(id: Types.ObjectId, plan: CampaignPlan): Promise<CampaignPlan> {
    const stored = await this.models.Campaign.findOneAndUpdate(
      { _id: id, plan: null },
      { $set: { plan, 'counters.audience': plan.audience } },
      { returnDocument: 'after' },
    ).lean();
    if (stored?.plan) return stored.plan;
    const winner = await this.models.Campaign.findById(id, { plan: 1 }).lean();
    return winner!.plan!;
  }

  async finishProcessing(
    id: Types.ObjectId,
    result: { skipped: number; suppressed: number; missing: number; plannedUntil: Date | null },
  ): Promise<void> {
    await updateIfMatches(
      this.models.Campaign,
      { _id: id, processingDone: false },
      {
        $set: {
          processingDone: true,
          'counters.skipped': result.skipped,
          'counters.suppressed': result.suppressed,
          plannedUntil: result.plannedUntil,
        },
        $inc: { 'counters.missing': result.missing },
      },
    );
  }

  countPreparedBatch(id: Types.ObjectId, batch: number, prepared: number, missing: number, failed = 0) {
    const inc = {
      'counters.prepared': prepared,
      'counters.missing': missing,
      ...(failed ? { 'counters.failed': failed } : {}),
    };
    return updateIfMatches(
      this.models.Campaign,
      { _id: id, preparedBatches: { $ne: batch } },
      { $push: { preparedBatches: batch }, $inc: inc },
    );
  }

  async extendPlannedUntil(id: Types.ObjectId, plannedUntil: Date): Promise<void> {
    await this.models.Campaign.updateOne({ _id: id }, { $max: { plannedUntil } });
  }

  quietRunning(since: Date, limit: number) {
    return this.models.Campaign.find(
      {
        status: 'running',
        processingDone: true,
        // Quiet and past its last planned send: a campaign still waiting for its slots is not stuck.
        $and: [
          { $or: [{ lastActivityAt: null }, { lastActivityAt: { $lte: since } }] },
          { $or: [{ plannedUntil: null }, { plannedUntil: { $lte: since } }] },
        ],
      },
      { _id: 1, companyId: 1, counters: 1 },
    )
      .limit(limit)
      .lean();
  }

  setCounters(id: Types.ObjectId, counters: RecountedCounters, at: Date, expected: RecountedCounters) {
    return updateIfMatches(
      this.models.Campaign,
      {
        _id: id,
        // null also matches a counter a campaign stored before it existed.
        'counters.prepared': expected.prepared ?? null,
        'counters.sent': expected.sent ?? null,
        'counters.failed': expected.failed ?? null,
        'counters.cancelled': expected.cancelled ?? null,
      },
      {
        $set: {
          'counters.prepared': counters.prepared,
          'counters.sent': counters.sent,
          'counters.failed': counters.failed,
          'counters.cancelled': counters.cancelled,
          lastActivityAt: at,
        },
      },
    );
  }
}

/** Members a campaign sends to: valid numbers not known to be off WhatsApp. */
function eligibleMembers(companyId: Types.ObjectId, listId: Types.ObjectId) {
  return { companyId, listIds: listId, valid: true, onWhatsApp: { $ne: false } };
}

export class MongoCampaignAudience implements CampaignAudience {
  constructor(private readonly models: Pick<Models, 'Contact'>) {}

  countEligible(companyId: Types.ObjectId, listId: Types.ObjectId): Promise<number> {
    return this.models.Contact.countDocuments(eligibleMembers(companyId, listId));
  }

  countSkipped(companyId: Types.ObjectId, listId: Types.ObjectId): Promise<number> {
    return this.models.Contact.countDocuments({
      companyId,
      listIds: listId,
      $or: [{ valid: false }, { onWhatsApp: false }],
    });
  }

  async *eligible(companyId: Types.ObjectId, listId: Types.ObjectId): AsyncIterable<AudienceMember> {
    const cursor = this.models.Contact.find(eligibleMembers(companyId, listId), {
      _id: 1,
      phone: 1,
      name: 1,
      fields: 1,
    })
      .sort({ _id: 1 })
      .lean()
      .cursor({ batchSize: 1_000 });
    for await (const contact of cursor) yield contact as AudienceMember;
  }
}

export class MongoCampaignShippings implements CampaignShippingsView {
  constructor(private readonly models: Pick<Models, 'Shipping'>) {}

  countParked(campaignId: Types.ObjectId, connectionId: Types.ObjectId): Promise<number> {
    return this.models.Shipping.countDocuments({ campaignId, connectionId, status: 'paused' });
  }

  async *parked(campaignId: Types.ObjectId, connectionId: Types.ObjectId): AsyncIterable<ShippingRef> {
    const cursor = this.models.Shipping.find(
      { campaignId, connectionId, status: 'paused' },
      { _id: 1, campaignId: 1, contactId: 1, connectionId: 1, plannedAt: 1 },
    )
      .sort({ plannedAt: 1, _id: 1 })
      .lean()
      .cursor({ batchSize: 500 });
    for await (const shipping of cursor) yield shipping as ShippingRef;
  }

  async unsentOn(campaignId: Types.ObjectId, connectionId: Types.ObjectId): Promise<ShippingRef[]> {
    return (await this.models.Shipping.find(
      { campaignId, connectionId, status: { $in: ['queued', 'paused'] } },
      { _id: 1, campaignId: 1, contactId: 1, connectionId: 1, plannedAt: 1 },
    )
      .sort({ plannedAt: 1, _id: 1 })
      .lean()) as ShippingRef[];
  }

  async countByStatus(campaignId: Types.ObjectId): Promise<Record<string, number>> {
    const groups = await this.models.Shipping.aggregate<{ _id: string; count: number }>([
      { $match: { campaignId } },
      { $group: { _id: '$status', count: { $sum: 1 } } },
    ]);
    return Object.fromEntries(groups.map((group) => [group._id, group.count]));
  }

  async hasUncountedSince(campaignId: Types.ObjectId, since: Date): Promise<boolean> {
    const found = await this.models.Shipping.exists({
      campaignId,
      $or: [{ outboxAt: { $gt: since } }, { countPendingAt: { $gt: since } }],
    });
    return found !== null;
  }

  async hasUnfinished(campaignId: Types.ObjectId): Promise<boolean> {
    return (await this.models.Shipping.exists({ campaignId, status: { $in: [...NOT_FINISHED] } })) !== null;
  }
}

export class MongoCompanySending implements CompanySending {
  constructor(private readonly models: Pick<Models, 'Company'>) {}

  async sendingOf(companyId: string) {
    return this.models.Company.findById(companyId, { pacing: 1, timezone: 1, sendingWindows: 1 }).lean();
  }
}

/** The numbers' status and daily caps (their recent sends from the cap ledger). */
export class MongoSendingNumbers implements SendingNumbers {
  constructor(private readonly models: Pick<Models, 'Connection' | 'RecipientCap'>) {}

  async connected(ids: string[]): Promise<string[]> {
    const found = await Promise.all(ids.map((id) => this.models.Connection.findById(id, { status: 1 }).lean()));
    return ids.filter((_, i) => (found[i]?.status ?? 'connected') === 'connected');
  }

  async capOf(connectionId: string, at: number): Promise<PlannedLane['cap']> {
    const connection = await this.models.Connection.findById(connectionId, { dailyCap: 1, createdAt: 1 }).lean();
    const settings = connection?.dailyCap ?? null;
    if (!connection || !settings) return null;
    const recent = (await new MongoCapStore(this.models).recent(`connection:${connectionId}`))
      .map((entry) => entry.at)
      .filter((sentAt) => sentAt > at - DAY_MS)
      .sort((a, b) => a - b);
    return { settings, since: connection.createdAt.getTime(), recent };
  }
}

/**
 * Every suppressed phone of a company, read once when a campaign is processed (one pass over the
 * company's list, instead of a lookup per member); empty, and cheap, for a company that has none.
 */
export class MongoSuppressedPhones implements SuppressedPhones {
  constructor(private readonly models: Pick<Models, 'Suppression'>) {}

  async phonesOf(companyId: Types.ObjectId): Promise<Set<string>> {
    const phones = new Set<string>();
    const cursor = this.models.Suppression.find({ companyId, suppressed: true }, { _id: 0, phone: 1 })
      .lean()
      .cursor({ batchSize: 5_000 });
    for await (const entry of cursor) phones.add(entry.phone);
    return phones;
  }
}
