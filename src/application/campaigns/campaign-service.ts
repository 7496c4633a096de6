import { Types } from 'mongoose';
import { type CampaignCommand, type CampaignStatus, statusesAllowing } from '../../domain/campaigns/campaign-status';
import { AppError, PermanentError } from '../../domain/errors';
import {
  CampaignCancelled,
  CampaignCompleted,
  CampaignPaused,
  CampaignResumed,
  CampaignScheduled,
  CampaignStarted,
} from '../../domain/events/campaign-messages';
import { type Cause, newCorrelation } from '../../domain/events/envelope';
import { LaneDealer } from '../../domain/pacing/lane-split';
import { effectivePacing, type PacingSettings } from '../../domain/pacing/pacing-settings';
import { type PlanLimits, SendPlanner } from '../../domain/pacing/send-planner';
import { effectiveWindow, type WeeklySchedule } from '../../domain/pacing/sending-window';
import type { CampaignTemplate } from '../../domain/whatsapp/templates';
import {
  type CampaignCounters,
  type CampaignDoc,
  type CampaignPlan,
  connectionIdsOf,
} from '../../infrastructure/mongo/models/campaign';
import type { Logger } from '../../infrastructure/observability/logger';
import type { DomainEvents } from '../messaging-ports';
import { numbersToPlan, planAudience, planLanes, planLimits } from './audience-planning';
import type {
  CampaignAudience,
  CampaignChanges,
  CampaignCommands,
  CampaignOnNumbers,
  CampaignRepository,
  CampaignShippingChanges,
  CampaignShippingsView,
  CompanySending,
  LaneReservations,
  NewCampaign,
  PrepareBatch,
  SendingNumbers,
  SuppressedPhones,
} from './campaign-repository';
import { readingAhead } from './reading-ahead';

/** How far ahead the check looks: campaigns due within it are queued to arrive on time. */
export const DUE_WINDOW_MS = 60 * 60_000;
/** A queued campaign whose CampaignDue has not started processing this long after its time is re-sent. */
export const STUCK_AFTER_MS = 10 * 60_000;

export interface CampaignServiceDeps {
  campaigns: CampaignRepository;
  audience: CampaignAudience;
  shippings: CampaignShippingsView;
  shippingChanges: CampaignShippingChanges;
  companies: CompanySending;
  suppressions: SuppressedPhones;
  lanes: LaneReservations;
  numbers: SendingNumbers;
  commands: CampaignCommands;
  events: DomainEvents;
  logger: Logger;
  now(): number;
}

/** The fields of a campaign that may change before it starts. */
export interface CampaignEdits {
  name?: string;
  connectionId?: string;
  /** Several numbers (null: back to the one `connectionId`). */
  connectionIds?: string[] | null;
  listId?: string;
  variants?: string[];
  mediaUrl?: string | null;
  template?: CampaignTemplate | null;
  pacing?: Partial<PacingSettings> | null;
  sendingWindows?: WeeklySchedule | null;
}

/** A command the campaign's current status does not allow (resume a cancelled campaign, say): a conflict. */
export function campaignStateConflict(command: CampaignCommand, status: CampaignStatus): AppError {
  return AppError.conflict(`cannot ${command} a campaign that is ${status}`);
}

/** Every planned contact has a shipping (or vanished), and every shipping reached an end. */
export function isCampaignDone(processingDone: boolean, counters: CampaignCounters): boolean {
  if (!processingDone) return false;
  if (counters.prepared + counters.missing + (counters.suppressed ?? 0) < counters.audience) return false;
  return counters.sent + counters.failed + counters.cancelled >= counters.prepared;
}

/**
 * Owns every status change of a campaign (the table in campaign-status.ts): created, changed,
 * scheduled, queued when due, run, paused, resumed, cancelled, deleted, completed; the events and
 * commands each emits. Each change is a compare-and-set from the statuses the table allows, so of
 * two concurrent callers exactly one applies it; a caller's command that loses is a conflict, the
 * pipeline's own steps simply do nothing more.
 */
