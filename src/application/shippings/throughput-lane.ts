import { performance } from 'node:perf_hooks';
import { Types } from 'mongoose';
import { sendToLane } from '../../../publishers/contact-prepared';
import type { ContactPrepared } from '../../domain/events/dispatch-messages';
import { type Cause, causedBy, type MessageOf } from '../../domain/events/envelope';
import { laneMode } from '../../domain/pacing/lane-mode';
import { type LaneState, recordSend } from '../../domain/pacing/pacing-rule';
import { effectivePacing, type PacingSettings } from '../../domain/pacing/pacing-settings';
import { requiredStartGap } from '../../domain/pacing/send-window';
import { effectiveWindow } from '../../domain/pacing/sending-window';
import { StartScheduler } from '../../domain/pacing/start-scheduler';
import { GatewayError, isRateLimited, type SendReceipt, type WhatsAppGateway } from '../../domain/whatsapp/gateway';
import type { ShippingDoc } from '../../infrastructure/mongo/models/shipping';
import { errorFields, type Logger } from '../../infrastructure/observability/logger';
import { completeIfDone } from '../campaigns/campaign-completion';
import { noteSendOutcome } from '../campaigns/failure-guard';
import { capsOf, shippingsOf, suppressionsOf } from '../service-registry';
import {
  type DispatchDeps,
  dispatchShipping,
  handleSendFailure,
  isSendable,
  parkIfHalted,
  untilSendable,
} from './dispatch';

type Ready = MessageOf<typeof ContactPrepared>;

export interface ThroughputLaneOptions {
  /** A lane is in throughput mode while its start gap is shorter than this (DISPATCH_WINDOW_MAX_GAP_MS). */
  maxGapMs: number;
  /** A batch takes at most the sends that start within this long (≥ 1 send). */
  batchSpanMs: number;
  /** And at most this many sends. */
  maxBatch: number;
}

export const DEFAULT_THROUGHPUT_LANE_OPTIONS: ThroughputLaneOptions = {
  maxGapMs: 250,
  batchSpanMs: 1_000,
  maxBatch: 200,
};

/** A delivery the lane holds until its shipping's outcome is recorded (then the consumer acks it). */
interface Held {
  message: Ready;
  logger: Logger;
  resolve(): void;
  reject(error: unknown): void;
}

/** Claimed, recorded in the lane's window, waiting for its start. */
interface Claimed {
  held: Held;
  shipping: ShippingDoc;
  pacing: PacingSettings;
  window: ReturnType<typeof effectiveWindow>;
  /** Not before its own planned time. */
  notBefore: number;
  gateway: WhatsAppGateway;
  cause: Cause;
}

interface Outcome {
  send: Claimed;
  startedAt: number;
  receipt?: SendReceipt;
  error?: unknown;
}

/** Pause and cancel: the campaigns of the sends claimed and not started are read again this often. */
const CAMPAIGN_RECHECK_MS = 100;

/**
 * Outcomes are recorded together, at most this often (or when a batch's worth is waiting): each
 * record is several writes and a publish, which at 80/s, recorded send by send, cost more CPU than
 * the sends and made the starts late. An ack waits up to this much longer.
 */
const FLUSH_EVERY_MS = 100;

/** A send is claimed at most this long before its planned start. */
const CLAIM_HORIZON_MS = 1_000;

/**
 * Sends not yet within the claim horizon wait for the next batch step, which comes once this much
 * of them is within it: each step claims about this long of starts. (Stepping as soon as the next
 * one came within the horizon made a step — a read of the whole batch, a claim, a lane write — per
 * send: at 80/s, 6.5 ms of worker CPU a send.)
 */
const REFILL_MS = 500;

/** Epoch ms on the monotonic clock, finer than a millisecond (12.5 ms gaps at 80/s). */
const preciseNow = () => performance.timeOrigin + performance.now();

/**
 * The lane's state in MongoDB is on the wall clock: the one-at-a-time path paces with `Date.now()`
 * and records the provider's receipt time, a whole millisecond. This lane starts on the monotonic
 * clock above, and the two differ by a fraction of a millisecond or more (the sandbox judged a start
 * 0.11 ms too soon after a lane changed paths). Times written are moved later by the wall clock's
 * lead, times read later by the monotonic clock's lead and the receipt's millisecond: each side errs late.
 */
