import { eventRecorderConsumer } from '../../consumers/event-recorder';
import { EventLog } from '../infrastructure/mongo/event-log';
import { ConsumerRunner, type ConsumerSpec } from '../infrastructure/rabbitmq/consumer-runner';
import { queues } from '../topology';
import type { Services } from './services';

/** Every worker role and the consumer it runs. Any process may run any set of roles. */
const ROLE_FACTORIES = {
  'event-recorder': async (services: Services): Promise<ConsumerSpec<any>> => {
    const eventLog = new EventLog(services.mongo);
    await eventLog.ensureIndexes();
    return eventRecorderConsumer({
      queue: queues(services.config.TOPOLOGY_PREFIX).eventRecorder,
      prefetch: services.config.CONSUMER_PREFETCH,
      eventLog,
    });
  },
} satisfies Record<string, (services: Services) => Promise<ConsumerSpec<any>>>;

export type WorkerRole = keyof typeof ROLE_FACTORIES;
export const KNOWN_ROLES = Object.keys(ROLE_FACTORIES) as WorkerRole[];

export interface Worker {
  roles: WorkerRole[];
  stop(): Promise<void>;
}

export async function startWorker(services: Services, roles: WorkerRole[]): Promise<Worker> {
  const { config } = services;
  const runners = await Promise.all(
    roles.map(async (role) => {
      const spec = await ROLE_FACTORIES[role](services);
      const runner = new ConsumerRunner(spec, {
        broker: services.broker,
        publisher: services.publisher,
        logger: services.logger,
        errorReporter: services.errorReporter,
        retryPolicy: { maxAttempts: config.RETRY_MAX_ATTEMPTS, baseDelayMs: config.RETRY_BASE_DELAY_MS, maxDelayMs: config.RETRY_MAX_DELAY_MS },
        prefix: config.TOPOLOGY_PREFIX,
        maxMessageBytes: config.MAX_MESSAGE_BYTES,
      });
      await runner.start();
      return runner;
    }),
  );
  services.logger.info('worker started', { roles });
  return {
    roles,
    async stop() {
      await Promise.all(runners.map((runner) => runner.stop(config.SHUTDOWN_TIMEOUT_MS)));
    },
  };
}
