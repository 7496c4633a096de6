import { Types } from 'mongoose';
import type {
  AudienceMember,
  CampaignAudience,
  CampaignChanges,
  CampaignCommands,
  CampaignGuard,
  CampaignRepository,
  CampaignShippingChanges,
  CampaignShippingsView,
  CompanySending,
  LaneReservations,
  NewCampaign,
  PrepareBatch,
  RecountedCounters,
  SendingNumbers,
  SuppressedPhones,
} from '../../src/application/campaigns/campaign-repository';
import type { ShippingRef } from '../../src/application/shippings/shipping-repository';
import type { CampaignStatus } from '../../src/domain/campaigns/campaign-status';
import { NOT_FINISHED } from '../../src/domain/campaigns/shipping-status';
import type { Cause } from '../../src/domain/events/envelope';
import { IDLE_LANE, type LaneState } from '../../src/domain/pacing/pacing-rule';
import type { PacingSettings } from '../../src/domain/pacing/pacing-settings';
import { type PlanLimits, SendPlanner } from '../../src/domain/pacing/send-planner';
import type { CampaignDoc, CampaignPlan, PlannedLane } from '../../src/infrastructure/mongo/models/campaign';

const toId = (id: Types.ObjectId | string) => (typeof id === 'string' ? new Types.ObjectId(id) : id);

/** A copy a caller may keep (ObjectIds and dates are not changed in place, so a shallow copy will do). */
const copyOf = (campaign: CampaignDoc): CampaignDoc => ({ ...campaign, counters: { ...campaign.counters } });

/** Campaigns in a Map, with the same compare-and-set semantics as the MongoDB repository. */
export class InMemoryCampaignRepository implements CampaignRepository {
  readonly byId = new Map<string, CampaignDoc>();

  constructor(private readonly now: () => number = Date.now) {}

  /** A stored campaign in any state (the test's starting point). */
  add(fields: Partial<CampaignDoc> = {}): CampaignDoc {
    const campaign: CampaignDoc = {
      _id: new Types.ObjectId(),
      companyId: new Types.ObjectId(),
      name: 'Campaign',
      connectionId: new Types.ObjectId(),
      listId: new Types.ObjectId(),
      variants: ['Oi {name}'],
      mediaUrl: null,
      pacing: null,
      scheduledAt: null,
      correlationId: null,
      status: 'draft',
      plan: null,
      processingDone: false,
      preparedBatches: [],
      counters: { audience: 0, prepared: 0, sent: 0, failed: 0, cancelled: 0, skipped: 0, missing: 0 },
      queuedAt: null,
      lastActivityAt: null,
      plannedUntil: null,
      createdAt: new Date(this.now()),
      startedAt: null,
      completedAt: null,
      ...fields,
    };
    this.byId.set(String(campaign._id), campaign);
    return copyOf(campaign);
  }

  get(id: Types.ObjectId | string): CampaignDoc | undefined {
    return this.byId.get(String(id));
  }

  async create(fields: NewCampaign): Promise<CampaignDoc> {
    return this.add({
      ...fields,
      variants: fields.variants ?? [],
      companyId: toId(fields.companyId),
      connectionId: toId(fields.connectionId),
      connectionIds: fields.connectionIds ? fields.connectionIds.map(toId) : null,
      listId: toId(fields.listId),
    });
  }

  async findById(id: string): Promise<CampaignDoc | null> {
    const found = this.byId.get(id);
    return found ? copyOf(found) : null;
  }

  async completionState(id: string) {
    return this.findById(id);
  }

  async transition(
    id: string,
    from: readonly CampaignStatus[],
    set: CampaignChanges,
    guard: CampaignGuard = {},
  ): Promise<CampaignDoc | null> {
    const found = this.byId.get(id);
    if (!found || !from.includes(found.status)) return null;
    if (guard.companyId !== undefined && String(found.companyId) !== guard.companyId) return null;
    if (guard.scheduledBy !== undefined && !(found.scheduledAt && found.scheduledAt <= guard.scheduledBy)) return null;
    if (guard.queuedAt !== undefined && found.queuedAt?.getTime() !== guard.queuedAt?.getTime()) return null;
    const before = copyOf(found);
    const { connectionId, listId, ...rest } = set;
    Object.assign(found, rest);
    if (connectionId !== undefined) found.connectionId = toId(connectionId);
    if (listId !== undefined) found.listId = toId(listId);
    return before;
  }