const toWallClock = (at: number) => at + Math.max(0, Date.now() - preciseNow());
const fromWallClock = (at: number) => at + 1 + Math.max(0, preciseNow() - Date.now());
const stateToWallClock = (state: LaneState): LaneState =>
  state.lastSentAt === null ? state : { ...state, lastSentAt: toWallClock(state.lastSentAt) };

/**
 * Waits until `at` (precise clock): a timer for the bulk (in steps, so a stop is seen), then yields
 * to I/O until the moment (1 ms gaps at 1,000/s are finer than a timer).
 */
async function waitUntil(at: number, stop: () => boolean): Promise<void> {
  for (;;) {
    const left = at - preciseNow();
    if (left <= 0 || stop()) return;
    // A timer wakes up to a millisecond late: it takes all but the last millisecond, I/O turns the rest.
    if (left > 1.5) await new Promise((resolve) => setTimeout(resolve, Math.min(left - 1, 50)));
    else await new Promise((resolve) => setImmediate(resolve));
  }
}

/**
 * The dispatch lane of a number in throughput mode (lane-mode.ts): its consumer holds up to its
 * prefetch of deliveries and hands each here; the lane sends them in batches and acks each once its
 * outcome is recorded (its promise resolves; a rejection is the consumer's to retry).
 *
 * One loop per lane decides every start (StartScheduler): each start at least the required gap
 * after the previous START (the pacing rule with its runs, starts in flight counted; never above
 * the connection's rate, lowered after a 130429). A batch step before the starts, for up to
 * `batchSpanMs` of sends: one read of the shippings, one of their campaigns (pause and cancel act
 * here), holds and deferrals as the one-at-a-time lane does them, cap reservations (per send,
 * atomic: exact across workers), one claim (queued → sending), one suppression check after it
 * (opt-out), then ONE write of the lane's state — the starts planned, their run counted, each send
 * in flight — before any of their calls goes out. A dispatcher that takes over treats every send
 * recorded in flight as made at takeover; the reconciler finishes them. Outcomes are recorded in
 * bulk (statuses and outboxes in one write, events confirmed, outboxes cleared).
 *
 * Anything the batch step does not cover (a number not connected, a campaign whose own pacing is
 * slower than a round trip) goes through the one-at-a-time path, alone on the lane.
 */
export class ThroughputLane {
  private readonly waiting: Held[] = [];
  private readonly claimed: Claimed[] = [];
  private readonly outcomes: Outcome[] = [];
  private inFlight = 0;
  private scheduler: StartScheduler | null = null;
  /** The lane's state after every send claimed so far, at their planned starts (what a batch records). */
  private planned: LaneState | null = null;
  /** The state last written to the lane document (a settle only overwrites its own). */
  private written: LaneState | null = null;
  private preparing = false;
  private campaignsCheckedAt = 0;
  private recheckingCampaigns = false;
  /** No batch step before this (the next sends start later than the claim horizon). */
  private nextPrepareAt = 0;
  /** The lane's exact state being written after it went idle: the next batch reads it after. */
  private settling: Promise<void> = Promise.resolve();
  private starting = false;
  private flushing = false;
  private lastFlushAt = 0;
  private flushTimer: ReturnType<typeof setTimeout> | null = null;
  /** Hand-overs so far: a batch prepared across one is handed back, not started. */
  private releases = 0;
  private readonly queue: string;
  private readonly connectionOid: Types.ObjectId;

  constructor(
    private readonly deps: DispatchDeps,
    private readonly connectionId: string,
    private readonly options: ThroughputLaneOptions = DEFAULT_THROUGHPUT_LANE_OPTIONS,
  ) {
    this.queue = deps.queues.lane(connectionId);
    this.connectionOid = new Types.ObjectId(connectionId);
  }

  /** Sends this message's shipping (or decides it); resolves once its outcome is recorded. */
  submit(message: Ready, logger: Logger): Promise<void> {
    return new Promise<void>((resolve, reject) => {
      this.waiting.push({ message, logger, resolve, reject });
      this.pump();
    });
  }

  /**
   * Every message held now and not started goes back to the lane unsent (the calls out finish);
   * messages delivered after this are the lane's as usual (a batch being prepared now is handed back
   * too). Only what is held now: a flag kept until nothing is held would hand back, forever, every
   * delivery arriving meanwhile.
   */
  release(): void {
    this.releases++;
    void this.handBackAll(this.waiting.splice(0), this.claimed.splice(0));
  }

