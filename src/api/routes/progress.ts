import { z } from 'zod';
import { readsOf } from '../../application/service-registry';
import type { ApiContext } from '../api-context';
import { companyOf } from '../auth';
import type { ApiRouter } from '../operation';
import { loadProgressPage } from '../progress-page';

/** Campaigns the page shows when none are named: the company's most recent ones. */
const RECENT_CAMPAIGNS = 12;
/** The chart has this many bars, whatever its time window. */
const TIMELINE_BUCKETS = 60;

const TAG = 'Progress';

const ProgressQuery = z.strictObject({
  /** Comma-separated campaign ids; default: the most recent campaigns. */
  campaigns: z
    .string()
    .regex(/^[a-f0-9]{24}(,[a-f0-9]{24}){0,49}$/, 'must be up to 50 comma-separated campaign ids')
    .optional(),
  /** Time window of the sends chart, in minutes. */
  minutes: z.coerce
    .number()
    .int()
    .min(1)
    .max(24 * 60)
    .default(15),
});

/** What `GET /v1/progress` answers (the campaign, timeline and failure items as built by campaign-progress). */
const ProgressOverview = z.object({
  now: z.string(),
  company: z.object({ id: z.string(), name: z.string() }),
  campaigns: z.array(z.record(z.string(), z.unknown())),
  timeline: z.array(z.record(z.string(), z.unknown())),
  failures: z.array(z.record(z.string(), z.unknown())),
});

/**
 * The progress page itself: static, public (it holds no data). The company's API key never
 * reaches the server in the page's URL: it travels in the fragment (`/progress#key=…`), which
 * browsers do not send, or is typed into the page; the page's script sends it as a Bearer header.
 */
export function progressPageRoutes(api: ApiRouter): void {
  // Read once, when the API starts: a missing or broken page file stops the start, not a request.
  const page = loadProgressPage();
  api.define(
    {
      method: 'get',
      path: '/progress',
      tag: TAG,
      access: 'public',
      summary: 'The live progress page (HTML; the API key goes in the URL fragment)',
      responses: { 200: { description: 'the page', contentType: 'text/html' } },
    },
    (ctx) => {
      ctx.set('content-security-policy', page.contentSecurityPolicy);
      ctx.set('referrer-policy', 'no-referrer');
      ctx.set('cache-control', 'no-store');
      ctx.set('x-content-type-options', 'nosniff');
      ctx.type = 'text/html; charset=utf-8';
      ctx.body = page.html;
    },
  );
}

/**
 * `GET /v1/progress`: everything the progress page draws, in one answer — the campaigns with their
 * counters, sends per time bucket, and failures by reason.
 */
export function progressRoutes(api: ApiRouter, { pipeline }: ApiContext): void {
  const reads = readsOf(pipeline);
  api.define(
    {
      method: 'get',
      path: '/v1/progress',
      tag: TAG,
      access: 'company',
      summary: "The company's recent (or named) campaigns with their progress, sends over time and failures by reason",
      query: ProgressQuery,
      responses: { 200: { description: 'the progress overview', schema: ProgressOverview } },
    },
    async (ctx, { query }) => {
      const companyId = companyOf(ctx);
      const ids = query.campaigns?.split(',');
      const [company, campaigns] = await Promise.all([
        reads.company(companyId, { name: 1 }),
        reads.campaignsOf(companyId, ids, RECENT_CAMPAIGNS),
      ]);
      campaigns.sort((a, b) => b.createdAt.getTime() - a.createdAt.getTime());
      const now = pipeline.now();
      const campaignIds = campaigns.map((campaign) => String(campaign._id));
      const bucketMs = (query.minutes * 60_000) / TIMELINE_BUCKETS;
      const to = Math.ceil(now / bucketMs) * bucketMs;
      const [progress, timeline, failures] = await Promise.all([
        reads.progressOf(campaigns, now),
        reads.sendTimeline(campaignIds, { from: to - TIMELINE_BUCKETS * bucketMs, to, bucketMs }),
        reads.failuresByReason(campaignIds),
      ]);
      ctx.set('cache-control', 'no-store');
      ctx.body = {
        now: new Date(now).toISOString(),
        company: { id: companyId, name: company.name },
        campaigns: progress,
        timeline,
        failures,
      };
    },
  );
}
