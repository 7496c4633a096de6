import { randomUUID } from 'node:crypto';
import { performance } from 'node:perf_hooks';
import { bodyParser } from '@koa/bodyparser';
import Router from '@koa/router';
import Koa from 'koa';
import type { ErrorReporter } from '../infrastructure/observability/error-reporter';
import type { Metrics } from '../infrastructure/observability/metrics';
import { errorFields, type Logger } from '../infrastructure/observability/logger';
import type { ApiContext } from './api-context';
import { authenticate } from './auth';
import { HttpProblem } from './problem';
import { campaignRoutes } from './routes/campaigns';
import { companyRoutes } from './routes/companies';
import { connectionRoutes } from './routes/connections';
import { contactListRoutes } from './routes/contact-lists';
import { contactImportRoutes } from './routes/contact-imports';
import { contactSyncRoutes } from './routes/contact-sync';
import { webhookRoutes } from './routes/webhooks';
import { eventRoutes } from './routes/events';
import { progressPageRoutes, progressRoutes } from './routes/progress';

export interface ApiDeps {
  logger: Logger;
  errorReporter: ErrorReporter;
  /** This process's registry: served at /metrics, and every request is timed into it. */
  metrics: Metrics;
  /** Each dependency the API needs and whether it answers right now. */
  readiness(): Promise<Record<string, boolean>>;
  /** The resource routes; without it only health and readiness are served. */
  context?: ApiContext;
}

export function createApp(deps: ApiDeps): Koa {
  const app = new Koa();
  app.use(requestId());
  app.use(timed(deps.metrics));
  app.use(problemDetails(deps));
  app.use(bodyParser({ enableTypes: ['json'], jsonLimit: '2mb', onError: (error) => { throw new HttpProblem(400, 'Bad Request', `the body is not valid JSON: ${error.message}`); } }));

  const health = new Router();
  health.get('/healthz', (ctx) => {
    ctx.body = { status: 'ok' };
  });
  health.get('/readyz', async (ctx) => {
    const checks = await deps.readiness();
    const ready = Object.values(checks).every(Boolean);
    ctx.status = ready ? 200 : 503;
    ctx.body = { status: ready ? 'ready' : 'not ready', checks };
  });
  health.get('/metrics', async (ctx) => {
    const { contentType, body } = await deps.metrics.exposition();
    ctx.type = contentType;
    ctx.body = body;
  });
  app.use(health.routes());

  if (deps.context) {
    app.use(webhookRoutes(deps.context).routes()); // no API key: Meta signs its webhooks
    app.use(progressPageRoutes().routes()); // a static page; its script sends the key
    const api = new Router();
    api.use('/v1', authenticate(deps.context.pipeline.models, deps.context.adminKey));
    for (const routes of [companyRoutes, connectionRoutes, contactListRoutes, campaignRoutes, eventRoutes, contactSyncRoutes, contactImportRoutes, progressRoutes]) {
      const router = routes(deps.context);
      api.use(router.routes(), router.allowedMethods({ throw: true }));
    }
    app.use(api.routes());
  }
  app.use(() => {
    throw new HttpProblem(404, 'Not Found', 'no such route');
  });
  return app;
}

/** Takes the caller's X-Request-Id (or makes one); it becomes the correlationId of what follows. */
function requestId(): Koa.Middleware {
  return async (ctx, next) => {
    const given = ctx.get('x-request-id');
    ctx.state.requestId = /^[\w.:-]{1,128}$/.test(given) ? given : randomUUID();
    ctx.set('x-request-id', ctx.state.requestId as string);
    await next();
  };
}

/** Times every request by its route pattern (not its path: ids would make a label per resource). */
function timed(metrics: Metrics): Koa.Middleware {
  return async (ctx, next) => {
    const started = performance.now();
    try {
      await next();
    } finally {
      metrics.httpRequest(ctx.method, ctx._matchedRoute ? String(ctx._matchedRoute) : 'unmatched', ctx.status, (performance.now() - started) / 1000);
    }
  };
}

/** Maps every error to a problem document; unexpected ones are logged, reported and answered 500. */
function problemDetails(deps: ApiDeps): Koa.Middleware {
  return async (ctx, next) => {
    try {
      await next();
    } catch (error) {
      const problem = toHttpProblem(error);
      if (problem.status >= 500) {
        deps.logger.error('request failed', { method: ctx.method, path: ctx.path, correlationId: ctx.state.requestId, ...errorFields(error) });
        deps.errorReporter.capture(error, { route: `${ctx.method} ${ctx._matchedRoute ?? ctx.path}`, correlationId: ctx.state.requestId });
      }
      ctx.status = problem.status;
      ctx.type = 'application/problem+json';
      ctx.body = problem.toProblem();
    }
  };
}

function toHttpProblem(error: unknown): HttpProblem {
  if (error instanceof HttpProblem) return error;
  const status = (error as { status?: number }).status;
  if (typeof status === 'number' && status >= 400 && status < 500) {
    return new HttpProblem(status, titleFor(status), (error as Error).message);
  }
  return new HttpProblem(500, 'Internal Server Error', 'the request could not be completed; it has been reported');
}

function titleFor(status: number): string {
  return { 400: 'Bad Request', 401: 'Unauthorized', 403: 'Forbidden', 404: 'Not Found', 405: 'Method Not Allowed', 413: 'Payload Too Large', 415: 'Unsupported Media Type' }[status] ?? 'Bad Request';
}
