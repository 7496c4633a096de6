import { z } from 'zod';
import type { Metrics } from '../../infrastructure/observability/metrics';
import type { ApiRouter } from '../operation';

const TAG = 'Health';

/** Liveness, readiness (broker and database reachable) and metrics: no API key, for probes, load balancers and Prometheus. */
export function healthRoutes(
  api: ApiRouter,
  readiness: () => Promise<Record<string, boolean>>,
  metrics: Metrics,
): void {
  api.define(
    {
      method: 'get',
      path: '/healthz',
      tag: TAG,
      access: 'public',
      summary: 'The process is up',
      responses: { 200: { description: 'up', schema: z.object({ status: z.literal('ok') }) } },
    },
    (ctx) => {
      ctx.body = { status: 'ok' };
    },
  );

  const Readiness = z.object({ status: z.enum(['ready', 'not ready']), checks: z.record(z.string(), z.boolean()) });
  api.define(
    {
      method: 'get',
      path: '/readyz',
      tag: TAG,
      access: 'public',
      summary: 'Broker and database reachable',
      responses: {
        200: { description: 'ready', schema: Readiness },
        503: { description: 'not ready: the checks say which dependency is down', schema: Readiness },
      },
    },
    async (ctx) => {
      const checks = await readiness();
      const ready = Object.values(checks).every(Boolean);
      ctx.status = ready ? 200 : 503;
      ctx.body = { status: ready ? 'ready' : 'not ready', checks };
    },
  );

  api.define(
    {
      method: 'get',
      path: '/metrics',
      tag: TAG,
      access: 'public',
      summary: "This process's Prometheus metrics (docs/observability.md)",
      responses: { 200: { description: 'the text exposition format', contentType: 'text/plain' } },
    },
    async (ctx) => {
      const { contentType, body } = await metrics.exposition();
      ctx.type = contentType;
      ctx.body = body;
    },
  );
}
