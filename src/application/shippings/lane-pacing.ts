import { type LaneState, recordSend } from '../../domain/pacing/pacing-rule';
import type { PacingSettings } from '../../domain/pacing/pacing-settings';
import type { RateState } from '../../domain/pacing/rate-adaptation';
import { type PlanLimits, SendPlanner } from '../../domain/pacing/send-planner';

/** A send that started and has not been recorded as finished (after a crash, when it reached the provider is unknown). */
export interface SendInFlight {
  shippingId: string;
  since: number;
}

/** One of a throughput lane's sends in flight: claimed and recorded before its call went out, `at` its planned start. */
export interface WindowedSend {
  shippingId: string;
  at: number;
}

/**
 * One WhatsApp number's pacing record as stored: `sent` is the real sends, `planned` the horizon
 * campaigns have reserved (changed only by compare-and-set on `version`), `inFlight` a send begun
 * and not yet recorded, `coolDownUntil` no send before then.
 *
 * A throughput lane (several calls in flight) also keeps `window`, its sends in flight (already
 * counted in `sent`), `lastStartAt`, the latest real start whose outcome is recorded (its planned
 * `sent` may be a little earlier), and `rate`, its rate as the provider's refusals left it.
 */
export interface LaneRecord {
  sent: LaneState;
  planned: LaneState;
  inFlight: SendInFlight | null;
  coolDownUntil: number | null;
  window: WindowedSend[];
  lastStartAt: number | null;
  rate: RateState | null;
  version: number;
}

/**
 * Where lane records live. Two writers on separate fields: campaign processing on `planned`
 * (compare-and-set), the lane's active dispatcher on `sent` / `inFlight` / `coolDownUntil`.
 */
export interface LaneStore {
  /** The number's record, created idle (version 0) when it has none yet. */
  ensure(connectionId: string, companyId: string): Promise<LaneRecord>;
  /** Sets `planned` and bumps the version, only if the version is still `version`; whether it did. */
  replacePlanned(connectionId: string, version: number, planned: LaneState): Promise<boolean>;
  /** Sets the real sends and clears the send in flight. */
  recordSent(connectionId: string, sent: LaneState): Promise<void>;
  setInFlight(connectionId: string, inFlight: SendInFlight): Promise<void>;
  /** Sets the cool-down to `until` unless one at least as late is recorded. */
  extendCoolDown(connectionId: string, until: number): Promise<void>;
  /** Sets the real sends, clears the send in flight and empties the window (nothing is in flight any more). */
  settle(connectionId: string, sent: LaneState): Promise<void>;
  /** Sets the real sends and adds `sends` to the window, in one write. */
  openWindow(connectionId: string, sent: LaneState, sends: WindowedSend[]): Promise<void>;
  /** Takes `shippingIds` out of the window and raises `lastStartAt` to `lastStartAt` (never lowers it). */
  closeWindow(connectionId: string, shippingIds: string[], lastStartAt: number): Promise<void>;
  saveRate(connectionId: string, rate: RateState | null): Promise<void>;
  /** As `settle`, only if the real sends are still `expected` (nobody wrote since); whether it did. */
  settleIf(connectionId: string, expected: LaneState, sent: LaneState): Promise<boolean>;
}

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

/** What a send waits for: the real sends so far, until when the number cools down (null: it does not), its rate. */
export interface DispatchState {
  sent: LaneState;
  coolDownUntil: number | null;
  rate: RateState | null;
}

/** Rounds of read-plan-write before a reservation gives up (each lost round means another process reserved). */
const MAX_ATTEMPTS = 50;

/**
 * The pacing state of each WhatsApp number (its lane), the one owner of its changes: slots reserved
 * by campaign processing, sends begun and recorded by the lane's dispatcher, cool-downs asked for
 * by the provider. It survives a failover because it is stored, not held in a process.
 */
