import { Types } from 'mongoose';
import { IDLE_LANE, type LaneState, recordSend } from '../../domain/pacing/pacing-rule';
import type { PacingSettings } from '../../domain/pacing/pacing-settings';
import type { RateState } from '../../domain/pacing/rate-adaptation';
import { type PlanLimits, SendPlanner } from '../../domain/pacing/send-planner';
import type { Models } from './models';
import type { LaneDoc } from './models/lane';

const normal = (state: Partial<LaneState> | undefined | null): LaneState => ({
  lastSentAt: state?.lastSentAt ?? null,
  runLength: state?.runLength ?? 0,
});

/** The later of two lane states: where the next plan must start from. */
function later(a: LaneState, b: LaneState): LaneState {
  if (a.lastSentAt === null) return b;
  if (b.lastSentAt === null) return a;
  return a.lastSentAt >= b.lastSentAt ? a : b;
}

/**
 * Pacing state of each WhatsApp number in MongoDB. Two writers, on separate fields: campaign
 * processing reserves slots on `planned` (optimistic concurrency on `version`), and the lane's
 * active dispatcher records real sends on `sent` / `inFlight`.
 */
export class LaneRepository {
  constructor(private readonly models: Models) {}

  private async ensure(connectionId: string, companyId: string): Promise<LaneDoc> {
    const doc = await this.models.Lane.findOneAndUpdate(
      { _id: new Types.ObjectId(connectionId) },
      {
        $setOnInsert: {
          companyId: new Types.ObjectId(companyId),
          sent: IDLE_LANE,
          planned: IDLE_LANE,
          inFlight: null,
          version: 0,
        },
      },
      { upsert: true, returnDocument: 'after' },
    ).lean();
    return doc as LaneDoc;
  }

  /**
   * Reserves `count` send slots from `startAt` on, after everything already planned or sent, and
   * returns where this plan starts (the planner's initial state). Concurrent campaigns on one
   * number each get their own stretch of time, in the order they reserved.
   */
  async reserve(
    connectionId: string,
    companyId: string,
    settings: PacingSettings,
    startAt: number,
    count: number,
    limits: PlanLimits = {},
  ): Promise<LaneState> {
    for (let attempt = 0; attempt < 50; attempt++) {
      const lane = await this.ensure(connectionId, companyId);
      const initial = later(normal(lane.sent), normal(lane.planned));
      const planner = new SendPlanner(settings, startAt, initial, limits);
      for (let i = 0; i < count; i++) planner.next();
      const result = await this.models.Lane.updateOne(
        { _id: lane._id, version: lane.version },
        { $set: { planned: planner.horizon }, $inc: { version: 1 } },
      );
      if (result.modifiedCount === 1) return initial;
    }
    throw new Error(`lane ${connectionId}: could not reserve slots (too much contention)`);
  }

  /**
   * The real sends so far. A send left in flight by a crashed dispatcher may have reached the
   * provider at any moment until now, so it counts as a send made now: the next one waits a full gap.
   */
  async sentState(connectionId: string, companyId: string, settings: PacingSettings, now: number): Promise<LaneState> {
    return (await this.dispatchState(connectionId, companyId, settings, now)).sent;
  }

  /** The real sends so far (as `sentState`) and until when the number cools down (null: it does not). */
  async dispatchState(
    connectionId: string,
    companyId: string,
    settings: PacingSettings,
    now: number,
  ): Promise<{ sent: LaneState; coolDownUntil: number | null; rate: RateState | null }> {
    const lane = await this.ensure(connectionId, companyId);
    const coolDownUntil = lane.coolDownUntil ?? null;
    const rate = lane.rate ?? null;
    const window = lane.window ?? [];
    // A throughput lane records planned starts before its calls; a real one may have come a little later.
    const sent = normal(lane.sent);
    if (lane.lastStartAt && sent.lastSentAt !== null && lane.lastStartAt > sent.lastSentAt)
      sent.lastSentAt = lane.lastStartAt;
    if (!lane.inFlight && window.length === 0) return { sent, coolDownUntil, rate };
    let resolved = sent;
    // A throughput lane's sends in flight are counted in `sent` already (its run included); they may
    // have reached the provider at any moment until now, so the last of them counts as made now.
    if (window.length > 0)
      resolved = {
        lastSentAt: Math.max(now, resolved.lastSentAt ?? now, ...window.map((each) => each.at)),
        runLength: Math.max(1, resolved.runLength),
      };
    if (lane.inFlight) resolved = recordSend(resolved, settings, Math.max(now, lane.inFlight.since));
    await this.models.Lane.updateOne({ _id: lane._id }, { $set: { sent: resolved, inFlight: null, window: [] } });
    return { sent: resolved, coolDownUntil, rate };
  }

  /**
   * A throughput lane's batch of starts, recorded before any of its calls goes out: the lane's state
   * after them (`sent`, their run counted) and each send in flight with its planned start. One write.
   */
  async beginBatch(connectionId: string, sent: LaneState, sends: Array<{ shippingId: string; at: number }>) {
    await this.models.Lane.updateOne(
      { _id: new Types.ObjectId(connectionId) },
      { $set: { sent }, $push: { window: { $each: sends } } },
    );
  }

  /**
   * A throughput lane's sends whose outcome is recorded: no longer in flight; `lastStartAt` keeps the
   * latest of their real starts (a dispatcher taking over never starts less than a gap after it).
   */
  async endBatch(connectionId: string, shippingIds: string[], lastStartAt: number): Promise<void> {
    await this.models.Lane.updateOne(
      { _id: new Types.ObjectId(connectionId) },
      { $pull: { window: { shippingId: { $in: shippingIds } } }, $max: { lastStartAt } },
    );
  }

  /** A throughput lane with nothing in flight: its real starts (exact, not planned) and an empty window. */
  async settleWindow(connectionId: string, sent: LaneState): Promise<void> {
    await this.models.Lane.updateOne({ _id: new Types.ObjectId(connectionId) }, { $set: { sent, window: [] } });
  }

  /** A throughput lane's rate as the provider's refusals left it (survives a takeover). */
  async saveRate(connectionId: string, rate: RateState | null): Promise<void> {
    await this.models.Lane.updateOne({ _id: new Types.ObjectId(connectionId) }, { $set: { rate } });
  }

  /** No send on this number before `until`; only ever extends a cool-down already recorded. */
  async coolDown(connectionId: string, until: number): Promise<void> {
    await this.models.Lane.updateOne(
      { _id: new Types.ObjectId(connectionId), $or: [{ coolDownUntil: null }, { coolDownUntil: { $lt: until } }] },
      { $set: { coolDownUntil: until } },
    );
  }

  /** Marks a send as started, before the provider is called (crash-safe pacing). */
  async beginSend(connectionId: string, shippingId: string, now: number): Promise<void> {
    await this.models.Lane.updateOne(
      { _id: new Types.ObjectId(connectionId) },
      { $set: { inFlight: { shippingId, since: now } } },
    );
  }

  /**
   * Records a send at `at` (the provider's acceptance time) and clears the in-flight mark. Never
   * moves the last send back in time: an idempotent provider answers a repeated key with the first
   * send's time, and a later real send must still count as the last one.
   */
  async endSend(connectionId: string, before: LaneState, settings: PacingSettings, at: number): Promise<LaneState> {
    const sent = recordSend(before, settings, Math.max(at, before.lastSentAt ?? at));
    await this.models.Lane.updateOne({ _id: new Types.ObjectId(connectionId) }, { $set: { sent, inFlight: null } });
    return sent;
  }
}