export class CampaignService {
  constructor(private readonly deps: CampaignServiceDeps) {}

  /** Applies a caller's command to the company's campaign; the document before. */
  private async apply(
    companyId: string,
    campaignId: string,
    command: CampaignCommand,
    set: CampaignChanges,
  ): Promise<CampaignDoc> {
    const before = await this.deps.campaigns.transition(campaignId, statusesAllowing(command), set, { companyId });
    if (before) return before;
    const current = await this.find(companyId, campaignId);
    throw campaignStateConflict(command, current.status);
  }

  /** The company's campaign, or not-found (also for another company's id, so ids cannot be probed). */
  async find(companyId: string, campaignId: string): Promise<CampaignDoc> {
    const found = Types.ObjectId.isValid(campaignId) ? await this.deps.campaigns.findById(campaignId) : null;
    if (!found || String(found.companyId) !== companyId) throw AppError.notFound('campaign');
    return found;
  }

  /** Creates a draft; with `scheduledAt`, schedules it at once. */
  async create(cause: Cause, fields: Omit<NewCampaign, 'companyId'>, scheduledAt?: Date): Promise<CampaignDoc> {
    const campaign = await this.deps.campaigns.create({ ...fields, companyId: cause.companyId });
    if (!scheduledAt) return campaign;
    await this.schedule(cause, String(campaign._id), scheduledAt);
    return this.find(cause.companyId, String(campaign._id));
  }

  /** Schedules a draft (or moves a schedule); a time inside the check's window is queued at once. */
  async schedule(cause: Cause, campaignId: string, at: Date): Promise<void> {
    await this.apply(cause.companyId, campaignId, 'schedule', {
      status: 'scheduled',
      scheduledAt: at,
      correlationId: cause.correlationId,
    });
    await this.queueIfDue(campaignId, cause);
  }

  /**
   * Changes a draft or scheduled campaign (atomically: one claimed by the scheduler meanwhile is
   * refused); a new `scheduledAt` moves the schedule, or schedules a draft.
   */
  async update(cause: Cause, campaignId: string, edits: CampaignEdits, scheduledAt?: Date): Promise<void> {
    const set = Object.fromEntries(Object.entries(edits).filter(([, value]) => value !== undefined)) as CampaignChanges;
    if (Object.keys(set).length > 0) await this.apply(cause.companyId, campaignId, 'update', set);
    if (scheduledAt) await this.schedule(cause, campaignId, scheduledAt);
  }

  /** Starts now: due immediately, without waiting for the next scheduled check. */
  async start(cause: Cause, campaignId: string): Promise<void> {
    await this.apply(cause.companyId, campaignId, 'start', {
      status: 'scheduled',
      scheduledAt: new Date(this.deps.now()),
    });
    await this.queueIfDue(campaignId, cause);
  }

  /**
   * Pauses at the next send: the lane parks this campaign's shippings instead of sending them.
   * `reason` says why when Disparo paused it itself (the provider refused its template);
   * `autoPaused` marks a pause on failures.
   */
  async pause(
    cause: Cause,
    campaignId: string,
    reason?: string,
    autoPaused?: { reason: string; at: Date },
  ): Promise<void> {
    // One write: whoever sees the campaign paused also sees why.
    await this.apply(cause.companyId, campaignId, 'pause', {
      status: 'paused',
      pausedReason: reason ?? null,
      ...(autoPaused ? { autoPaused } : {}),
    });
    await this.deps.events.publish(CampaignPaused, { campaignId, ...(reason ? { reason } : {}) }, cause);
  }

  /**
   * Resumes where the campaign stopped. One not yet processed goes back to `scheduled` (and is
   * queued at once if due). A running one continues: shippings the lane parked while paused get new
   * send times after everything already planned on the number, and go back to the lane; shippings
   * that were sent are never touched, so nothing is sent twice.
   */
  async resume(cause: Cause, campaignId: string): Promise<void> {
    const current = await this.find(cause.companyId, campaignId);
    // A campaign whose send plan is fixed was processing when paused; one without had not started.
    const target: CampaignStatus = current.plan ? 'running' : 'scheduled';
    const before = await this.apply(cause.companyId, campaignId, 'resume', {
      status: target,
      pausedReason: null,
      autoPaused: null,
    });
    await this.deps.events.publish(CampaignResumed, { campaignId }, cause);
    if (target === 'scheduled') {
      await this.queueIfDue(campaignId, cause);
      return;
    }
    await this.replanParked(cause, before);
  }

