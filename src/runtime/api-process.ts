import type Koa from 'koa';
import { apiCaches } from '../api/api-context';
import { createApp } from '../api/app';
import { type HttpServer, listen } from '../api/server';
import { readsOf } from '../application/service-registry';
import { DEFAULT_CLOUD_API_OPTIONS } from '../infrastructure/gateways/gateway-provider';
import { pingMongo } from '../infrastructure/mongo/connection';
import { gatewaysOf, pipelineDeps } from './pipeline';
import type { Services } from './services';

/** The API's HTTP server, and its Koa app (tests read the app's routes from it). */
export type ApiServer = HttpServer & { app: Koa };

export async function startApi(services: Services): Promise<ApiServer> {
  const pipeline = await pipelineDeps(services);
  const app = createApp({
    logger: services.logger,
    errorReporter: services.errorReporter,
    metrics: services.metrics,
    readiness: async () => ({ broker: services.broker.isConnected(), database: await pingMongo(services.mongo) }),
    context: {
      pipeline,
      templates: {
        ...pipeline,
        gateways: gatewaysOf(services, pipeline, {
          ...DEFAULT_CLOUD_API_OPTIONS,
          timeoutMs: services.config.CLOUD_API_TIMEOUT_MS,
        }),
        templateMaxAgeMs: services.config.TEMPLATE_REFRESH_MS,
      },
      adminKey: services.config.ADMIN_API_KEY,
      caches: apiCaches(services.config.API_CACHE_MS),
      replayDebugTtlMs: services.config.REPLAY_DEBUG_TTL_MS,
    },
  });
  const reads = readsOf(pipeline);
  services.metrics.countCampaignsWith(() => reads.campaignsByStatus());
  const server = await listen(app, services.config.HTTP_HOST, services.config.HTTP_PORT);
  services.logger.info('API listening', { url: server.url });
  return Object.assign(server, { app });
}