  /** Nothing held, nothing out. */
  get idle(): boolean {
    return (
      this.waiting.length === 0 &&
      this.claimed.length === 0 &&
      this.outcomes.length === 0 &&
      this.inFlight === 0 &&
      !this.preparing &&
      !this.flushing &&
      !this.starting
    );
  }

  private get stopping(): boolean {
    return this.deps.stopping?.aborted === true;
  }

  private pump(): void {
    if (!this.preparing && this.waiting.length > 0 && this.claimed.length < this.options.maxBatch) {
      this.preparing = true;
      void this.prepareNext().finally(() => {
        this.preparing = false;
        this.pump();
      });
    }
    if (!this.starting && this.claimed.length > 0) {
      this.starting = true;
      void this.startAll().finally(() => {
        this.starting = false;
        this.pump();
      });
    }
    if (!this.flushing && this.outcomes.length > 0) this.flushWhenDue();
    if (this.idle && this.scheduler) this.settling = this.settle();
  }

  /**
   * Records the outcomes now if a flush is due (or a batch's worth waits, a call failed — a 130429
   * must slow the lane at once — or the lane stops); else at the next due time.
   */
  private flushWhenDue(): void {
    const now = this.deps.now();
    const dueIn = this.lastFlushAt + FLUSH_EVERY_MS - now;
    const urgent =
      this.outcomes.length >= this.options.maxBatch ||
      this.stopping ||
      this.outcomes.some((outcome) => outcome.error !== undefined);
    if (dueIn > 0 && !urgent) {
      this.flushTimer ??= setTimeout(() => {
        this.flushTimer = null;
        this.pump();
      }, dueIn);
      return;
    }
    if (this.flushTimer) clearTimeout(this.flushTimer);
    this.flushTimer = null;
    this.flushing = true;
    this.lastFlushAt = now;
    void this.flush().finally(() => {
      this.flushing = false;
      this.pump();
    });
  }

  // ── the batch step ──────────────────────────────────────────────────────────────────────────

  private async prepareNext(): Promise<void> {
    if (this.stopping) {
      await this.handBackAll(this.waiting.splice(0), []);
      return;
    }
    let batch: Held[] = [];
    if (this.nextPrepareAt > this.deps.now()) {
      await waitUntil(this.nextPrepareAt - this.deps.now() + preciseNow(), () => this.stopping);
      this.nextPrepareAt = 0;
      if (this.stopping) return;
    }
    try {
      const connection = await this.deps.gateways.forConnection(this.connectionId);
      const mode = laneMode(connection.companyPacing, connection.throughputPerSec, this.options.maxGapMs);
      this.deps.laneModeSeen?.(this.connectionId, mode);
      if (connection.status !== 'connected' || mode !== 'throughput') {
        await this.oneAtATime(this.waiting.splice(0));
        return;
      }
      await this.settling;
      await this.loadScheduler(connection.companyId, connection.companyPacing, connection.throughputPerSec);
      const gap = Math.max(1e-3, 1_000 / (this.scheduler!.rateAt(this.deps.now()) ?? 1_000));
      const size = Math.max(1, Math.min(this.options.maxBatch, Math.ceil(this.options.batchSpanMs / gap)));
      batch = this.waiting.splice(0, size);
      await this.prepare(batch, connection);
    } catch (error) {
      // A database or broker failure: each message of the batch is the consumer's to retry.
      for (const held of batch) if (!this.isQueued(held)) held.reject(error);
      this.deps.logger.warn('throughput lane: a batch could not be prepared', {
        connectionId: this.connectionId,
        ...errorFields(error),
      });
      // No hot loop on a store that is down: the next batch step comes a moment later.
      await new Promise((resolve) => setTimeout(resolve, 500));
    }
  }

  /** Still the lane's to decide (claimed, or back among the waiting): not the consumer's to retry. */
  private isQueued(held: Held): boolean {
    return this.claimed.some((each) => each.held === held) || this.waiting.includes(held);
  }

  private async loadScheduler(companyId: string, pacing: PacingSettings, throughputPerSec: number | null) {
    if (!this.scheduler) {
      const state = await this.deps.lanes.dispatchState(this.connectionId, companyId, pacing, this.deps.now());
      const sent =
        state.sent.lastSentAt === null
          ? state.sent
          : { ...state.sent, lastSentAt: fromWallClock(state.sent.lastSentAt) };
      this.scheduler = new StartScheduler({ lane: sent, rate: state.rate, coolDownUntil: state.coolDownUntil });
      this.planned = sent;
      // As stored (a settle replaces it only if it is still what this lane read or wrote).
      this.written = state.sent;
    }
    this.scheduler.configure(throughputPerSec);
  }

