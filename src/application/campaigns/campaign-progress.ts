import { Types } from 'mongoose';
import {
  bucketCounts,
  countByReason,
  deliveryRates,
  failureReason,
  finishedShare,
  pendingOf,
  type SendingSpan,
  sendsPerMinute,
} from '../../domain/campaigns/campaign-progress';
import { effectiveThroughput } from '../../domain/connections/throughput';
import { capAt, capWaitAt } from '../../domain/pacing/daily-cap';
import { IDLE_LANE } from '../../domain/pacing/pacing-rule';
import { effectivePacing, type PacingSettings } from '../../domain/pacing/pacing-settings';
import { estimateFinish } from '../../domain/pacing/send-planner';
import { pacingWithThroughput } from '../../domain/pacing/send-window';
import { effectiveWindow, windowWaitAt, type ZonedSchedule } from '../../domain/pacing/sending-window';
import type { Models } from '../../infrastructure/mongo/models';
import { type CampaignCounters, type CampaignDoc, connectionIdsOf } from '../../infrastructure/mongo/models/campaign';
import { MongoCapStore } from '../../infrastructure/mongo/recipient-caps';

/** One campaign's progress, as the terminal and the progress page show it. */
export interface CampaignProgress {
  campaignId: string;
  companyId: string;
  connectionId: string;
  /** Every number it sends from (`connectionId` first). */
  connectionIds: string[];
  /** Messages per second its (first) number's provider accepts (Cloud API 80 by default); null: none. */
  throughputPerSec: number | null;
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
  /**
   * `window`: running, with messages left, while its sending windows are closed (until nextOpeningAt);
   * `cap`: the company's daily cap, or every one of its numbers' caps, is full (until capFreesAt).
   */
  waitingFor: 'window' | 'cap' | null;
  nextOpeningAt: string | null;
  capFreesAt: string | null;
  startedAt: string | null;
  completedAt: string | null;
}

type ProgressModels = Pick<Models, 'Campaign' | 'Company' | 'Lane' | 'Connection' | 'RecipientCap'>;

/** What the daily caps say of a running campaign now: the number's cap (for estimates) and whether it waits. */
export interface CapView {
  /** The first number's cap and its recipients' times, for the planner's estimate (null: no cap). */
  planCap: { cap: (at: number) => number | null; recent: number[] } | null;
  /** When a slot frees, if the company's cap or every number's cap is full now; null otherwise. */
  freesAt: number | null;
}

/**
 * Reads the caps a campaign sends under (its numbers' and its company's, lookups by id) and decides
 * whether it waits for one: the company's is full, or all its numbers' are.
 */
export async function capViewOf(
  models: Pick<Models, 'Company' | 'Connection' | 'RecipientCap'>,
  campaign: Pick<CampaignDoc, 'companyId' | 'connectionId' | 'connectionIds'>,
  now: number,
): Promise<CapView> {
  const ids = connectionIdsOf(campaign);
  const [company, connections] = await Promise.all([
    models.Company.findById(campaign.companyId, { dailyCap: 1, createdAt: 1 }).lean(),
    Promise.all(ids.map((id) => models.Connection.findById(id, { dailyCap: 1, createdAt: 1 }).lean())),
  ]);
  const caps = new MongoCapStore(models);
  const lanes = await Promise.all(
    connections.map(async (connection, i) => {
      const settings = connection?.dailyCap;
      if (!connection || !settings) return { capAt: null, recent: [] as Array<{ at: number }> };
      const since = connection.createdAt.getTime();
      return { capAt: (at: number) => capAt(settings, since, at), recent: await caps.recent(`connection:${ids[i]}`) };
    }),
  );
  const laneWaits = lanes.map((lane) => (lane.capAt ? capWaitAt(lane.recent, lane.capAt(now), now) : { full: false }));
  const allLanesFull = laneWaits.every((wait) => wait.full);
  const lanesFreeAt = allLanesFull
    ? Math.min(...laneWaits.map((wait) => ('freesAt' in wait ? wait.freesAt : now)))
    : null;
  let companyFreesAt: number | null = null;
  if (company?.dailyCap) {
    const limit = capAt(company.dailyCap, company.createdAt.getTime(), now);
    const wait = capWaitAt(await caps.recent(`company:${String(campaign.companyId)}`), limit, now);
    if (wait.full) companyFreesAt = wait.freesAt;
  }
  const first = lanes[0]!;
  const planCap = first.capAt ? { cap: first.capAt, recent: first.recent.map((entry) => entry.at) } : null;
  const waits = [lanesFreeAt, companyFreesAt].filter((at): at is number => at !== null);
  return { planCap, freesAt: waits.length > 0 ? Math.max(...waits) : null };
}