  async remove(id: string, companyId: string): Promise<void> {
    if (String(this.byId.get(id)?.companyId) === companyId) this.byId.delete(id);
  }

  async scheduledBy(until: Date, limit: number): Promise<string[]> {
    return [...this.byId.values()]
      .filter((c) => c.status === 'scheduled' && c.scheduledAt && c.scheduledAt <= until)
      .sort((a, b) => a.scheduledAt!.getTime() - b.scheduledAt!.getTime())
      .slice(0, limit)
      .map((c) => String(c._id));
  }

  async stuckQueued(before: Date, limit: number): Promise<CampaignDoc[]> {
    return [...this.byId.values()]
      .filter((c) => c.status === 'queued' && c.queuedAt && c.queuedAt <= before && c.scheduledAt! <= before)
      .slice(0, limit)
      .map((c) => copyOf(c));
  }

  async ofConnection(connectionId: string, statuses: readonly CampaignStatus[]) {
    return [...this.byId.values()]
      .filter(
        (c) =>
          (String(c.connectionId) === connectionId ||
            (c.connectionIds ?? []).some((id) => String(id) === connectionId)) &&
          statuses.includes(c.status),
      )
      .map(({ _id, companyId, connectionId, connectionIds, pacing, sendingWindows, status }) => ({
        _id,
        companyId,
        connectionId,
        connectionIds,
        pacing,
        sendingWindows,
        status,
      }));
  }

  async storePlan(id: Types.ObjectId, plan: CampaignPlan): Promise<CampaignPlan> {
    const found = this.byId.get(String(id))!;
    if (!found.plan) {
      found.plan = plan;
      found.counters.audience = plan.audience;
    }
    return found.plan;
  }

  async finishProcessing(
    id: Types.ObjectId,
    result: { skipped: number; suppressed: number; missing: number; plannedUntil: Date | null },
  ) {
    const found = this.byId.get(String(id));
    if (!found || found.processingDone) return;
    found.processingDone = true;
    found.counters.skipped = result.skipped;
    found.counters.suppressed = result.suppressed;
    found.counters.missing += result.missing;
    found.plannedUntil = result.plannedUntil;
  }

  async countPreparedBatch(id: Types.ObjectId, batch: number, prepared: number, missing: number, failed = 0) {
    const found = this.byId.get(String(id));
    if (!found || found.preparedBatches.includes(batch)) return false;
    found.preparedBatches.push(batch);
    found.counters.prepared += prepared;
    found.counters.missing += missing;
    found.counters.failed += failed;
    return true;
  }

  async extendPlannedUntil(id: Types.ObjectId, plannedUntil: Date): Promise<void> {
    const found = this.byId.get(String(id))!;
    if (!found.plannedUntil || found.plannedUntil < plannedUntil) found.plannedUntil = plannedUntil;
  }

  async quietRunning(since: Date, limit: number) {
    return [...this.byId.values()]
      .filter(
        (c) =>
          c.status === 'running' &&
          c.processingDone &&
          (!c.lastActivityAt || c.lastActivityAt <= since) &&
          (!c.plannedUntil || c.plannedUntil <= since),
      )
      .slice(0, limit)
      .map(({ _id, companyId, counters }) => ({ _id, companyId, counters: { ...counters } }));
  }

  async setCounters(
    id: Types.ObjectId,
    counters: RecountedCounters,
    at: Date,
    expected: RecountedCounters,
  ): Promise<boolean> {
    const found = this.byId.get(String(id))!;
    const keys = Object.keys(expected) as Array<keyof RecountedCounters>;
    if (keys.some((key) => found.counters[key] !== expected[key])) return false;
    Object.assign(found.counters, counters);
    found.lastActivityAt = at;
    return true;
  }
}