  private async replanParked(cause: Cause, campaign: CampaignDoc): Promise<void> {
    const { shippings, lanes } = this.deps;
    const campaignId = String(campaign._id);
    const company = await this.deps.companies.sendingOf(String(campaign.companyId));
    if (!company) throw new PermanentError(`company ${String(campaign.companyId)} does not exist`);
    const settings = effectivePacing(company.pacing, campaign.pacing ?? undefined);
    // Limits as they are now (they may have changed while paused); drawn gaps continue the campaign's seed.
    const window = effectiveWindow(company.timezone, company.sendingWindows, campaign.sendingWindows);
    const limits: PlanLimits = { window, seed: `${campaignId}:resumed:${campaign.counters.sent}` };
    const now = this.deps.now();
    let replanned = 0;
    let plannedUntil: Date | null = null;
    // Each parked shipping goes back to its own number's lane (a campaign on several numbers parks on each).
    for (const connectionId of connectionIdsOf(campaign)) {
      const number = new Types.ObjectId(connectionId);
      const parked = await shippings.countParked(campaign._id, number);
      if (parked === 0) continue;
      await lanes.declare(connectionId);
      const initial = await lanes.reserve(connectionId, cause.companyId, settings, now, parked, limits);
      const planner = new SendPlanner(settings, now, initial, limits);
      let onThisLane = 0;
      for await (const shipping of shippings.parked(campaign._id, number)) {
        if (onThisLane >= parked) break;
        const plannedAt = new Date(planner.next());
        if (plannedUntil === null || plannedAt > plannedUntil) plannedUntil = plannedAt;
        if (await this.deps.shippingChanges.replan(shipping, plannedAt, cause)) onThisLane++;
      }
      replanned += onThisLane;
    }
    if (plannedUntil) await this.deps.campaigns.extendPlannedUntil(campaign._id, plannedUntil);
    this.deps.logger.info('campaign resumed', { campaignId, companyId: cause.companyId, replanned });
  }

  /** Cancels: nothing more is sent; shippings not yet sent are marked cancelled and counted. */
  async cancel(cause: Cause, campaignId: string): Promise<void> {
    await this.apply(cause.companyId, campaignId, 'cancel', {
      status: 'cancelled',
      completedAt: new Date(this.deps.now()),
    });
    await this.deps.shippingChanges.cancelCampaign(new Types.ObjectId(campaignId));
    await this.deps.events.publish(CampaignCancelled, { campaignId }, cause);
  }

  /**
   * Keeps the template a campaign will be sent with, as checked again against the catalogue before
   * it starts or resumes (only then: a campaign that moved on meanwhile keeps what it has); whether
   * it was stored.
   */
  async refreshTemplate(companyId: string, campaignId: string, template: CampaignTemplate): Promise<boolean> {
    const before = await this.deps.campaigns.transition(
      campaignId,
      statusesAllowing('refreshTemplate'),
      { template },
      {
        companyId,
      },
    );
    return before !== null;
  }

  /** Deletes a draft (nothing was planned or sent for it). */
  async deleteDraft(cause: Cause, campaignId: string): Promise<void> {
    await this.apply(cause.companyId, campaignId, 'delete', { status: 'cancelled' });
    await this.deps.campaigns.remove(campaignId, cause.companyId);
  }