/** Progress of the given campaigns from their counters and their numbers' lanes: no scan of shippings. */
export async function progressOf(
  models: ProgressModels,
  campaigns: CampaignDoc[],
  now: number,
): Promise<CampaignProgress[]> {
  const distinct = (ids: Types.ObjectId[]) => [...new Set(ids.map(String))].map((id) => new Types.ObjectId(id));
  const [companies, lanes, connections] = await Promise.all([
    models.Company.find(
      { _id: { $in: distinct(campaigns.map((c) => c.companyId)) } },
      { pacing: 1, timezone: 1, sendingWindows: 1 },
    ).lean(),
    models.Lane.find({ _id: { $in: distinct(campaigns.map((c) => c.connectionId)) } }, { sent: 1 }).lean(),
    models.Connection.find(
      { _id: { $in: distinct(campaigns.map((c) => c.connectionId)) } },
      { gateway: 1, throughputPerSec: 1 },
    ).lean(),
  ]);
  const throughputOf = new Map(
    connections.map((connection) => [
      String(connection._id),
      effectiveThroughput(connection.gateway, connection.throughputPerSec),
    ]),
  );
  const companyOf = new Map(companies.map((company) => [String(company._id), company]));
  const laneOf = new Map(lanes.map((lane) => [String(lane._id), lane.sent]));
  const capViews = await Promise.all(
    campaigns.map((campaign) =>
      campaign.status === 'running' && pendingOf(campaign.counters) > 0 ? capViewOf(models, campaign, now) : null,
    ),
  );
  return campaigns.map((campaign, index) => {
    const capView = capViews[index];
    const pending = pendingOf(campaign.counters);
    const company = companyOf.get(String(campaign.companyId));
    const throughputPerSec = throughputOf.get(String(campaign.connectionId)) ?? null;
    // The number's provider throughput caps its pace too (a Cloud API number: 80/s by default).
    const settings: PacingSettings | undefined =
      company && pacingWithThroughput(effectivePacing(company.pacing, campaign.pacing ?? undefined), throughputPerSec);
    const window = company ? effectiveWindow(company.timezone, company.sendingWindows, campaign.sendingWindows) : null;
    const lane = laneOf.get(String(campaign.connectionId)) ?? IDLE_LANE;
    const running = campaign.status === 'running' && pending > 0;
    const finish =
      running && settings
        ? estimateFinish(settings, lane, now, Math.ceil(pending / connectionIdsOf(campaign).length), 10_000, {
            window,
            cap: capView?.planCap ?? null,
            seed: String(campaign._id),
          })
        : null;
    const waiting = running ? waitingOf(window, capView ?? null, now) : NOT_WAITING;
    return {
      campaignId: String(campaign._id),
      companyId: String(campaign.companyId),
      connectionId: String(campaign.connectionId),
      connectionIds: connectionIdsOf(campaign),
      throughputPerSec,
      name: campaign.name,
      status: campaign.status,
      pausedReason: campaign.pausedReason ?? null,
      template: campaign.template ? { name: campaign.template.name, language: campaign.template.language } : null,
      counters: campaign.counters,
      pending,
      done: finishedShare(campaign.counters),
      sentPerMinute: sendsPerMinute(sendingSpanOf(campaign), now),
      ...deliveryRates(campaign.counters),
      estimatedFinishAt: finish === null ? null : new Date(finish).toISOString(),
      waitingFor: waiting.waitingFor,
      nextOpeningAt: waiting.nextOpeningAt,
      capFreesAt: waiting.capFreesAt,
      startedAt: campaign.startedAt?.toISOString() ?? null,
      completedAt: campaign.completedAt?.toISOString() ?? null,
    };
  });
}

/** The fields of a campaign document its sending rate is read from. */
export function sendingSpanOf(
  campaign: Pick<CampaignDoc, 'counters' | 'status' | 'startedAt' | 'lastActivityAt' | 'completedAt'>,
): SendingSpan {
  return {
    sent: campaign.counters.sent,
    status: campaign.status,
    startedAt: campaign.startedAt?.getTime() ?? null,
    lastActivityAt: campaign.lastActivityAt?.getTime() ?? null,
    completedAt: campaign.completedAt?.getTime() ?? null,
  };
}

const NOT_WAITING = { waitingFor: null, nextOpeningAt: null, capFreesAt: null } as const;

/** What a running campaign waits for now: its window (closed), else a daily cap (full), else nothing. */
export function waitingOf(
  window: ZonedSchedule | null,
  capView: Pick<CapView, 'freesAt'> | null,
  now: number,
): { waitingFor: 'window' | 'cap' | null; nextOpeningAt: string | null; capFreesAt: string | null } {
  const byWindow = windowWaitAt(window, now);
  if (byWindow.waitingFor)
    return {
      waitingFor: 'window',
      nextOpeningAt: byWindow.nextOpeningAt === null ? null : new Date(byWindow.nextOpeningAt).toISOString(),
      capFreesAt: null,
    };
  if (capView?.freesAt != null)
    return { waitingFor: 'cap', nextOpeningAt: null, capFreesAt: new Date(capView.freesAt).toISOString() };
  return NOT_WAITING;
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