/** List members by list id: eligible unless `valid: false` or `onWhatsApp: false`. */
export class InMemoryAudience implements CampaignAudience {
  readonly members: Array<AudienceMember & { listId: Types.ObjectId; valid: boolean; onWhatsApp: boolean | null }> = [];

  add(listId: Types.ObjectId, count: number, flags: { valid?: boolean; onWhatsApp?: boolean | null } = {}): void {
    for (let i = 0; i < count; i++)
      this.members.push({
        _id: new Types.ObjectId(),
        phone: `+55119${String(this.members.length).padStart(8, '0')}`,
        name: `Member ${this.members.length}`,
        fields: {},
        listId,
        valid: flags.valid ?? true,
        onWhatsApp: flags.onWhatsApp ?? null,
      });
  }

  private of(listId: Types.ObjectId) {
    return this.members.filter((member) => member.listId.equals(listId));
  }

  async countEligible(_companyId: Types.ObjectId, listId: Types.ObjectId): Promise<number> {
    return this.of(listId).filter((m) => m.valid && m.onWhatsApp !== false).length;
  }

  async countSkipped(_companyId: Types.ObjectId, listId: Types.ObjectId): Promise<number> {
    return this.of(listId).filter((m) => !m.valid || m.onWhatsApp === false).length;
  }

  async *eligible(_companyId: Types.ObjectId, listId: Types.ObjectId): AsyncIterable<AudienceMember> {
    for (const member of this.of(listId)) if (member.valid && member.onWhatsApp !== false) yield member;
  }
}

/** A campaign's shippings as the campaign service sees and changes them: status by id. */
export class InMemoryCampaignShippings implements CampaignShippingsView, CampaignShippingChanges {
  readonly shippings: Array<ShippingRef & { status: string; outboxAt?: Date; countPendingAt?: Date }> = [];
  readonly replanned: Array<{ id: string; plannedAt: Date }> = [];

  add(campaignId: Types.ObjectId, status: string, count = 1, connectionId = new Types.ObjectId()): void {
    for (let i = 0; i < count; i++)
      this.shippings.push({
        _id: new Types.ObjectId(),
        campaignId,
        contactId: new Types.ObjectId(),
        connectionId,
        plannedAt: new Date(0),
        status,
      });
  }

  statuses(campaignId: Types.ObjectId): string[] {
    return this.shippings.filter((s) => s.campaignId.equals(campaignId)).map((s) => s.status);
  }

  private on(campaignId: Types.ObjectId, connectionId: Types.ObjectId, statuses: string[]) {
    return this.shippings
      .filter(
        (s) => s.campaignId.equals(campaignId) && s.connectionId.equals(connectionId) && statuses.includes(s.status),
      )
      .sort((a, b) => a.plannedAt.getTime() - b.plannedAt.getTime() || String(a._id).localeCompare(String(b._id)));
  }

  async countParked(campaignId: Types.ObjectId, connectionId: Types.ObjectId): Promise<number> {
    return this.on(campaignId, connectionId, ['paused']).length;
  }

  async *parked(campaignId: Types.ObjectId, connectionId: Types.ObjectId): AsyncIterable<ShippingRef> {
    for (const s of this.on(campaignId, connectionId, ['paused'])) yield s;
  }

  async unsentOn(campaignId: Types.ObjectId, connectionId: Types.ObjectId): Promise<ShippingRef[]> {
    return this.on(campaignId, connectionId, ['queued', 'paused']);
  }

  async reassign(shipping: ShippingRef, from: Types.ObjectId, to: Types.ObjectId, plannedAt: Date): Promise<boolean> {
    const found = this.shippings.find((s) => s._id.equals(shipping._id));
    if (!found?.connectionId.equals(from) || !['queued', 'paused'].includes(found.status)) return false;
    found.connectionId = to;
    found.plannedAt = plannedAt;
    found.status = 'queued';
    return true;
  }

  async countByStatus(campaignId: Types.ObjectId): Promise<Record<string, number>> {
    const counts: Record<string, number> = {};
    for (const status of this.statuses(campaignId)) counts[status] = (counts[status] ?? 0) + 1;
    return counts;
  }