  /**
   * Pauses every campaign of the connection that may still send; how many it paused. A campaign
   * that sends from other numbers too is not paused while one of them is connected: the contacts it
   * had left on this number move to the others (moveOffNumber).
   */
  async pauseAllOf(connectionId: string): Promise<number> {
    const campaigns = await this.deps.campaigns.ofConnection(connectionId, statusesAllowing('pause'));
    let paused = 0;
    for (const campaign of campaigns) {
      if (campaign.status === 'running' && (campaign.connectionIds?.length ?? 0) > 1) {
        if ((await this.moveOffNumber(campaign, connectionId)) !== null) continue;
      }
      const cause: Cause = newCorrelation(String(campaign.companyId));
      try {
        await this.pause(cause, String(campaign._id));
        paused++;
      } catch (error) {
        // Paused, finished or cancelled meanwhile: nothing left to stop.
        if (!(error instanceof AppError && (error.code === 'conflict' || error.code === 'not-found'))) throw error;
      }
    }
    return paused;
  }

  /**
   * A campaign on several numbers whose number `haltedId` halted (or was disconnected): its contacts
   * not yet sent there (queued or parked) move to the campaign's other numbers still connected,
   * re-planned onto their lanes as a new campaign's would be (split by what each may still send under
   * its cap, reserved on each lane, dealt in send order). Each shipping moves by compare-and-set from
   * the halted number, so two workers halting it at once move each contact once. Returns how many
   * moved, or null when no other number can take them (the caller pauses the campaign then).
   */
  async moveOffNumber(campaign: CampaignOnNumbers, haltedId: string): Promise<number | null> {
    const targets = await this.deps.numbers.connected(connectionIdsOf(campaign).filter((id) => id !== haltedId));
    if (targets.length === 0) return null;
    const halted = new Types.ObjectId(haltedId);
    const left = await this.deps.shippings.unsentOn(campaign._id, halted);
    if (left.length === 0) return 0;
    const companyId = String(campaign.companyId);
    const company = await this.deps.companies.sendingOf(companyId);
    if (!company) throw new PermanentError(`company ${companyId} does not exist`);
    const settings = effectivePacing(company.pacing, campaign.pacing ?? undefined);
    const window = effectiveWindow(company.timezone, company.sendingWindows, campaign.sendingWindows);
    const now = this.deps.now();
    const seed = `${String(campaign._id)}:moved:${haltedId}`;
    // Declared before shippings move there (their hand-off does not declare a missing lane).
    await Promise.all(targets.map((connectionId) => this.deps.lanes.declare(connectionId)));
    const lanes = await planLanes(this.deps, {
      numbers: await numbersToPlan(this.deps, targets, now),
      companyId,
      settings,
      startAt: now,
      count: left.length,
      window,
      seed,
    });
    const plan = { window, lanes };
    const planners = lanes.map((lane, i) => new SendPlanner(settings, now, lane.initial, planLimits(plan, seed, i)));
    const dealer = new LaneDealer(lanes.map((lane) => lane.count));
    const cause = newCorrelation(companyId);
    let moved = 0;
    let plannedUntil = 0;
    for (const shipping of left) {
      const lane = dealer.next();
      const plannedAt = planners[lane]!.next();
      plannedUntil = Math.max(plannedUntil, plannedAt);
      const to = new Types.ObjectId(lanes[lane]!.connectionId);
      if (await this.deps.shippingChanges.reassign(shipping, halted, to, new Date(plannedAt), cause)) moved++;
    }
    if (moved > 0) await this.deps.campaigns.extendPlannedUntil(campaign._id, new Date(plannedUntil));
    this.deps.logger.warn(
      'a number of the campaign halted; its remaining contacts moved to the campaign’s other numbers',
      {
        campaignId: String(campaign._id),
        connectionId: haltedId,
        moved,
        to: targets,
      },
    );
    return moved;
  }

