import type { Types } from 'mongoose';
import { publishEvent } from '../../../publishers/domain-event';
import { type PlannedContact, sendPrepareContacts } from '../../../publishers/prepare-contacts';
import { PermanentError } from '../../domain/errors';
import { type CampaignDue, CampaignStarted } from '../../domain/events/campaign-messages';
import { type Cause, causedBy, type MessageOf } from '../../domain/events/envelope';
import { capAt, DAY_MS } from '../../domain/pacing/daily-cap';
import { LaneDealer, splitAudience } from '../../domain/pacing/lane-split';
import { IDLE_LANE } from '../../domain/pacing/pacing-rule';
import { effectivePacing } from '../../domain/pacing/pacing-settings';
import { type PlanLimits, SendPlanner } from '../../domain/pacing/send-planner';
import { effectiveWindow } from '../../domain/pacing/sending-window';
import { updateIfMatches } from '../../infrastructure/mongo/conditional-update';
import {
  type CampaignDoc,
  type CampaignPlan,
  connectionIdsOf,
  type PlannedLane,
} from '../../infrastructure/mongo/models/campaign';
import { RecipientCaps } from '../../infrastructure/mongo/recipient-caps';
import type { Logger } from '../../infrastructure/observability/logger';
import { completeIfDone } from '../campaign-completion';
import { declareLane, type PipelineDeps } from '../pipeline-deps';
import { suppressedPhonesOf } from '../suppression/suppression-list';

type Due = MessageOf<typeof CampaignDue>;

export const PREPARE_BATCH_SIZE = 500;
const PREPARE_BATCH_BYTES = 128 * 1024;
/** Prepare batches published at once while streaming the audience. */
const BATCHES_IN_FLIGHT = 8;

/** Members a campaign sends to: valid numbers not known to be off WhatsApp. */
export function eligibleMembers(companyId: Types.ObjectId, listId: Types.ObjectId) {
  return { companyId, listIds: listId, valid: true, onWhatsApp: { $ne: false } };
}

/**
 * Processes a due campaign (CampaignDue, at its scheduled time). Expands a campaign into
 * prepare batches: fixes the send plan once (slots reserved on the number's lane), streams the
 * audience with a cursor (never the whole list in memory), plans each contact's send time and
 * emits batches to contact-prepare. Processing again after a crash re-plans the same times and
 * creates no second shipping (contact-prepare inserts against a unique index).
 */
export async function processCampaign(deps: PipelineDeps, message: Due, logger: Logger): Promise<void> {
  const cause = causedBy(message);
  const campaign = await startProcessing(deps, message.payload.campaignId);
  if (!campaign) {
    logger.info('campaign not due any more (paused, cancelled or finished); nothing to process');
    return;
  }
  const plan = campaign.plan ?? (await fixPlan(deps, campaign));
  const { planned, suppressed, first, last } = await streamAudience(deps, campaign, plan, cause);
  const skipped = await deps.models.Contact.countDocuments({
    companyId: campaign.companyId,
    listIds: campaign.listId,
    $or: [{ valid: false }, { onWhatsApp: false }],
  });
  // Counted once: members removed between the count and the stream never get a shipping.
  await updateIfMatches(
    deps.models.Campaign,
    { _id: campaign._id, processingDone: false },
    {
      $set: {
        processingDone: true,
        'counters.skipped': skipped,
        'counters.suppressed': suppressed,
        plannedUntil: last === null ? null : new Date(last),
      },
      $inc: { 'counters.missing': plan.audience - planned - suppressed },
    },
  );
  await publishEvent(
    deps.publisher,
    CampaignStarted,
    {
      campaignId: String(campaign._id),
      connectionId: String(campaign.connectionId),
      audience: planned,
      firstSendAt: first === null ? null : new Date(first).toISOString(),
      lastSendAt: last === null ? null : new Date(last).toISOString(),
    },
    cause,
  );
  logger.info('campaign processed', { audience: planned, skipped });
  await completeIfDone(deps, String(campaign._id), cause);
}

