import type Koa from 'koa';
import type { PipelineDeps } from '../application/pipeline-deps';
import { type Cause, newCorrelation } from '../domain/events/envelope';
import type { LaneState } from '../domain/pacing/pacing-rule';
import type { PacingSettings } from '../domain/pacing/pacing-settings';
import { companyOf } from './auth';
import { TtlCache } from './ttl-cache';

/** Lookups repeated on every request, remembered for API_CACHE_MS. */
export interface ApiCaches {
  /** API key hash → its company's id (only keys found are kept). */
  apiKeys: TtlCache<string | null>;
  /** Company id → its pacing settings (progress estimates). */
  pacing: TtlCache<PacingSettings | null>;
  /** Connection id → its lane's last send, for finish estimates: at most a second old (one gap of error at most). */
  lanes: TtlCache<LaneState | null>;
}

export function apiCaches(ttlMs: number): ApiCaches {
  return { apiKeys: new TtlCache(ttlMs), pacing: new TtlCache(ttlMs), lanes: new TtlCache(Math.min(ttlMs, 1_000)) };
}

export interface ApiContext {
  pipeline: PipelineDeps;
  adminKey: string | undefined;
  caches: ApiCaches;
  /** REPLAY_DEBUG_TTL_MS: how long debug replay copies live (the default when absent). */
  replayDebugTtlMs?: number;
}

/** The request's company and correlation id: every event the request causes carries it. */
export function causeOf(ctx: Koa.Context): Cause {
  return newCorrelation(companyOf(ctx), ctx.state.requestId as string);
}