  /**
   * Claims one scheduled campaign due within the window (scheduled → queued, atomically: with any
   * number of scheduler instances exactly one wins) and sends its CampaignDue to arrive at the
   * scheduled time through the delay levels. If sending fails the claim is given back.
   */
  async queueIfDue(campaignId: string, cause?: Cause): Promise<boolean> {
    const now = this.deps.now();
    const claimed = await this.deps.campaigns.transition(
      campaignId,
      statusesAllowing('queue'),
      { status: 'queued', queuedAt: new Date(now) },
      { scheduledBy: new Date(now + DUE_WINDOW_MS) },
    );
    if (!claimed?.scheduledAt) return false;
    const scheduledAt = claimed.scheduledAt;
    const origin = cause ?? newCorrelation(String(claimed.companyId), claimed.correlationId ?? undefined);
    try {
      await this.deps.commands.sendDue({ campaignId, scheduledAt }, origin, now);
    } catch (error) {
      await this.deps.campaigns.transition(campaignId, statusesAllowing('unqueue'), {
        status: 'scheduled',
        queuedAt: null,
      });
      throw error;
    }
    await this.deps.events.publish(CampaignScheduled, { campaignId, scheduledAt: scheduledAt.toISOString() }, origin);
    this.deps.logger.info('campaign queued', {
      campaignId,
      companyId: origin.companyId,
      correlationId: origin.correlationId,
      scheduledAt,
    });
    return true;
  }

  /**
   * The periodic check (node-cron, every 20 s by default): queues every campaign due within the
   * window, and re-sends CampaignDue for one claimed long ago that never started (its instance
   * crashed between the claim and the send). Processing is idempotent, so a re-send is harmless.
   */
  async checkScheduled(): Promise<{ queued: number; resent: number }> {
    const now = this.deps.now();
    const due = await this.deps.campaigns.scheduledBy(new Date(now + DUE_WINDOW_MS), 1_000);
    let queued = 0;
    for (const campaignId of due) if (await this.queueIfDue(campaignId)) queued++;

    const stuck = await this.deps.campaigns.stuckQueued(new Date(now - STUCK_AFTER_MS), 100);
    let resent = 0;
    for (const campaign of stuck) {
      const campaignId = String(campaign._id);
      const touched = await this.deps.campaigns.transition(
        campaignId,
        statusesAllowing('resend'),
        { queuedAt: new Date(now) },
        { queuedAt: campaign.queuedAt },
      );
      if (!touched || !campaign.scheduledAt) continue;
      const cause = newCorrelation(String(campaign.companyId), campaign.correlationId ?? undefined);
      await this.deps.commands.sendDue({ campaignId, scheduledAt: campaign.scheduledAt }, cause, now);
      this.deps.logger.warn('re-sent CampaignDue of a campaign stuck in queued', {
        campaignId,
        companyId: cause.companyId,
      });
      resent++;
    }
    return { queued, resent };
  }

  /**
   * Processes a due campaign (CampaignDue, at its scheduled time): queued → running, fixes the send
   * plan once (slots reserved on the number's lane), streams the audience into prepare batches
   * (never the whole list in memory) and marks processing done. With `prepareFirst`, the first
   * batch is prepared by the caller's process instead of going through contact-prepare's queue.
   * Processing again after a crash re-plans the same times and creates no second shipping (shippings
   * are inserted against a unique index). False when the campaign is not to be processed (paused,
   * cancelled, finished).
   */
  async process(
    campaignId: string,
    cause: Cause,
    logger: Logger = this.deps.logger,
    prepareFirst?: (campaign: CampaignDoc, batch: PrepareBatch) => Promise<void>,
  ): Promise<boolean> {
    const campaign = await this.run(campaignId);
    if (!campaign) {
      logger.info('campaign not due any more (paused, cancelled or finished); nothing to process');
      return false;
    }
    // Read while the plan is fixed: the first send waits for every sequential step before it.
    const suppressedPhones = this.deps.suppressions.phonesOf(campaign.companyId);
    suppressedPhones.catch(() => undefined); // awaited below; a failure fixing the plan must not leave it unhandled
    const members = readingAhead(this.deps.audience.eligible(campaign.companyId, campaign.listId));
    let plan: CampaignPlan;
    let outcome: Awaited<ReturnType<typeof planAudience>>;
    try {
      plan = campaign.plan ?? (await this.fixPlan(campaign));
      outcome = await planAudience(this.deps, campaign, plan, cause, {
        suppressedPhones,
        members,
        ...(prepareFirst ? { prepareFirst: (batch: PrepareBatch) => prepareFirst(campaign, batch) } : {}),
      });
    } finally {
      await members.close();
    }
    const { planned, suppressed, first, last } = outcome;
    const skipped = await this.deps.audience.countSkipped(campaign.companyId, campaign.listId);
    // Counted once: members removed between the count and the stream never get a shipping.
    await this.deps.campaigns.finishProcessing(campaign._id, {
      skipped,
      suppressed,
      missing: plan.audience - planned - suppressed,
      plannedUntil: last === null ? null : new Date(last),
    });
    await this.deps.events.publish(
      CampaignStarted,
      {
        campaignId,
        connectionId: String(campaign.connectionId),
        audience: planned,
        firstSendAt: first === null ? null : new Date(first).toISOString(),
        lastSendAt: last === null ? null : new Date(last).toISOString(),
      },
      cause,
    );
    logger.info('campaign processed', { audience: planned, skipped });
    await this.completeIfDone(campaignId, cause);
    return true;
  }