/** queued → running (or still running: a redelivery); null when the campaign is not to be processed. */
async function startProcessing(deps: PipelineDeps, campaignId: string): Promise<CampaignDoc | null> {
  const { Campaign } = deps.models;
  const started = await Campaign.findOneAndUpdate(
    { _id: campaignId, status: 'queued' },
    { $set: { status: 'running', startedAt: new Date(deps.now()) } },
    { returnDocument: 'after' },
  ).lean();
  if (started) return started as CampaignDoc;
  const current = await Campaign.findById(campaignId).lean();
  if (!current) throw new PermanentError(`campaign ${campaignId} does not exist`);
  return current.status === 'running' ? (current as CampaignDoc) : null;
}

/**
 * Fixes the send plan and stores it (first writer wins): the audience is split over the campaign's
 * numbers by what each may still send under its cap (splitAudience), and each number's share gets
 * its stretch of time reserved on its lane, its cap as it is now included.
 */
async function fixPlan(deps: PipelineDeps, campaign: CampaignDoc): Promise<CampaignPlan> {
  const { Campaign, Company, Contact } = deps.models;
  const company = await Company.findById(campaign.companyId).lean();
  if (!company) throw new PermanentError(`company ${String(campaign.companyId)} does not exist`);
  const settings = effectivePacing(company.pacing, campaign.pacing ?? undefined);
  const audience = await Contact.countDocuments(eligibleMembers(campaign.companyId, campaign.listId));
  const startAt = deps.now();
  const window = effectiveWindow(company.timezone, company.sendingWindows, campaign.sendingWindows);
  const ids = await usableConnections(deps, connectionIdsOf(campaign));
  const lanes = await planLanes(deps, {
    connectionIds: ids,
    companyId: String(campaign.companyId),
    settings,
    startAt,
    count: audience,
    window,
    seed: String(campaign._id),
  });
  const plan: CampaignPlan = { startAt, initial: lanes[0]!.initial, settings, audience, window, lanes };
  const stored = await Campaign.findOneAndUpdate(
    { _id: campaign._id, plan: null },
    { $set: { plan, 'counters.audience': audience } },
    { returnDocument: 'after' },
  ).lean();
  if (stored?.plan) return stored.plan;
  const winner = await Campaign.findById(campaign._id, { plan: 1 }).lean();
  return winner!.plan!;
}

/** The named numbers still connected (all of them if none is: dispatch then pauses the campaign). */
export async function usableConnections(deps: PipelineDeps, ids: string[]): Promise<string[]> {
  const found = await Promise.all(ids.map((id) => deps.models.Connection.findById(id, { status: 1 }).lean()));
  const usable = ids.filter((_, i) => (found[i]?.status ?? 'connected') === 'connected');
  return usable.length > 0 ? usable : ids;
}

/**
 * Splits `count` sends over the numbers by their room under their caps and reserves each share on
 * its lane (windows, pacing and the number's cap planned together): each lane's part of a plan.
 */
export async function planLanes(
  deps: PipelineDeps,
  what: {
    connectionIds: string[];
    companyId: string;
    settings: CampaignPlan['settings'];
    startAt: number;
    count: number;
    window: CampaignPlan['window'];
    seed: string;
  },
): Promise<PlannedLane[]> {
  const caps = new RecipientCaps(deps.models);
  const numbers = await Promise.all(
    what.connectionIds.map(async (connectionId) => {
      const connection = await deps.models.Connection.findById(connectionId, { dailyCap: 1, createdAt: 1 }).lean();
      const settings = connection?.dailyCap ?? null;
      if (!connection || !settings) return { connectionId, cap: null };
      const recent = (await caps.recent(`connection:${connectionId}`))
        .map((entry) => entry.at)
        .filter((at) => at > what.startAt - DAY_MS)
        .sort((a, b) => a - b);
      return { connectionId, cap: { settings, since: connection.createdAt.getTime(), recent } };
    }),
  );
  const limitNow = (cap: PlannedLane['cap']) => (cap ? capAt(cap.settings, cap.since, what.startAt) : null);
  const counts = splitAudience(
    what.count,
    numbers.map(({ cap }) => {
      const limit = limitNow(cap);
      return limit === null ? null : Math.max(0, limit - cap!.recent.length);
    }),
    numbers.map(({ cap }) => limitNow(cap)),
  );
  const lanes: PlannedLane[] = [];
  for (const [i, { connectionId, cap }] of numbers.entries()) {
    await declareLane(deps, connectionId);
    const limits = planLimits(
      { window: what.window, lanes: [{ connectionId, cap, count: 0, initial: IDLE_LANE }] },
      what.seed,
      0,
    );
    const initial = await deps.lanes.reserve(
      connectionId,
      what.companyId,
      what.settings,
      what.startAt,
      counts[i]!,
      limits,
    );
    lanes.push({ connectionId, initial, count: counts[i]!, cap });
  }
  return lanes;
}