export class LanePacing {
  constructor(private readonly store: LaneStore) {}

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
    for (let attempt = 0; attempt < MAX_ATTEMPTS; attempt++) {
      const lane = await this.store.ensure(connectionId, companyId);
      const initial = later(normal(lane.sent), normal(lane.planned));
      const planner = new SendPlanner(settings, startAt, initial, limits);
      for (let i = 0; i < count; i++) planner.next();
      if (await this.store.replacePlanned(connectionId, lane.version, planner.horizon)) return initial;
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

  /** The real sends so far (as `sentState`), until when the number cools down (null: it does not) and its rate. */
  async dispatchState(
    connectionId: string,
    companyId: string,
    settings: PacingSettings,
    now: number,
  ): Promise<DispatchState> {
    return this.resolve(connectionId, await this.store.ensure(connectionId, companyId), settings, now);
  }

  /**
   * The number's record as stored (created idle when it has none), read before the pacing settings
   * are known: dispatch reads it at once with the shipping and its campaign, then `resolve`s it.
   */
  record(connectionId: string, companyId: string): Promise<LaneRecord> {
    return this.store.ensure(connectionId, companyId);
  }

  /** `dispatchState` of a record read by `record` (settles a send a crashed dispatcher left in flight). */
  async resolve(connectionId: string, lane: LaneRecord, settings: PacingSettings, now: number): Promise<DispatchState> {
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
    await this.store.settle(connectionId, resolved);
    return { sent: resolved, coolDownUntil, rate };
  }

  /**
   * A throughput lane's batch of starts, recorded before any of its calls goes out: the lane's state
   * after them (`sent`, their run counted) and each send in flight with its planned start. One write.
   */
  async beginBatch(connectionId: string, sent: LaneState, sends: WindowedSend[]): Promise<void> {
    await this.store.openWindow(connectionId, sent, sends);
  }

  /**
   * A throughput lane's sends whose outcome is recorded: no longer in flight; `lastStartAt` keeps the
   * latest of their real starts (a dispatcher taking over never starts less than a gap after it).
   */
  async endBatch(connectionId: string, shippingIds: string[], lastStartAt: number): Promise<void> {
    await this.store.closeWindow(connectionId, shippingIds, lastStartAt);
  }

  /** A throughput lane with nothing in flight: its real starts (exact, not planned) and an empty window. */
  async settleWindow(connectionId: string, sent: LaneState): Promise<void> {
    await this.store.settle(connectionId, sent);
  }

  /**
   * A throughput lane gone idle (nothing held or out): its real starts replace the planned state it
   * wrote with its last batch (`written`), unless another dispatcher wrote the lane since.
   */
  async settleIdle(connectionId: string, written: LaneState | null, real: LaneState): Promise<void> {
    await this.store.settleIf(connectionId, normal(written), real);
  }

  /** A throughput lane's rate as the provider's refusals left it (survives a takeover). */
  async saveRate(connectionId: string, rate: RateState | null): Promise<void> {
    await this.store.saveRate(connectionId, rate);
  }

  /** No send on this number before `until`; only ever extends a cool-down already recorded. */
  async coolDown(connectionId: string, until: number): Promise<void> {
    await this.store.extendCoolDown(connectionId, until);
  }

  /** Marks a send as started, before the provider is called (crash-safe pacing). */
  async beginSend(connectionId: string, shippingId: string, now: number): Promise<void> {
    await this.store.setInFlight(connectionId, { shippingId, since: now });
  }

  /** A send begun and then not made (its contact opted out): not in flight, the real sends as they were (`before`). */
  async dropSend(connectionId: string, before: LaneState): Promise<void> {
    await this.store.recordSent(connectionId, before);
  }

  /**
   * Records a send at `at` (the provider's acceptance time) and clears the in-flight mark. Never
   * moves the last send back in time: an idempotent provider answers a repeated key with the first
   * send's time, and a later real send must still count as the last one.
   */
  async endSend(connectionId: string, before: LaneState, settings: PacingSettings, at: number): Promise<LaneState> {
    const sent = recordSend(before, settings, Math.max(at, before.lastSentAt ?? at));
    await this.store.recordSent(connectionId, sent);
    return sent;
  }
}