  private async prepare(
    batch: Held[],
    connection: Awaited<ReturnType<DispatchDeps['gateways']['forConnection']>>,
  ): Promise<void> {
    const { deps } = this;
    const releases = this.releases;
    const shippings = shippingsOf(deps);
    const found = new Map(
      (await shippings.findMany(batch.map((held) => new Types.ObjectId(held.message.payload.shippingId)))).map(
        (doc) => [String(doc._id), doc],
      ),
    );
    const candidates: Array<{ held: Held; shipping: ShippingDoc }> = [];
    const seen = new Set<string>();
    for (const held of batch) {
      // Two copies of one shipping's message in a batch (a redelivery beside a copy handed back or
      // requeued): one claim would serve both, so the second is dropped here, as a lost claim would be.
      if (seen.has(held.message.payload.shippingId)) {
        held.resolve();
        continue;
      }
      seen.add(held.message.payload.shippingId);
      const shipping = found.get(held.message.payload.shippingId);
      if (shipping?.outbox) {
        // Ended, its event not confirmed before a crash: publish it now (the one-at-a-time path does it).
        await this.settleOne(held, () => dispatchShipping(deps, this.connectionId, held.message, held.logger));
        continue;
      }
      if (
        !shipping ||
        !isSendable(shipping, connection.gateway) ||
        String(shipping.connectionId) !== this.connectionId
      ) {
        held.resolve();
        continue;
      }
      candidates.push({ held, shipping });
    }
    if (candidates.length === 0) return;

    const campaignIds = [...new Set(candidates.map((each) => String(each.shipping.campaignId)))];
    const campaigns = new Map(
      (
        await deps.models.Campaign.find(
          { _id: { $in: campaignIds.map((id) => new Types.ObjectId(id)) } },
          { status: 1, pacing: 1, sendingWindows: 1 },
        ).lean()
      ).map((campaign) => [String(campaign._id), campaign]),
    );
    const now = this.deps.now();
    const scheduler = this.scheduler!;
    const slow: Held[] = [];
    const toClaim: Array<Omit<Claimed, 'gateway'>> = [];
    for (const { held, shipping } of candidates) {
      const campaign = campaigns.get(String(shipping.campaignId)) ?? null;
      if (await parkIfHalted(deps, campaign, shipping, causedBy(held.message))) {
        held.resolve();
        continue;
      }
      const pacing = effectivePacing(connection.companyPacing, campaign?.pacing ?? undefined);
      if (laneMode(pacing, connection.throughputPerSec, this.options.maxGapMs) !== 'throughput') {
        // This campaign paces slower than a round trip: one at a time, like an anti-ban number.
        slow.push(held);
        continue;
      }
      const window = effectiveWindow(
        connection.companyWindows.timezone,
        connection.companyWindows.sendingWindows,
        campaign?.sendingWindows,
      );
      const laneWait = Math.max(0, scheduler.earliestStart(pacing, now) - now);
      const byPacing = Math.max(laneWait, Date.parse(held.message.payload.plannedAt) - now);
      const wait = window ? untilSendable(window, now, byPacing) : byPacing;
      if (wait > deps.maxHoldMs || wait - laneWait > deps.earlyHoldMs) {
        await this.defer(held, now + wait);
        continue;
      }
      toClaim.push({
        held,
        shipping,
        pacing,
        window,
        notBefore: now + wait - laneWait,
        cause: causedBy(held.message),
      });
    }
    // Sends whose start, in the lane's chain of starts, is further than a hold go back to come at it.
    // Sends further than a short horizon are not claimed yet (a claim is not held for long): they
    // wait, unclaimed, for the next batch, which this step prepares once they come near.
    const chained = this.plan(toClaim, now).starts;
    const inHold: typeof toClaim = [];
    const later: Held[] = [];
    let firstLater = Number.POSITIVE_INFINITY;
    for (const [index, send] of toClaim.entries()) {
      const start = chained[index]!;
      if (start - now > deps.maxHoldMs) await this.defer(send.held, start);
      else if (start - now > CLAIM_HORIZON_MS || later.length > 0) {
        firstLater = Math.min(firstLater, start);
        later.push(send.held);
      } else inHold.push(send);
    }
    if (later.length > 0) {
      this.waiting.unshift(...later);
      this.nextPrepareAt = firstLater - CLAIM_HORIZON_MS + REFILL_MS;
    }
    const reserved = await this.reserveCaps(inHold, connection);
    const claimedDocs = new Map(
      (
        await shippings.claimMany(
          reserved.map((each) => each.shipping._id),
          connection.gateway.idempotent,
          this.connectionOid,
        )
      ).map((doc) => [String(doc._id), doc]),
    );
    const ready: Claimed[] = [];
    for (const each of reserved) {
      const claimed = claimedDocs.get(String(each.shipping._id));
      if (!claimed) each.held.resolve();
      else ready.push({ ...each, shipping: claimed, gateway: connection.gateway });
    }
    const sendable = await this.withdrawSuppressed(ready);
    if (sendable.length > 0) {
      // One write before any of their calls: the starts planned (their run counted) and each send in flight.
      const { starts, after } = this.plan(sendable, now);
      const entries = sendable.map((send, index) => ({
        shippingId: String(send.shipping._id),
        at: toWallClock(starts[index]!),
      }));
      const stored = stateToWallClock(after);
      try {
        await deps.lanes.beginBatch(this.connectionId, stored, entries);
      } catch (error) {
        // Not recorded, so not sent: back to queued, and the consumer retries each message.
        for (const send of sendable)
          await shippings.release(send.shipping._id, 'lane state not recorded').catch(() => undefined);
        throw error;
      }
      this.planned = after;
      this.written = stored;
      // The lane was handed over while this batch was prepared: none of it starts here.
      if (this.releases !== releases) await this.handBackAll([], sendable);
      else this.claimed.push(...sendable);
    }
    if (slow.length > 0) await this.oneAtATime(slow);
  }

