import { Types } from 'mongoose';
import { newCorrelation } from '../../domain/events/envelope';
import { LaneDealer } from '../../domain/pacing/lane-split';
import { effectivePacing } from '../../domain/pacing/pacing-settings';
import { SendPlanner } from '../../domain/pacing/send-planner';
import { effectiveWindow } from '../../domain/pacing/sending-window';
import { type CampaignDoc, connectionIdsOf } from '../../infrastructure/mongo/models/campaign';
import type { PipelineDeps } from '../pipeline-deps';
import { shippingsOf } from '../service-registry';
import { planLanes, planLimits } from './campaign-processing';

/**
 * A campaign on several numbers whose number `haltedId` halted (or was disconnected): its contacts
 * not yet sent there (queued or parked) move to the campaign's other numbers still connected,
 * re-planned onto their lanes as a new campaign's would be (split by what each may still send under
 * its cap, reserved on each lane, dealt in send order). Each shipping moves by compare-and-set from
 * the halted number, so two workers halting it at once move each contact once. Returns how many
 * moved, or null when no other number can take them (the caller pauses the campaign then).
 */
export async function moveOffConnection(
  deps: PipelineDeps,
  campaign: Pick<CampaignDoc, '_id' | 'companyId' | 'connectionId' | 'connectionIds' | 'pacing' | 'sendingWindows'>,
  haltedId: string,
): Promise<number | null> {
  const others = connectionIdsOf(campaign).filter((id) => id !== haltedId);
  const statuses = await Promise.all(others.map((id) => deps.models.Connection.findById(id, { status: 1 }).lean()));
  const targets = others.filter((_, i) => (statuses[i]?.status ?? 'connected') === 'connected');
  if (targets.length === 0) return null;
  const halted = new Types.ObjectId(haltedId);
  const { Shipping, Company } = deps.models;
  const left = await Shipping.find(
    { campaignId: campaign._id, connectionId: halted, status: { $in: ['queued', 'paused'] } },
    { _id: 1, campaignId: 1, contactId: 1, connectionId: 1, plannedAt: 1 },
  )
    .sort({ plannedAt: 1, _id: 1 })
    .lean();
  if (left.length === 0) return 0;
  const company = await Company.findById(campaign.companyId).lean();
  const settings = effectivePacing(company!.pacing, campaign.pacing ?? undefined);
  const window = effectiveWindow(company!.timezone, company!.sendingWindows, campaign.sendingWindows);
  const now = deps.now();
  const seed = `${String(campaign._id)}:moved:${haltedId}`;
  const lanes = await planLanes(deps, {
    connectionIds: targets,
    companyId: String(campaign.companyId),
    settings,
    startAt: now,
    count: left.length,
    window,
    seed,
  });
  const plan = { window, lanes };
  const planners = lanes.map((lane, i) => new SendPlanner(settings, now, lane.initial, planLimits(plan, seed, i)));
  const dealer = new LaneDealer(lanes.map((lane) => lane.count));
  const cause = newCorrelation(String(campaign.companyId));
  const shippings = shippingsOf(deps);
  let moved = 0;
  let plannedUntil = 0;
  for (const shipping of left) {
    const lane = dealer.next();
    const plannedAt = planners[lane]!.next();
    plannedUntil = Math.max(plannedUntil, plannedAt);
    const to = new Types.ObjectId(lanes[lane]!.connectionId);
    if (await shippings.reassign(shipping, halted, to, new Date(plannedAt), cause)) moved++;
  }
  if (moved > 0)
    await deps.models.Campaign.updateOne({ _id: campaign._id }, { $max: { plannedUntil: new Date(plannedUntil) } });
  deps.logger.warn('a number of the campaign halted; its remaining contacts moved to the campaign’s other numbers', {
    campaignId: String(campaign._id),
    connectionId: haltedId,
    moved,
    to: targets,
  });
  return moved;
}
