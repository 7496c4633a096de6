import type { Cause } from '../../domain/events/envelope';
import { type PlanLimits, SendPlanner } from '../../domain/pacing/send-planner';
import type { CampaignDoc, CampaignPlan } from '../../infrastructure/mongo/models/campaign';
import type { CampaignAudience, CampaignCommands, PrepareBatch, SuppressedPhones } from './campaign-repository';

export const PREPARE_BATCH_SIZE = 500;
const PREPARE_BATCH_BYTES = 128 * 1024;
/** Prepare batches published at once while streaming the audience. */
const BATCHES_IN_FLIGHT = 8;

/** What a plan honours beside pacing: its windows, and its campaign id as the seed of drawn gaps. */
export function planLimits(plan: Pick<CampaignPlan, 'window'>, campaignId: string): PlanLimits {
  return { window: plan.window ?? null, seed: campaignId };
}

/**
 * Streams a campaign's audience in a stable order, plans each member's send time from the fixed
 * plan and sends the planned contacts to contact-prepare in batches (cut by count and by size).
 * The same plan streamed again plans the same times.
 */
export async function planAudience(
  deps: { audience: CampaignAudience; commands: CampaignCommands; suppressions: SuppressedPhones },
  campaign: Pick<CampaignDoc, '_id' | 'companyId' | 'listId'>,
  plan: CampaignPlan,
  cause: Cause,
): Promise<{ planned: number; suppressed: number; first: number | null; last: number | null }> {
  // Phones on the company's suppression list are not planned (dispatch also checks before each send).
  const suppressedPhones = await deps.suppressions.phonesOf(campaign.companyId);
  let suppressed = 0;
  const planner = new SendPlanner(plan.settings, plan.startAt, plan.initial, planLimits(plan, String(campaign._id)));
  const inFlight = new Set<Promise<void>>();
  const campaignId = String(campaign._id);
  let items: PrepareBatch['items'] = [];
  let batchBytes = 0;
  let batch = 0;
  let planned = 0;
  let first: number | null = null;
  let last: number | null = null;
  const flush = async () => {
    const work = deps.commands.sendPrepare({ campaignId, batch: batch++, items }, cause);
    items = [];
    batchBytes = 0;
    const tracked = work.finally(() => inFlight.delete(tracked));
    inFlight.add(tracked);
    if (inFlight.size >= BATCHES_IN_FLIGHT) await Promise.race(inFlight);
  };
  for await (const contact of deps.audience.eligible(campaign.companyId, campaign.listId)) {
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