  /** The planned starts of `sends` after every send claimed so far, and the lane's state after them. */
  private plan(
    sends: Array<{ pacing: PacingSettings; notBefore: number }>,
    now: number,
  ): { starts: number[]; after: LaneState } {
    const scheduler = this.scheduler!;
    let lane = this.laterOf(this.planned, scheduler.state);
    const rate = scheduler.rateAt(now);
    // Not inside a cool-down: a plan that ignored it would claim sends a second ahead of starts
    // that cannot come before it ends.
    const first = Math.max(now, scheduler.coolDownEnd ?? now);
    const starts = sends.map((send) => {
      const gap = lane.lastSentAt === null ? 0 : requiredStartGap(lane, send.pacing, rate);
      const at = Math.max(first, send.notBefore, (lane.lastSentAt ?? now) + gap);
      lane = recordSend(lane, send.pacing, at);
      return at;
    });
    return { starts, after: lane };
  }

  private laterOf(a: LaneState | null, b: LaneState): LaneState {
    if (!a || a.lastSentAt === null) return b;
    if (b.lastSentAt === null) return a;
    return a.lastSentAt >= b.lastSentAt ? a : b;
  }

  /** A slot under each daily cap, reserved per send (atomic, exact across workers); the others wait for theirs. */
  private async reserveCaps<T extends { held: Held; shipping: ShippingDoc }>(
    sends: T[],
    connection: Awaited<ReturnType<DispatchDeps['gateways']['forConnection']>>,
  ): Promise<T[]> {
    const now = this.deps.now();
    const caps = [
      { scope: `connection:${this.connectionId}`, limit: connection.capAt(now) },
      { scope: `company:${connection.companyId}`, limit: connection.companyCapAt(now) },
    ].filter((cap) => cap.limit !== null);
    if (caps.length === 0) return sends;
    const recipientCaps = capsOf(this.deps);
    const kept: T[] = [];
    for (const send of sends) {
      const reservation = await recipientCaps.reserveAll(caps, send.shipping.phone, this.deps.now());
      if (reservation.ok) kept.push(send);
      else await this.defer(send.held, reservation.freesAt);
    }
    return kept;
  }

  /** Opt-out, checked after the claim (as the one-at-a-time lane does): one query for the batch. */
  private async withdrawSuppressed(ready: Claimed[]): Promise<Claimed[]> {
    if (ready.length === 0) return ready;
    const companyId = ready[0]!.shipping.companyId;
    const suppressed = await suppressionsOf(this.deps).suppressedAmong(
      companyId,
      ready.map((each) => each.shipping.phone),
    );
    if (suppressed.size === 0) return ready;
    const kept: Claimed[] = [];
    for (const send of ready) {
      if (!suppressed.has(send.shipping.phone)) {
        kept.push(send);
        continue;
      }
      if (await shippingsOf(this.deps).withdraw(send.shipping, 'opted out'))
        this.deps.logger.info('suppressed phone: shipping cancelled at dispatch', {
          shippingId: String(send.shipping._id),
        });
      await completeIfDone(this.deps, String(send.shipping.campaignId), send.cause);
      send.held.resolve();
    }
    return kept;
  }

