import type { Types } from 'mongoose';
import { publishEvent } from '../../../publishers/domain-event';
import { type PlannedContact, sendPrepareContacts } from '../../../publishers/prepare-contacts';
import { PermanentError } from '../../domain/errors';
import { type CampaignDue, CampaignStarted } from '../../domain/events/campaign-messages';
import { type Cause, causedBy, type MessageOf } from '../../domain/events/envelope';
import { effectivePacing } from '../../domain/pacing/pacing-settings';
import { type PlanLimits, SendPlanner } from '../../domain/pacing/send-planner';
import { effectiveWindow } from '../../domain/pacing/sending-window';
import { updateIfMatches } from '../../infrastructure/mongo/conditional-update';
import type { CampaignDoc, CampaignPlan } from '../../infrastructure/mongo/models/campaign';
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

/** Reserves the campaign's stretch of time on its number and stores the plan (first writer wins). */
async function fixPlan(deps: PipelineDeps, campaign: CampaignDoc): Promise<CampaignPlan> {
  const { Campaign, Company, Contact } = deps.models;
  const company = await Company.findById(campaign.companyId).lean();
  if (!company) throw new PermanentError(`company ${String(campaign.companyId)} does not exist`);
  const connectionId = String(campaign.connectionId);
  await declareLane(deps, connectionId);
  const settings = effectivePacing(company.pacing, campaign.pacing ?? undefined);
  const audience = await Contact.countDocuments(eligibleMembers(campaign.companyId, campaign.listId));
  const startAt = deps.now();
  const window = effectiveWindow(company.timezone, company.sendingWindows, campaign.sendingWindows);
  const limits = planLimits({ window }, String(campaign._id));
  const companyId = String(campaign.companyId);
  const initial = await deps.lanes.reserve(connectionId, companyId, settings, startAt, audience, limits);
  const plan: CampaignPlan = { startAt, initial, settings, audience, window };
  const stored = await Campaign.findOneAndUpdate(
    { _id: campaign._id, plan: null },
    { $set: { plan, 'counters.audience': audience } },
    { returnDocument: 'after' },
  ).lean();
  if (stored?.plan) return stored.plan;
  const winner = await Campaign.findById(campaign._id, { plan: 1 }).lean();
  return winner!.plan!;
}

/** What a plan honours beside pacing: its windows, and its campaign id as the seed of drawn gaps. */
export function planLimits(plan: Pick<CampaignPlan, 'window'>, campaignId: string): PlanLimits {
  return { window: plan.window ?? null, seed: campaignId };
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
  const planner = new SendPlanner(plan.settings, plan.startAt, plan.initial, planLimits(plan, String(campaign._id)));
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
    const plannedAt = planner.next();
    first ??= plannedAt;
    last = plannedAt;
    items.push({
      contactId: String(contact._id),
      plannedAt,
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
