import Router from '@koa/router';
import Koa from 'koa';
import type { ErrorReporter } from '../infrastructure/observability/error-reporter';
import { errorFields, type Logger } from '../infrastructure/observability/logger';
import { HttpProblem } from './problem';

export interface ApiDeps {
  logger: Logger;
  errorReporter: ErrorReporter;
  /** Each dependency the API needs and whether it answers right now. */
  readiness(): Promise<Record<string, boolean>>;
}

export function createApp(deps: ApiDeps): Koa {
  const app = new Koa();
  app.use(problemDetails(deps));
  const router = new Router();
  router.get('/healthz', (ctx) => {
    ctx.body = { status: 'ok' };
  });
  router.get('/readyz', async (ctx) => {
    const checks = await deps.readiness();
    const ready = Object.values(checks).every(Boolean);
    ctx.status = ready ? 200 : 503;
    ctx.body = { status: ready ? 'ready' : 'not ready', checks };
  });
  app.use(router.routes());
  app.use(router.allowedMethods({ throw: true }));
  app.use(() => {
    throw new HttpProblem(404, 'Not Found', 'no such route');
  });
  return app;
}

/** Maps every error to a problem document; unexpected ones are logged, reported and answered 500. */
function problemDetails(deps: ApiDeps): Koa.Middleware {
  return async (ctx, next) => {
    try {
      await next();
    } catch (error) {
      const problem = toHttpProblem(error);
      if (problem.status >= 500) {
        deps.logger.error('request failed', { method: ctx.method, path: ctx.path, ...errorFields(error) });
        deps.errorReporter.capture(error, { route: `${ctx.method} ${ctx.path}` });
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
    return new HttpProblem(status, (error as Error).name.replace(/Error$/, '') || 'Bad Request', (error as Error).message);
  }
  return new HttpProblem(500, 'Internal Server Error', 'the request could not be completed; it has been reported');
}