  /** Back through the delay levels, to re-enter the lane at `at`. */
  private async defer(held: Held, at: number): Promise<void> {
    await this.settleOne(held, () =>
      sendToLane(
        this.deps.publisher,
        this.queue,
        { ...held.message.payload, plannedAt: new Date(at) },
        causedBy(held.message),
        this.deps.now(),
      ),
    );
  }

  private async settleOne(held: Held, work: () => Promise<void>): Promise<void> {
    try {
      await work();
      held.resolve();
    } catch (error) {
      held.reject(error);
    }
  }

  /**
   * Messages the batch step does not take: through the one-at-a-time path, alone on the lane (the
   * sends out first finish and the lane's state is written exactly; that path reads it back).
   */
  private async oneAtATime(messages: Held[]): Promise<void> {
    if (messages.length === 0) return;
    while (this.claimed.length > 0 || this.inFlight > 0 || this.outcomes.length > 0 || this.flushing) {
      // Called from a batch step (which holds the pump): the starts of what it just claimed and the
      // outcomes' records must go on meanwhile, or this would wait for them forever.
      this.pump();
      await new Promise((resolve) => setTimeout(resolve, 5));
    }
    if (this.scheduler) await this.deps.lanes.settleWindow(this.connectionId, stateToWallClock(this.scheduler.state));
    this.scheduler = null;
    this.planned = null;
    for (const held of messages) {
      if (this.stopping) await this.handBackAll([held], []);
      else await this.settleOne(held, () => dispatchShipping(this.deps, this.connectionId, held.message, held.logger));
    }
  }

  // ── the starts ──────────────────────────────────────────────────────────────────────────────

  private async startAll(): Promise<void> {
    const scheduler = this.scheduler;
    if (!scheduler) return;
    while (this.claimed.length > 0) {
      const next = this.claimed[0]!;
      if (this.stopping) {
        await this.handBackAll([], this.claimed.splice(0));
        return;
      }
      if (this.deps.now() - this.campaignsCheckedAt >= CAMPAIGN_RECHECK_MS && !this.recheckingCampaigns) {
        // Beside the starts, never in their way: a query in the loop would make every start after it late.
        this.campaignsCheckedAt = this.deps.now();
        this.recheckingCampaigns = true;
        void this.dropHalted()
          .catch((error: unknown) =>
            this.deps.logger.warn('throughput lane: campaigns not read again', errorFields(error)),
          )
          .finally(() => {
            this.recheckingCampaigns = false;
          });
      }
      const at = Math.max(scheduler.earliestStart(next.pacing, preciseNow()), next.notBefore);
      if (at - preciseNow() > CLAIM_HORIZON_MS) {
        // A cool-down (the provider's limit) put the next start far off: a claim is not held that
        // long — the reconciler would take a claimed send that never started for one whose outcome
        // is unknown. The claimed sends go back to waiting, unclaimed, until their start comes near.
        await this.unclaimAll(at);
        return;
      }
      if (at > preciseNow()) {
        await waitUntil(at, () => this.stopping);
        continue; // the rate may have dropped meanwhile: look again
      }
      if (next.window && untilSendable(next.window, this.deps.now(), 0) > 0) {
        // The window closed before its start: back to the lane for its next opening.
        this.claimed.shift();
        await shippingsOf(this.deps).release(next.shipping._id, 'sending window closed before its start');
        await this.defer(next.held, this.deps.now() + untilSendable(next.window, this.deps.now(), 0));
        continue;
      }
      this.claimed.shift();
      this.inFlight++;
      const call = next.gateway.send({
        idempotencyKey: String(next.shipping._id),
        to: next.shipping.phone,
        text: next.shipping.text,
        mediaUrl: next.shipping.mediaUrl,
        template: next.shipping.template ?? null,
      });
      // The start is taken once the call is on its way (a provider in this process has seen it by
      // now): the next start is gated a full gap after this moment, never after an earlier one.
      const startedAt = preciseNow();
      scheduler.recordStart(next.pacing, startedAt);
      call
        .then(
          (receipt) => this.outcomes.push({ send: next, startedAt, receipt }),
          (error: unknown) => this.outcomes.push({ send: next, startedAt, error }),
        )
        .finally(() => {
          this.inFlight--;
          this.pump();
        });
    }
  }

