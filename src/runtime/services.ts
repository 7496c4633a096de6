import type { Connection } from 'mongoose';
import { type Config, rabbitmqUrls } from '../config';
import { connectMongo } from '../infrastructure/mongo/connection';
import { createErrorReporter, type ErrorReporter } from '../infrastructure/observability/error-reporter';
import { createLogger, type Logger } from '../infrastructure/observability/logger';
import { Metrics } from '../infrastructure/observability/metrics';
import { Broker } from '../infrastructure/rabbitmq/broker';
import { Publisher } from '../infrastructure/rabbitmq/publisher';
import { disparoTopology } from '../topology';

/** The adapters one process shares: built once from the configuration, closed once. */
export interface Services {
  config: Config;
  logger: Logger;
  errorReporter: ErrorReporter;
  /** This process's Prometheus registry, served at /metrics. */
  metrics: Metrics;
  broker: Broker;
  publisher: Publisher;
  mongo: Connection;
  close(): Promise<void>;
}

export async function startServices(config: Config, processName: string): Promise<Services> {
  const logger = createLogger({
    level: config.LOG_LEVEL === 'silent' ? 'error' : config.LOG_LEVEL,
    service: processName,
    silent: config.LOG_LEVEL === 'silent',
  });
  const errorReporter = createErrorReporter({
    dsn: config.SENTRY_DSN,
    environment: config.SENTRY_ENVIRONMENT ?? config.NODE_ENV,
  });
  const metrics = new Metrics();
  const mongo = await connectMongo(config.MONGO_URL, logger);
  const broker = await Broker.connect({
    urls: rabbitmqUrls(config),
    topology: disparoTopology({ prefix: config.TOPOLOGY_PREFIX, deliveryLimit: config.QUEUE_DELIVERY_LIMIT }),
    logger,
    connectionName: `${processName}@${process.pid}`,
    connectTimeoutMs: config.BROKER_CONNECT_TIMEOUT_MS,
    retryMaxMs: config.BROKER_RETRY_MAX_MS,
  });
  const publisher = new Publisher(broker, {
    prefix: config.TOPOLOGY_PREFIX,
    timeoutMs: config.PUBLISH_TIMEOUT_MS,
    maxInFlight: config.PUBLISH_MAX_IN_FLIGHT,
    logger,
    metrics,
  });
  await publisher.start();
  return {
    config,
    logger,
    errorReporter,
    metrics,
    broker,
    publisher,
    mongo,
    async close() {
      await publisher.close().catch(() => undefined);
      await broker.close().catch(() => undefined);
      await mongo.close().catch(() => undefined);
      await errorReporter.flush(2_000).catch(() => undefined);
    },
  };
}