  async hasUnfinished(campaignId: Types.ObjectId): Promise<boolean> {
    return this.statuses(campaignId).some((status) => (NOT_FINISHED as readonly string[]).includes(status));
  }

  async hasUncountedSince(campaignId: Types.ObjectId, since: Date): Promise<boolean> {
    return this.shippings.some(
      (s) =>
        s.campaignId.equals(campaignId) &&
        [s.outboxAt, s.countPendingAt].some((at) => at !== undefined && at.getTime() > since.getTime()),
    );
  }

  async replan(shipping: ShippingRef, plannedAt: Date): Promise<boolean> {
    const found = this.shippings.find((s) => s._id.equals(shipping._id));
    if (found?.status !== 'paused') return false;
    found.status = 'queued';
    found.plannedAt = plannedAt;
    this.replanned.push({ id: String(found._id), plannedAt });
    return true;
  }

  async cancelCampaign(campaignId: Types.ObjectId): Promise<number> {
    let cancelled = 0;
    for (const s of this.shippings)
      if (s.campaignId.equals(campaignId) && (s.status === 'queued' || s.status === 'paused')) {
        s.status = 'cancelled';
        cancelled++;
      }
    return cancelled;
  }
}

/** Every company has the same pacing unless told otherwise. */
/** A company's pacing, always open (no sending windows), in UTC; null settings: no such company. */
export class FixedPacing implements CompanySending {
  constructor(public settings: PacingSettings | null) {}
  async sendingOf() {
    return this.settings ? { pacing: this.settings, timezone: 'UTC', sendingWindows: null } : null;
  }
}

/** Numbers as planning sees them: all connected unless marked off, caps set per number. */
export class InMemoryNumbers implements SendingNumbers {
  readonly disconnected = new Set<string>();
  readonly caps = new Map<string, PlannedLane['cap']>();
  async connected(ids: string[]): Promise<string[]> {
    return ids.filter((id) => !this.disconnected.has(id));
  }
  async capOf(connectionId: string): Promise<PlannedLane['cap']> {
    return this.caps.get(connectionId) ?? null;
  }
}

/** A suppression list per company. */
export class InMemorySuppressions implements SuppressedPhones {
  readonly phones = new Map<string, Set<string>>();
  suppress(companyId: Types.ObjectId, phone: string): void {
    const phones = this.phones.get(String(companyId)) ?? new Set<string>();
    phones.add(phone);
    this.phones.set(String(companyId), phones);
  }
  async phonesOf(companyId: Types.ObjectId): Promise<Set<string>> {
    return new Set(this.phones.get(String(companyId)));
  }
}

/** Lanes that remember what was planned on each number, as the MongoDB lane repository does. */
export class InMemoryLanes implements LaneReservations {
  readonly declared = new Set<string>();
  readonly planned = new Map<string, LaneState>();

  async declare(connectionId: string): Promise<void> {
    this.declared.add(connectionId);
  }

  async reserve(
    connectionId: string,
    _companyId: string,
    settings: PacingSettings,
    startAt: number,
    count: number,
    limits: PlanLimits = {},
  ) {
    const initial = this.planned.get(connectionId) ?? IDLE_LANE;
    const planner = new SendPlanner(settings, startAt, initial, limits);
    for (let i = 0; i < count; i++) planner.next();
    this.planned.set(connectionId, planner.horizon);
    return initial;
  }
}

/** Every CampaignDue and prepare batch sent; `failDue` makes the next CampaignDue fail. */
export class RecordedCommands implements CampaignCommands {
  readonly due: Array<{ campaignId: string; scheduledAt: Date; cause: Cause }> = [];
  readonly batches: PrepareBatch[] = [];
  failDue = false;

  async sendDue(campaign: { campaignId: string; scheduledAt: Date }, cause: Cause): Promise<void> {
    if (this.failDue) {
      this.failDue = false;
      throw new Error('broker unavailable');
    }
    this.due.push({ ...campaign, cause });
  }

  async sendPrepare(batch: PrepareBatch): Promise<void> {
    this.batches.push(batch);
  }
}