  /** queued → running (or still running: a redelivery); null when the campaign is not to be processed. */
  private async run(campaignId: string): Promise<CampaignDoc | null> {
    const now = new Date(this.deps.now());
    const before = await this.deps.campaigns.transition(campaignId, statusesAllowing('run'), {
      status: 'running',
      startedAt: now,
    });
    if (before) return { ...before, status: 'running', startedAt: now };
    const current = await this.deps.campaigns.findById(campaignId);
    if (!current) throw new PermanentError(`campaign ${campaignId} does not exist`);
    return current.status === 'running' ? current : null;
  }

  /**
   * Fixes the send plan and stores it (first writer wins): the audience is split over the campaign's
   * numbers still connected by what each may still send under its cap (splitAudience), and each
   * number's share gets its stretch of time reserved on its lane, its cap as it is now included.
   */
  private async fixPlan(campaign: CampaignDoc): Promise<CampaignPlan> {
    const companyId = String(campaign.companyId);
    const named = connectionIdsOf(campaign);
    // From the scheduled time on: CampaignDue arrives a little before it (DUE_LEAD_MS), so the
    // first shippings wait in their lanes for the time rather than being prepared after it.
    const startAt = Math.max(this.deps.now(), campaign.scheduledAt?.getTime() ?? 0);
    // Independent reads, at once (each named number's cap too, whether or not it turns out
    // connected): the campaign's first send waits for them. The lanes are not declared here: they
    // exist since their connection was created, and a batch's hand-off declares a missing one.
    const [company, audience, usable, numbers] = await Promise.all([
      this.deps.companies.sendingOf(companyId),
      this.deps.audience.countEligible(campaign.companyId, campaign.listId),
      this.deps.numbers.connected(named),
      numbersToPlan(this.deps, named, startAt),
    ]);
    if (!company) throw new PermanentError(`company ${companyId} does not exist`);
    const settings = effectivePacing(company.pacing, campaign.pacing ?? undefined);
    const window = effectiveWindow(company.timezone, company.sendingWindows, campaign.sendingWindows);
    // None connected: all of them (dispatch then pauses the campaign).
    const sending = usable.length > 0 ? usable : named;
    const lanes = await planLanes(this.deps, {
      numbers: numbers.filter((number) => sending.includes(number.connectionId)),
      companyId,
      settings,
      startAt,
      count: audience,
      window,
      seed: String(campaign._id),
    });
    return this.deps.campaigns.storePlan(campaign._id, {
      startAt,
      initial: lanes[0]!.initial,
      settings,
      audience,
      window,
      lanes,
    });
  }

  /**
   * Counts a prepared batch of shippings once (a redelivered batch counts nothing more), the ones
   * that failed at preparation (`failed`, an empty template parameter) among them; the caller then
   * checks completion (after announcing the batch).
   */
  async countPreparedBatch(
    campaignId: string,
    batch: number,
    counts: { prepared: number; missing: number; failed?: number },
  ) {
    return this.deps.campaigns.countPreparedBatch(
      new Types.ObjectId(campaignId),
      batch,
      counts.prepared,
      counts.missing,
      counts.failed ?? 0,
    );
  }

