import { randomUUID } from 'node:crypto';
import { performance } from 'node:perf_hooks';
import { bodyParser } from '@koa/bodyparser';
import Koa from 'koa';
import { readsOf } from '../application/service-registry';
import { AppError, type AppErrorCode } from '../domain/errors';
import type { ErrorReporter } from '../infrastructure/observability/error-reporter';
import { errorFields, type Logger } from '../infrastructure/observability/logger';
import type { Metrics } from '../infrastructure/observability/metrics';
import type { ApiContext } from './api-context';
import { apiKeyAuthenticator } from './auth';
import { ApiRouter } from './operation';
import { HttpProblem } from './problem';
import { apiKeyRoutes } from './routes/api-keys';
import { campaignReportRoutes } from './routes/campaign-report';
import { campaignRoutes } from './routes/campaigns';
import { companyRoutes } from './routes/companies';
import { connectionRoutes } from './routes/connections';
import { contactImportRoutes } from './routes/contact-imports';
import { contactListRoutes } from './routes/contact-lists';
import { contactSyncRoutes } from './routes/contact-sync';
import { contactRoutes } from './routes/contacts';
import { docsRoutes } from './routes/docs';
import { eventRoutes } from './routes/events';
import { healthRoutes } from './routes/health';
import { progressPageRoutes, progressRoutes } from './routes/progress';
import { suppressionRoutes } from './routes/suppressions';
import { webhookRoutes } from './routes/webhooks';
import { pairingPageRoutes, whatsappWebPairingRoutes } from './routes/whatsapp-web-pairing';

export interface ApiDeps {
  logger: Logger;
  errorReporter: ErrorReporter;
  /** This process's registry: served at /metrics, and every request is timed into it. */
  metrics: Metrics;
  /** Each dependency the API needs and whether it answers right now. */
  readiness(): Promise<Record<string, boolean>>;
  /** The resource routes; without it only health, readiness and the docs are served. */
  context?: ApiContext;
}

const RESOURCES = [
  companyRoutes,
  apiKeyRoutes,
  connectionRoutes,
  contactSyncRoutes,
  contactRoutes,
  contactListRoutes,
  contactImportRoutes,
  campaignRoutes,
  campaignReportRoutes,
  eventRoutes,
  progressRoutes,
  webhookRoutes,
  suppressionRoutes,
  whatsappWebPairingRoutes,
];

const API_VERSION = '1.0.0';

export function createApp(deps: ApiDeps): Koa {
  const app = new Koa();
  app.use(requestId());
  app.use(unreadBodyDrained());
  app.use(timed(deps.metrics));
  app.use(problemDetails(deps));
  const noKeys = async () => {
    throw new HttpProblem(401, 'Unauthorized', 'this server accepts no API keys');
  };
  const api = new ApiRouter(
    deps.context
      ? apiKeyAuthenticator(
          (hash) => readsOf(deps.context!.pipeline).companyOfKey(hash),
          deps.context.adminKey,
          deps.context.caches.apiKeys,
        )
      : noKeys,
  );
  app.use(notFound());
  app.use(api.rawBodyPassThrough());
  app.use(
    bodyParser({
      enableTypes: ['json'],
      jsonLimit: '2mb',
      onError: (error) => {
        throw bodyProblem(error);
      },
    }),
  );

  healthRoutes(api, deps.readiness, deps.metrics);
  if (deps.context) for (const routes of RESOURCES) routes(api, deps.context);
  if (deps.context) progressPageRoutes(api); // a static page; its script sends the key
  if (deps.context) pairingPageRoutes(api);
  docsRoutes(api, API_VERSION);
  for (const middleware of api.middleware()) app.use(middleware);
  return app;
}

/** A body that cannot be read: too large (413), or not JSON (400). */
function bodyProblem(error: Error & { status?: number }): HttpProblem {
  if (error.status === 413) return new HttpProblem(413, 'Payload Too Large', 'the body is larger than 2 MB');
  if (error.status === 415) return new HttpProblem(415, 'Unsupported Media Type', error.message);
  return new HttpProblem(400, 'Bad Request', `the body is not valid JSON: ${error.message}`);
}

/**
 * Nothing answered: no such route (404), or a known path asked with another method (405, the
 * router set the Allow header; a method no route knows is a 405 too, not the router's 501).
 */
function notFound(): Koa.Middleware {
  return async (ctx, next) => {
    await next();
    if (ctx.body != null) return;
    if (ctx.status === 404) throw new HttpProblem(404, 'Not Found', 'no such route');
    if (ctx.status === 405 || ctx.status === 501)
      throw new HttpProblem(405, 'Method Not Allowed', `allowed here: ${ctx.response.get('allow') || 'none'}`);
  };
}

/** Past this many unread bytes, the connection is closed rather than read to the end. */
const MAX_DRAINED_BYTES = 8 * 1024 * 1024;

/**
 * A request answered before its body was read to the end (a rejected upload, a refused key) still
 * has bytes on the socket; left there, they are parsed as the next request on a keep-alive
 * connection and the client gets a reset. The rest is read and dropped, so the connection stays
 * usable; a body too large to be worth reading gets `Connection: close` instead.
 */
function unreadBodyDrained(): Koa.Middleware {
  return async (ctx, next) => {
    try {
      await next();
    } finally {
      const req = ctx.req;
      if (!req.complete && !req.destroyed) {
        const declared = Number(req.headers['content-length'] ?? Number.NaN);
        if (!(declared <= MAX_DRAINED_BYTES)) ctx.set('connection', 'close');
        req.unpipe();
        req.removeAllListeners('data');
        req.resume();
      }
    }
  };
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
      metrics.httpRequest(
        ctx.method,
        ctx._matchedRoute ? String(ctx._matchedRoute) : 'unmatched',
        ctx.status,
        (performance.now() - started) / 1000,
      );
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
        deps.logger.error('request failed', {
          method: ctx.method,
          path: ctx.path,
          correlationId: ctx.state.requestId,
          ...errorFields(error),
        });
        deps.errorReporter.capture(error, {
          route: `${ctx.method} ${ctx._matchedRoute ?? ctx.path}`,
          correlationId: ctx.state.requestId,
        });
      }
      ctx.status = problem.status;
      ctx.type = 'application/problem+json';
      ctx.body = problem.toProblem();
    }
  };
}

/** The one place an application error becomes an HTTP status. */
const STATUS_OF: Record<AppErrorCode, number> = {
  invalid: 400,
  unauthorized: 401,
  forbidden: 403,
  'not-found': 404,
  conflict: 409,
};

function toHttpProblem(error: unknown): HttpProblem {
  if (error instanceof HttpProblem) return error;
  if (error instanceof AppError) {
    const status = STATUS_OF[error.code];
    const detail = error.help ? `${error.message}; ${error.help}` : error.message;
    return new HttpProblem(status, titleFor(status), detail, error.fields);
  }
  const status = (error as { status?: number }).status;
  if (typeof status === 'number' && status >= 400 && status < 500) {
    return new HttpProblem(status, titleFor(status), (error as Error).message);
  }
  return new HttpProblem(500, 'Internal Server Error', 'the request could not be completed; it has been reported');
}

function titleFor(status: number): string {
  return (
    {
      400: 'Bad Request',
      401: 'Unauthorized',
      403: 'Forbidden',
      404: 'Not Found',
      409: 'Conflict',
      405: 'Method Not Allowed',
      413: 'Payload Too Large',
      415: 'Unsupported Media Type',
    }[status] ?? 'Bad Request'
  );
}