  /**
   * Every claimed send not started goes back to queued and its message back among the waiting (in
   * order), out of the lane's window; the next batch step comes when `startAt` is a claim horizon away.
   */
  private async unclaimAll(startAt: number): Promise<void> {
    const sends = this.claimed.splice(0);
    if (sends.length === 0) return;
    for (const send of sends) await shippingsOf(this.deps).release(send.shipping._id, 'start postponed by a cool-down');
    await this.deps.lanes.endBatch(
      this.connectionId,
      sends.map((send) => String(send.shipping._id)),
      0,
    );
    // Nothing claimed is left unstarted: the lane's plan is what has started.
    this.planned = this.scheduler?.state ?? this.planned;
    this.waiting.unshift(...sends.map((send) => send.held));
    this.nextPrepareAt = Math.max(this.nextPrepareAt, startAt - CLAIM_HORIZON_MS);
    this.deps.logger.info('throughput lane: claimed sends released until the cool-down ends', {
      connectionId: this.connectionId,
      sends: sends.length,
      startsInMs: Math.round(startAt - preciseNow()),
    });
  }

  /**
   * Pause and cancel act at the next start: the campaigns of the sends claimed and not started are
   * read again (one query) every CAMPAIGN_RECHECK_MS; a paused or cancelled one's sends go back to
   * queued and are parked or cancelled as the one-at-a-time lane does it.
   */
  private async dropHalted(): Promise<void> {
    const ids = [...new Set(this.claimed.map((send) => String(send.shipping.campaignId)))];
    if (ids.length === 0) return;
    const campaigns = new Map(
      (
        await this.deps.models.Campaign.find(
          { _id: { $in: ids.map((id) => new Types.ObjectId(id)) } },
          { status: 1, pacing: 1, sendingWindows: 1 },
        ).lean()
      ).map((campaign) => [String(campaign._id), campaign]),
    );
    const halted = (id: string) => {
      const status = campaigns.get(id)?.status;
      return status === undefined || status === 'paused' || status === 'cancelled';
    };
    if (!ids.some(halted)) return;
    const dropped = this.claimed.filter((send) => halted(String(send.shipping.campaignId)));
    const kept = this.claimed.filter((send) => !halted(String(send.shipping.campaignId)));
    this.claimed.splice(0, this.claimed.length, ...kept);
    for (const send of dropped) {
      await this.settleOne(send.held, async () => {
        await shippingsOf(this.deps).release(send.shipping._id, 'campaign halted before its start');
        const campaign = campaigns.get(String(send.shipping.campaignId)) ?? null;
        await parkIfHalted(this.deps, campaign, { ...send.shipping, status: 'queued' }, send.cause);
      });
    }
  }

  /**
   * Shutdown or hand-over: messages not claimed go back to the lane as they are; claimed ones are
   * released (sending → queued) first. None was sent; the lane's next dispatcher sends them.
   */
  private async handBackAll(waiting: Held[], claimed: Claimed[]): Promise<void> {
    for (const send of claimed) {
      await shippingsOf(this.deps)
        .release(send.shipping._id, 'handed back unsent')
        .catch(() => undefined);
    }
    const all = [...waiting, ...claimed.map((send) => send.held)];
    for (const held of all) {
      const payload = { ...held.message.payload, plannedAt: new Date(held.message.payload.plannedAt) };
      await this.settleOne(held, () =>
        sendToLane(this.deps.publisher, this.queue, payload, causedBy(held.message), this.deps.now()),
      );
    }
    if (all.length > 0)
      this.deps.logger.info('throughput lane: held messages went back to their lane unsent', {
        connectionId: this.connectionId,
        messages: all.length,
      });
  }

  // ── the outcomes ────────────────────────────────────────────────────────────────────────────

