import type Koa from 'koa';
import type { PipelineDeps } from '../application/pipeline-deps';
import type { TemplateDeps } from '../application/templates/template-catalogue';
import { type Cause, newCorrelation } from '../domain/events/envelope';
import type { LaneState } from '../domain/pacing/pacing-rule';
import type { PacingSettings } from '../domain/pacing/pacing-settings';
import { type ApiCache, apiCache } from './api-cache';
import { companyOf } from './auth';

/** Lookups repeated on every request, remembered for API_CACHE_MS. */
export interface ApiCaches {
  /** API key hash → its company's id (only keys found are kept). */
  apiKeys: ApiCache<string | null>;
  /** Company id → its pacing settings (progress estimates). */
  pacing: ApiCache<PacingSettings | null>;
  /** Connection id → its lane's last send, for finish estimates: at most a second old (one gap of error at most). */
  lanes: ApiCache<LaneState | null>;
}

export function apiCaches(ttlMs: number): ApiCaches {
  return { apiKeys: apiCache(ttlMs), pacing: apiCache(ttlMs), lanes: apiCache(Math.min(ttlMs, 1_000)) };
}

export interface ApiContext {
  pipeline: PipelineDeps;
  /** Reads connections' template catalogues (the pipeline with a gateway provider). */
  templates: TemplateDeps;
  adminKey: string | undefined;
  caches: ApiCaches;
  /** REPLAY_DEBUG_TTL_MS: how long debug replay copies live (the default when absent). */
  replayDebugTtlMs?: number;
}

/** The request's company and correlation id: every event the request causes carries it. */
export function causeOf(ctx: Koa.Context): Cause {
  return newCorrelation(companyOf(ctx), ctx.state.requestId as string);
}
