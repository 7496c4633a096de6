import { type CampaignStatus, isFinished } from './campaign-status';

/**
 * How far a campaign has come, from its counters alone: what the terminal and the progress page
 * show. Pure, so the numbers mean the same wherever they are drawn.
 */
export interface ProgressCounters {
  audience: number;
  sent: number;
  failed: number;
  cancelled: number;
  missing: number;
  /** Members not planned because their phone is suppressed. */
  suppressed?: number;
}

/** Messages planned: the audience less members deleted before preparation and suppressed phones. */
function plannedOf(counters: ProgressCounters): number {
  return counters.audience - counters.missing - (counters.suppressed ?? 0);
}

/** Messages still to be sent (planned contacts not sent, failed, cancelled or deleted). */
export function pendingOf(counters: ProgressCounters): number {
  return Math.max(0, plannedOf(counters) - counters.sent - counters.failed - counters.cancelled);
}

/** Share (0–1) of the planned messages that reached an end: sent, failed or cancelled. */
export function finishedShare(counters: ProgressCounters): number {
  const total = plannedOf(counters);
  if (total <= 0) return 0;
  return Math.min(1, (counters.sent + counters.failed + counters.cancelled) / total);
}

/** Average sends per minute since the campaign started (one decimal); 0 before it starts. */
export function averageSendsPerMinute(sent: number, startedAt: number | null, now: number): number {
  if (startedAt === null) return 0;
  const minutes = Math.max((now - startedAt) / 60_000, 1 / 60);
  return Math.round((sent / minutes) * 10) / 10;
}

/** What the sending rate of a campaign is read from (its document's fields, as epoch ms). */
export interface SendingSpan {
  sent: number;
  status: CampaignStatus;
  startedAt: number | null;
  /** The last time one of its messages reached an end (a send, a failure). */
  lastActivityAt: number | null;
  completedAt: number | null;
}

/**
 * Sends per minute of a campaign: the one definition the API, the progress page and the terminal
 * show. While it runs: its sends over the time since it started. Once it has finished: its sends
 * over the span it actually sent in (start to its last send), so the figure stays put instead of
 * decaying with every minute that passes after the end.
 */
export function sendsPerMinute(campaign: SendingSpan, now: number): number {
  if (!isFinished(campaign.status)) return averageSendsPerMinute(campaign.sent, campaign.startedAt, now);
  const end = campaign.lastActivityAt ?? campaign.completedAt ?? now;
  return averageSendsPerMinute(campaign.sent, campaign.startedAt, Math.max(end, campaign.startedAt ?? end));
}

/** Counts of events per time bucket: `[from, from + bucketMs)`, … up to `to` (exclusive). */
export function bucketCounts(times: readonly number[], from: number, to: number, bucketMs: number): number[] {
  const buckets = new Array<number>(Math.max(0, Math.ceil((to - from) / bucketMs))).fill(0);
  for (const at of times) {
    if (at < from || at >= to) continue;
    const index = Math.floor((at - from) / bucketMs);
    buckets[index] = (buckets[index] ?? 0) + 1;
  }
  return buckets;
}

/** Parts of a provider's error that differ on every occurrence (Meta's trace id), so they do not split a reason. */
const PER_OCCURRENCE = /[;,]?\s*fbtrace_id[:=\s]+\S+/gi;

/**
 * The reason a message failed, for grouping: the provider's error as stored (`<code>: <message>`)
 * without what is unique to one occurrence; identical reasons group together.
 */
export function failureReason(error: string | null | undefined): string {
  const reason = error?.replace(PER_OCCURRENCE, '').trim();
  return reason ? reason.slice(0, 200) : 'unknown';
}

/** Failures grouped by reason, most frequent first (ties by reason). */
export function countByReason(reasons: readonly string[]): Array<{ reason: string; count: number }> {
  const counts = new Map<string, number>();
  for (const reason of reasons) counts.set(reason, (counts.get(reason) ?? 0) + 1);
  return [...counts]
    .map(([reason, count]) => ({ reason, count }))
    .sort((a, b) => b.count - a.count || a.reason.localeCompare(b.reason));
}

/**
 * Shares (0–1, three decimals) of the sent messages the provider reported delivered and read;
 * null before anything is sent. Read implies delivered: the delivered counter includes read ones.
 */
export function deliveryRates(counters: { sent: number; delivered?: number; read?: number }): {
  deliveredRate: number | null;
  readRate: number | null;
} {
  if (counters.sent <= 0) return { deliveredRate: null, readRate: null };
  const share = (count: number | undefined) => Math.round(Math.min(1, (count ?? 0) / counters.sent) * 1000) / 1000;
  return { deliveredRate: share(counters.delivered), readRate: share(counters.read) };
}
