import Router from '@koa/router';
import Koa from 'koa';
import { type HttpServer, listen } from '../api/server';
import type { Services } from './services';

/**
 * A worker process's own HTTP endpoint: `/metrics` for Prometheus and `/healthz` for liveness.
 * (`disparo start` serves both on the API instead.)
 */
export async function startMetricsServer(services: Services): Promise<HttpServer> {
  const router = new Router();
  router.get('/metrics', async (ctx) => {
    const { contentType, body } = await services.metrics.exposition();
    ctx.type = contentType;
    ctx.body = body;
  });
  router.get('/healthz', (ctx) => {
    ctx.body = { status: 'ok' };
  });
  const app = new Koa();
  app.use(router.routes());
  const server = await listen(app, services.config.METRICS_HOST, services.config.METRICS_PORT);
  services.logger.info('metrics listening', { url: `${server.url}/metrics` });
  return server;
}
