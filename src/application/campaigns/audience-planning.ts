import type { Cause } from '../../domain/events/envelope';
import { capAt } from '../../domain/pacing/daily-cap';
import { LaneDealer, splitAudience } from '../../domain/pacing/lane-split';
import { IDLE_LANE } from '../../domain/pacing/pacing-rule';
import { type PlanLimits, SendPlanner } from '../../domain/pacing/send-planner';
import type { CampaignDoc, CampaignPlan, PlannedLane } from '../../infrastructure/mongo/models/campaign';
import type {
  AudienceMember,
  CampaignAudience,
  CampaignCommands,
  LaneReservations,
  PrepareBatch,
  SendingNumbers,
  SuppressedPhones,
} from './campaign-repository';

export const PREPARE_BATCH_SIZE = 500;
const PREPARE_BATCH_BYTES = 128 * 1024;
/** Prepare batches published at once while streaming the audience. */
const BATCHES_IN_FLIGHT = 8;

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

/** A number a plan may send from, with its daily cap as planned (null: none). */
export interface NumberToPlan {
  connectionId: string;
  cap: PlannedLane['cap'];
}

/** Each number's daily cap as planned from `at`, read at once. */
export async function numbersToPlan(
  deps: { numbers: SendingNumbers },
  connectionIds: string[],
  at: number,
): Promise<NumberToPlan[]> {
  const caps = await Promise.all(connectionIds.map((connectionId) => deps.numbers.capOf(connectionId, at)));
  return connectionIds.map((connectionId, i) => ({ connectionId, cap: caps[i]! }));
}

/**
 * Splits `count` sends over the numbers (read by numbersToPlan from `startAt`) by their room under
 * their caps (splitAudience) and reserves each share on its lane (windows, pacing and the number's
 * cap planned together): each lane's part of a plan.
 */
export async function planLanes(
  deps: { lanes: LaneReservations },
  what: {
    numbers: NumberToPlan[];
    companyId: string;
    settings: CampaignPlan['settings'];
    startAt: number;
    count: number;
    window: CampaignPlan['window'];
    seed: string;
  },
): Promise<PlannedLane[]> {
  const numbers = what.numbers;
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
 * Streams a campaign's audience in a stable order, plans each member's send time from the fixed
 * plan and sends the planned contacts to contact-prepare in batches (cut by count and by size); the
 * first batch is prepared by `prepareFirst` instead when given (campaign-process itself: no queue
 * hop before the first sends). The same plan streamed again plans the same times.
 */
export async function planAudience(
  deps: { audience: CampaignAudience; commands: CampaignCommands; suppressions: SuppressedPhones },
  campaign: Pick<CampaignDoc, '_id' | 'companyId' | 'listId' | 'connectionId'>,
  plan: CampaignPlan,
  cause: Cause,
  read: {
    /** The company's suppressed phones when the caller already asked for them (read alongside the plan). */
    suppressedPhones?: Promise<Set<string>>;
    /** The audience stream when the caller already started it (its first page read alongside the plan). */
    members?: AsyncIterable<AudienceMember>;
    prepareFirst?: (batch: PrepareBatch) => Promise<void>;
  } = {},
): Promise<{ planned: number; suppressed: number; first: number | null; last: number | null }> {
  // Phones on the company's suppression list are not planned (dispatch also checks before each send).
  const suppressedPhones = await (read.suppressedPhones ?? deps.suppressions.phonesOf(campaign.companyId));
  let suppressed = 0;
  const lanes = lanesOf(plan, campaign);
  const planners = lanes.map(
    (lane, i) => new SendPlanner(plan.settings, plan.startAt, lane.initial, planLimits(plan, String(campaign._id), i)),
  );
  // Contacts are dealt to the lanes in the stream's order: processing again deals the same.
  const dealer = new LaneDealer(lanes.map((lane) => lane.count));
  const inFlight = new Set<Promise<void>>();
  const campaignId = String(campaign._id);
  let items: PrepareBatch['items'] = [];
  let batchBytes = 0;
  let batch = 0;
  let planned = 0;
  let first: number | null = null;
  let last: number | null = null;
  const flush = async () => {
    const next = { campaignId, batch: batch++, items };
    const work =
      next.batch === 0 && read.prepareFirst ? read.prepareFirst(next) : deps.commands.sendPrepare(next, cause);
    items = [];
    batchBytes = 0;
    const tracked = work.finally(() => inFlight.delete(tracked));
    inFlight.add(tracked);
    if (inFlight.size >= BATCHES_IN_FLIGHT) await Promise.race(inFlight);
  };
  for await (const contact of read.members ?? deps.audience.eligible(campaign.companyId, campaign.listId)) {
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
