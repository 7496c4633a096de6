import { Types } from 'mongoose';
import {
  averageSendsPerMinute,
  bucketCounts,
  countByReason,
  deliveryRates,
  failureReason,
  finishedShare,
  pendingOf,
} from '../domain/campaigns/campaign-progress';
import { IDLE_LANE } from '../domain/pacing/pacing-rule';
import { effectivePacing, type PacingSettings } from '../domain/pacing/pacing-settings';
import { estimateFinish } from '../domain/pacing/send-planner';
import { effectiveWindow, windowWaitAt } from '../domain/pacing/sending-window';
import type { Models } from '../infrastructure/mongo/models';
import type { CampaignCounters, CampaignDoc } from '../infrastructure/mongo/models/campaign';

/** One campaign's progress, as the terminal and the progress page show it. */
export interface CampaignProgress {
  campaignId: string;
  companyId: string;
  connectionId: string;
  name: string;
  status: CampaignDoc['status'];
  /** Why Disparo paused it (the provider refused its template), or null. */
  pausedReason: string | null;
  /** The approved template it sends, or null for free-text variants. */
  template: { name: string; language: string } | null;
  counters: CampaignCounters;
  pending: number;
  /** Share (0–1) of the planned messages that reached an end. */
  done: number;
  sentPerMinute: number;
  /** Shares (0–1) of the sent messages reported delivered and read; null before the first send. */
  deliveredRate: number | null;
  readRate: number | null;
  /** By the pacing rule, from the number's last real send; null unless running with messages left. */
  estimatedFinishAt: string | null;
  /** `window`: running, with messages left, while its sending windows are closed (until nextOpeningAt). */
  waitingFor: 'window' | null;
  nextOpeningAt: string | null;
  startedAt: string | null;
  completedAt: string | null;
}

type ProgressModels = Pick<Models, 'Campaign' | 'Company' | 'Lane'>;

/** Progress of the given campaigns from their counters and their numbers' lanes: no scan of shippings. */
export async function progressOf(
  models: ProgressModels,
  campaigns: CampaignDoc[],
  now: number,
): Promise<CampaignProgress[]> {
  const distinct = (ids: Types.ObjectId[]) => [...new Set(ids.map(String))].map((id) => new Types.ObjectId(id));
  const [companies, lanes] = await Promise.all([
    models.Company.find(
      { _id: { $in: distinct(campaigns.map((c) => c.companyId)) } },
      { pacing: 1, timezone: 1, sendingWindows: 1 },
    ).lean(),
    models.Lane.find({ _id: { $in: distinct(campaigns.map((c) => c.connectionId)) } }, { sent: 1 }).lean(),
  ]);
  const companyOf = new Map(companies.map((company) => [String(company._id), company]));
  const laneOf = new Map(lanes.map((lane) => [String(lane._id), lane.sent]));
  return campaigns.map((campaign) => {
    const pending = pendingOf(campaign.counters);
    const company = companyOf.get(String(campaign.companyId));
    const settings: PacingSettings | undefined =
      company && effectivePacing(company.pacing, campaign.pacing ?? undefined);
    const window = company ? effectiveWindow(company.timezone, company.sendingWindows, campaign.sendingWindows) : null;
    const lane = laneOf.get(String(campaign.connectionId)) ?? IDLE_LANE;
    const running = campaign.status === 'running' && pending > 0;
    const finish =
      running && settings
        ? estimateFinish(settings, lane, now, pending, 10_000, { window, seed: String(campaign._id) })
        : null;
    const waiting = running ? windowWaitAt(window, now) : { waitingFor: null, nextOpeningAt: null };
    return {
      campaignId: String(campaign._id),
      companyId: String(campaign.companyId),
      connectionId: String(campaign.connectionId),
      name: campaign.name,
      status: campaign.status,
      pausedReason: campaign.pausedReason ?? null,
      template: campaign.template ? { name: campaign.template.name, language: campaign.template.language } : null,
      counters: campaign.counters,
      pending,
      done: finishedShare(campaign.counters),
      sentPerMinute: averageSendsPerMinute(campaign.counters.sent, campaign.startedAt?.getTime() ?? null, now),
      ...deliveryRates(campaign.counters),
      estimatedFinishAt: finish === null ? null : new Date(finish).toISOString(),
      waitingFor: waiting.waitingFor,
      nextOpeningAt: waiting.nextOpeningAt === null ? null : new Date(waiting.nextOpeningAt).toISOString(),
      startedAt: campaign.startedAt?.toISOString() ?? null,
      completedAt: campaign.completedAt?.toISOString() ?? null,
    };
  });
}

/** Sends per time bucket of some campaigns, from their shippings' send times. */
export interface SendTimeline {
  from: string;
  bucketSeconds: number;
  /** Per campaign: sends in each bucket, oldest first. */
  sent: Record<string, number[]>;
}

/**
 * Reads only the sent shippings of the given campaigns sent since `from` (their send times); on
 * MongoDB the (campaignId, status) index serves it.
 */
export async function sendTimeline(
  models: Pick<Models, 'Shipping'>,
  campaignIds: string[],
  window: { from: number; to: number; bucketMs: number },
): Promise<SendTimeline> {
  const sent: Record<string, number[]> = Object.fromEntries(campaignIds.map((id) => [id, []]));
  const times: Record<string, number[]> = Object.fromEntries(campaignIds.map((id) => [id, []]));
  if (campaignIds.length > 0) {
    const shippings = await models.Shipping.find(
      {
        campaignId: { $in: campaignIds.map((id) => new Types.ObjectId(id)) },
        status: 'sent',
        sentAt: { $gte: new Date(window.from) },
      },
      { campaignId: 1, sentAt: 1 },
    ).lean();
    for (const shipping of shippings) times[String(shipping.campaignId)]?.push(shipping.sentAt!.getTime());
  }
  for (const id of campaignIds) sent[id] = bucketCounts(times[id]!, window.from, window.to, window.bucketMs);
  return { from: new Date(window.from).toISOString(), bucketSeconds: window.bucketMs / 1000, sent };
}

/** Why messages failed: shippings failed for good (the provider's error) and sent ones the provider could not deliver. */
export interface FailureCount {
  campaignId: string;
  reason: string;
  count: number;
}

export async function failuresByReason(
  models: Pick<Models, 'Shipping'>,
  campaignIds: string[],
): Promise<FailureCount[]> {
  if (campaignIds.length === 0) return [];
  const ids = campaignIds.map((id) => new Types.ObjectId(id));
  const [failed, undelivered] = await Promise.all([
    models.Shipping.find({ campaignId: { $in: ids }, status: 'failed' }, { campaignId: 1, lastError: 1 }).lean(),
    models.Shipping.find(
      { campaignId: { $in: ids }, status: 'sent', deliveryStatus: 'failed' },
      { campaignId: 1, failedReason: 1 },
    ).lean(),
  ]);
  const reasons = new Map<string, string[]>();
  const add = (campaignId: unknown, reason: string) => {
    const key = String(campaignId);
    reasons.set(key, [...(reasons.get(key) ?? []), reason]);
  };
  for (const shipping of failed) add(shipping.campaignId, failureReason(shipping.lastError));
  for (const shipping of undelivered) add(shipping.campaignId, `undelivered: ${failureReason(shipping.failedReason)}`);
  return [...reasons].flatMap(([campaignId, list]) => countByReason(list).map((entry) => ({ campaignId, ...entry })));
}
