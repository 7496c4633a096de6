import { campaignProcessConsumer } from '../../consumers/campaign-process';
import { contactPrepareConsumer } from '../../consumers/contact-prepare';
import { contactSyncConsumer } from '../../consumers/contact-sync';
import { eventRecorderConsumer } from '../../consumers/event-recorder';
import type { PipelineDeps } from '../application/pipeline-deps';
import { createGatewayProvider, DEFAULT_CLOUD_API_OPTIONS } from '../infrastructure/gateways/gateway-provider';
import { EventLog } from '../infrastructure/mongo/event-log';
import { ConsumerRunner, type ConsumerRunnerDeps, type ConsumerSpec } from '../infrastructure/rabbitmq/consumer-runner';
import { startCampaignCheck } from './campaign-check';
import { LaneSupervisor } from './lane-supervisor';
import { pipelineDeps } from './pipeline';
import type { Services } from './services';

interface Running {
  stop(timeoutMs: number): Promise<void>;
}

type RoleContext = { services: Services; pipeline: PipelineDeps; runnerDeps: ConsumerRunnerDeps };

// biome-ignore lint/suspicious/noExplicitAny: each role passes its own message type
async function runConsumer(spec: ConsumerSpec<any>, runnerDeps: ConsumerRunnerDeps): Promise<Running> {
  const runner = new ConsumerRunner(spec, runnerDeps);
  await runner.start();
  return runner;
}

/** Every worker role and how it starts. Any process may run any set of roles. */
const ROLES = {
  'event-recorder': async ({ services, pipeline, runnerDeps }: RoleContext) => {
    const eventLog = new EventLog(services.mongo);
    await eventLog.ensureIndexes();
    return runConsumer(
      eventRecorderConsumer({
        queue: pipeline.queues.eventRecorder,
        prefetch: services.config.CONSUMER_PREFETCH,
        eventLog,
      }),
      runnerDeps,
    );
  },
  'campaign-process': async ({ pipeline, runnerDeps }: RoleContext) =>
    runConsumer(campaignProcessConsumer({ ...pipeline, prefetch: 2 }), runnerDeps),
  'contact-prepare': async ({ services, pipeline, runnerDeps }: RoleContext) =>
    runConsumer(
      contactPrepareConsumer({ ...pipeline, prefetch: 4, laneHandoffMs: services.config.LANE_HANDOFF_MS }),
      runnerDeps,
    ),
  'contact-sync': async ({ services, pipeline, runnerDeps }: RoleContext) => {
    const gateways = createGatewayProvider(pipeline.models, services.mongo, undefined, {
      ...DEFAULT_CLOUD_API_OPTIONS,
      timeoutMs: services.config.CLOUD_API_TIMEOUT_MS,
    });
    return runConsumer(contactSyncConsumer({ ...pipeline, gateways, prefetch: 2 }), runnerDeps);
  },
  dispatch: async ({ services, pipeline, runnerDeps }: RoleContext) => {
    const supervisor = new LaneSupervisor(
      {
        ...pipeline,
        gateways: createGatewayProvider(pipeline.models, services.mongo, undefined, {
          timeoutMs: services.config.CLOUD_API_TIMEOUT_MS,
          laneCoolDownMs: services.config.CLOUD_API_LANE_COOLDOWN_MS,
          contactRetryMs: services.config.CLOUD_API_CONTACT_RETRY_MS,
        }),
        errorReporter: services.errorReporter,
        maxHoldMs: services.config.DISPATCH_MAX_HOLD_MS,
        sleep: (ms) => new Promise((resolve) => setTimeout(resolve, ms)),
      },
      runnerDeps,
      {
        refreshMs: services.config.LANE_REFRESH_MS,
        heartbeatMs: services.config.LANE_HEARTBEAT_MS,
        memberTtlMs: services.config.LANE_MEMBER_TTL_MS,
        standbys: services.config.LANE_STANDBYS,
        consumersPerChannel: services.config.LANE_CONSUMERS_PER_CHANNEL,
        channelsPerConnection: services.config.LANE_CHANNELS_PER_CONNECTION,
      },
    );
    await supervisor.start();
    return supervisor;
  },
  scheduler: async ({ services, pipeline }: RoleContext) => {
    const { config } = services;
    const gateways = createGatewayProvider(pipeline.models, services.mongo, undefined, {
      ...DEFAULT_CLOUD_API_OPTIONS,
      timeoutMs: config.CLOUD_API_TIMEOUT_MS,
    });
    const check = startCampaignCheck(
      { ...pipeline, gateways },
      {
        cron: config.CAMPAIGN_CHECK_CRON,
        recountAfterMs: config.COUNTER_RECOUNT_AFTER_MS,
        retentionDays: config.EVENT_RETENTION_DAYS,
        reconcile: {
          everyMs: config.RECONCILE_EVERY_MS,
          stuckAfterMs: config.RECONCILE_STUCK_AFTER_MS,
          limit: config.RECONCILE_BATCH,
        },
        errorReporter: services.errorReporter,
      },
    );
    return { stop: () => check.stop() };
  },
} satisfies Record<string, (context: RoleContext) => Promise<Running>>;

export type WorkerRole = keyof typeof ROLES;
export const KNOWN_ROLES = Object.keys(ROLES) as WorkerRole[];

export interface Worker {
  roles: WorkerRole[];
  stop(): Promise<void>;
}

export async function startWorker(services: Services, roles: WorkerRole[]): Promise<Worker> {
  const { config } = services;
  const pipeline = await pipelineDeps(services);
  const runnerDeps: ConsumerRunnerDeps = {
    broker: services.broker,
    publisher: services.publisher,
    logger: services.logger,
    errorReporter: services.errorReporter,
    metrics: services.metrics,
    retryPolicy: {
      maxAttempts: config.RETRY_MAX_ATTEMPTS,
      baseDelayMs: config.RETRY_BASE_DELAY_MS,
      maxDelayMs: config.RETRY_MAX_DELAY_MS,
    },
    prefix: config.TOPOLOGY_PREFIX,
    maxMessageBytes: config.MAX_MESSAGE_BYTES,
  };
  const running = await Promise.all(roles.map((role) => ROLES[role]({ services, pipeline, runnerDeps })));
  services.logger.info('worker started', { roles });
  return {
    roles,
    async stop() {
      await Promise.all(running.map((part) => part.stop(config.SHUTDOWN_TIMEOUT_MS)));
    },
  };
}