  /**
   * Completes a running campaign once nothing is left in flight; called after every step that can
   * be the last (a send, a prepared batch, the end of processing). The status change is atomic, so
   * exactly one caller publishes CampaignCompleted.
   */
  async completeIfDone(campaignId: string, cause: Cause): Promise<boolean> {
    const campaign = Types.ObjectId.isValid(campaignId) ? await this.deps.campaigns.completionState(campaignId) : null;
    if (campaign?.status !== 'running' || !isCampaignDone(campaign.processingDone, campaign.counters)) return false;
    // The counters are kept beside the shippings, not with them: a counter moved twice (or a
    // recount gone wrong) must not end a campaign whose sends are still in flight.
    if (await this.deps.shippings.hasUnfinished(new Types.ObjectId(campaignId))) return false;
    const completed = await this.deps.campaigns.transition(campaignId, statusesAllowing('complete'), {
      status: 'completed',
      completedAt: new Date(this.deps.now()),
    });
    if (!completed) return false;
    const { sent, failed, cancelled, skipped } = completed.counters;
    await this.deps.events.publish(
      CampaignCompleted,
      { campaignId, counters: { sent, failed, cancelled, skipped } },
      cause,
    );
    this.deps.logger.info('campaign completed', {
      campaignId,
      companyId: cause.companyId,
      sent,
      failed,
      cancelled,
      skipped,
    });
    return true;
  }

  /**
   * Counters are updated right after each shipping changes, not atomically with it (no transactions
   * on every MongoDB-wire server), so a crash in between leaves a counter one short and the
   * campaign would never look done. The periodic check recounts running campaigns that have been
   * quiet for a while from their shippings, then completes them if they are done.
   *
   * A recount must never count a change that is still on its way to its counter: a shipping already
   * `sent` whose `$inc` lands after the recount's `$set` would be counted twice (seen on a slow
   * database: 444 sent of 400). So, in this order:
   * 1. the counters are read (with the quiet campaigns);
   * 2. the shippings are counted by status;
   * 3. the campaign is left alone while a change of the quiet period may not be counted yet (an
   *    outbox or a count-pending mark younger than `quietForMs`; older ones are a crash's, whose
   *    count never comes: counting them is the recount's purpose);
   * 4. the recount is set only if the counters are still those of step 1.
   * A change whose status step 2 missed is counted by its own `$inc`, before step 4 (which then
   * writes nothing) or after it (on top of a recount without it).
   */
  async recountQuiet(quietForMs: number): Promise<number> {
    const since = new Date(this.deps.now() - quietForMs);
    const quiet = await this.deps.campaigns.quietRunning(since, 50);
    let completed = 0;
    for (const campaign of quiet) {
      const byStatus = await this.deps.shippings.countByStatus(campaign._id);
      if (await this.deps.shippings.hasUncountedSince(campaign._id, since)) continue;
      const count = (status: string) => byStatus[status] ?? 0;
      const recounted = {
        prepared: Object.values(byStatus).reduce((sum, n) => sum + n, 0),
        sent: count('sent'),
        failed: count('failed'),
        cancelled: count('cancelled'),
      };
      const { prepared, sent, failed, cancelled } = campaign.counters;
      const before = { prepared, sent, failed, cancelled };
      const changed = (Object.keys(recounted) as Array<keyof typeof recounted>).some(
        (key) => recounted[key] !== before[key],
      );
      const set = await this.deps.campaigns.setCounters(campaign._id, recounted, new Date(this.deps.now()), before);
      if (set && changed)
        this.deps.logger.warn('campaign counters recounted from its shippings', {
          campaignId: String(campaign._id),
          companyId: String(campaign.companyId),
          before,
          after: recounted,
        });
      if (await this.completeIfDone(String(campaign._id), newCorrelation(String(campaign.companyId)))) completed++;
    }
    return completed;
  }
}