  private async flush(): Promise<void> {
    const batch = this.outcomes.splice(0);
    const sent = batch.filter((outcome) => outcome.receipt);
    try {
      await shippingsOf(this.deps).markSentMany(
        sent.map((outcome) => ({
          shipping: outcome.send.shipping,
          receipt: outcome.receipt!,
          cause: outcome.send.cause,
        })),
      );
      for (const outcome of sent) {
        await noteSendOutcome(this.deps, outcome.send.shipping, null, outcome.send.cause);
        this.deps.metrics.sent(
          this.connectionId,
          'sent',
          outcome.receipt!.acceptedAt.getTime() - Date.parse(outcome.send.held.message.payload.plannedAt),
        );
        outcome.send.held.resolve();
      }
    } catch (error) {
      // Not recorded: each message is retried; its shipping is `sending`, the reconciler or the
      // provider's idempotency key finishes it without a second send.
      for (const outcome of sent) outcome.send.held.reject(error);
    }
    for (const outcome of batch) if (outcome.error !== undefined) await this.failed(outcome);
    await this.deps.lanes
      .endBatch(
        this.connectionId,
        batch.map((outcome) => String(outcome.send.shipping._id)),
        toWallClock(Math.max(...batch.map((outcome) => outcome.startedAt))),
      )
      .catch(() => undefined);
  }

  private async failed(outcome: Outcome): Promise<void> {
    const { send, error, startedAt } = outcome;
    const scheduler = this.scheduler;
    try {
      if (isRateLimited(error) && scheduler) {
        // Sending too fast for the provider: the lane's rate drops for a cool-down, then climbs back;
        // this message is tried again at that rate (its delivery stays held). Calls started before the
        // drop change nothing more.
        if (scheduler.rateLimited(startedAt, preciseNow())) {
          await this.deps.lanes.saveRate(this.connectionId, scheduler.rateState);
          send.held.logger.warn("the provider refused the number's rate; the lane slows down", {
            connectionId: this.connectionId,
            ratePerSec: scheduler.rateAt(this.deps.now()),
            code: (error as GatewayError).code,
          });
        }
        this.deps.metrics.gatewayError(
          send.gateway.kind,
          (error as GatewayError).code ?? 'none',
          (error as GatewayError).kind,
        );
        this.deps.metrics.sent(this.connectionId, (error as GatewayError).kind);
        await shippingsOf(this.deps).release(send.shipping._id, `${(error as GatewayError).code}: rate limit hit`);
        this.waiting.unshift(send.held);
        return;
      }
      if (error instanceof GatewayError && error.kind === 'lane-backoff' && scheduler)
        scheduler.coolDown(this.deps.now() + (error.retryAfterMs ?? 60_000));
      if (error instanceof GatewayError && (error.kind === 'halt-connection' || error.kind === 'pause-campaign')) {
        // Nothing more starts on this batch: the sends not started go back to be decided again.
        const notStarted = this.claimed.splice(0);
        for (const each of notStarted) await shippingsOf(this.deps).release(each.shipping._id, 'not started');
        this.waiting.unshift(...notStarted.map((each) => each.held));
      }
      await noteSendOutcome(this.deps, send.shipping, error, send.cause);
      await handleSendFailure(
        this.deps,
        {
          connectionId: this.connectionId,
          queue: this.queue,
          message: send.held.message.payload,
          gateway: send.gateway.kind,
        },
        send.shipping,
        error,
        send.cause,
        send.held.logger,
      );
      send.held.resolve();
    } catch (failure) {
      send.held.reject(failure);
    }
  }

  /** Nothing held or out: the lane's real state replaces the planned one (if no one wrote since), and is read afresh next time. */
  private async settle(): Promise<void> {
    const scheduler = this.scheduler;
    if (!scheduler) return;
    this.scheduler = null;
    const planned = this.written;
    this.planned = null;
    this.written = null;
    try {
      await this.deps.lanes.settleIdle(this.connectionId, planned, stateToWallClock(scheduler.state));
    } catch (error) {
      this.deps.logger.warn('throughput lane: could not settle its state', errorFields(error));
    }
  }
}

/** The throughput lanes of this process, one per number. */
export class ThroughputLanes {
  private readonly lanes = new Map<string, ThroughputLane>();

  constructor(
    private readonly deps: DispatchDeps,
    private readonly options: ThroughputLaneOptions,
  ) {}

  of(connectionId: string): ThroughputLane {
    let lane = this.lanes.get(connectionId);
    if (!lane) {
      lane = new ThroughputLane(this.deps, connectionId, this.options);
      this.lanes.set(connectionId, lane);
    }
    return lane;
  }

  /** The lane moves to another worker: what it holds and has not started goes back unsent. */
  release(connectionId: string): void {
    this.lanes.get(connectionId)?.release();
  }
}