/**
 * What a lane's part of a plan honours beside pacing: its windows, the number's cap as planned, and
 * the campaign id (and the lane, past the first) as the seed of drawn gaps.
 */
export function planLimits(plan: Pick<CampaignPlan, 'window' | 'lanes'>, campaignId: string, lane = 0): PlanLimits {
  const cap = plan.lanes?.[lane]?.cap;
  return {
    window: plan.window ?? null,
    cap: cap ? { cap: (at) => capAt(cap.settings, cap.since, at), recent: cap.recent } : null,
    seed: lane === 0 ? campaignId : `${campaignId}:${lane}`,
  };
}

/** Each lane's part of a plan (a plan fixed before several numbers: its one lane). */
export function lanesOf(plan: CampaignPlan, campaign: Pick<CampaignDoc, 'connectionId'>): PlannedLane[] {
  return plan.lanes && plan.lanes.length > 0
    ? plan.lanes
    : [{ connectionId: String(campaign.connectionId), initial: plan.initial, count: plan.audience }];
}

async function streamAudience(
  deps: PipelineDeps,
  campaign: CampaignDoc,
  plan: CampaignPlan,
  cause: Cause,
): Promise<{ planned: number; suppressed: number; first: number | null; last: number | null }> {
  // Phones on the company's suppression list are not planned (dispatch also checks before each send).
  const suppressedPhones = await suppressedPhonesOf(deps.models, campaign.companyId);
  let suppressed = 0;
  const lanes = lanesOf(plan, campaign);
  const planners = lanes.map(
    (lane, i) => new SendPlanner(plan.settings, plan.startAt, lane.initial, planLimits(plan, String(campaign._id), i)),
  );
  // Contacts are dealt to the lanes in the cursor's order: processing again deals the same.
  const dealer = new LaneDealer(lanes.map((lane) => lane.count));
  const cursor = deps.models.Contact.find(eligibleMembers(campaign.companyId, campaign.listId), {
    _id: 1,
    phone: 1,
    name: 1,
    fields: 1,
  })
    .sort({ _id: 1 })
    .lean()
    .cursor({ batchSize: 1_000 });
  const inFlight = new Set<Promise<void>>();
  const campaignId = String(campaign._id);
  let items: PlannedContact[] = [];
  let batchBytes = 0;
  let batch = 0;
  let planned = 0;
  let first: number | null = null;
  let last: number | null = null;
  const flush = async () => {
    const work = sendPrepareContacts(
      deps.publisher,
      deps.queues.contactPrepare,
      { campaignId, batch: batch++, items },
      cause,
    );
    items = [];
    batchBytes = 0;
    const tracked = work.finally(() => inFlight.delete(tracked));
    inFlight.add(tracked);
    if (inFlight.size >= BATCHES_IN_FLIGHT) await Promise.race(inFlight);
  };
  for await (const contact of cursor) {
    // The audience was counted when the plan was fixed; members added since wait for a next campaign.
    if (planned + suppressed >= plan.audience) break;
    if (suppressedPhones.has(contact.phone)) {
      suppressed++;
      continue;
    }
    const lane = lanes.length === 1 ? 0 : dealer.next();
    const plannedAt = planners[lane]!.next();
    first = first === null ? plannedAt : Math.min(first, plannedAt);
    last = last === null ? plannedAt : Math.max(last, plannedAt);
    items.push({
      contactId: String(contact._id),
      plannedAt,
      ...(lanes.length > 1 ? { connectionId: lanes[lane]!.connectionId } : {}),
      contact: { phone: contact.phone, name: contact.name ?? null, fields: contact.fields ?? {} },
    });
    batchBytes +=
      contact.phone.length + (contact.name?.length ?? 0) + JSON.stringify(contact.fields ?? {}).length + 120;
    planned++;
    // Custom fields can be large: a batch is also cut by size, well below MAX_MESSAGE_BYTES.
    if (items.length === PREPARE_BATCH_SIZE || batchBytes >= PREPARE_BATCH_BYTES) await flush();
  }
  if (items.length > 0) await flush();
  await Promise.all(inFlight);
  return { planned, suppressed, first, last };
}
