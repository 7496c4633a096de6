import { campaignProcessConsumer } from '../../consumers/campaign-process';
import { contactPrepareConsumer } from '../../consumers/contact-prepare';
import { contactSyncConsumer } from '../../consumers/contact-sync';
import { type DispatchDeps, dispatchLaneConsumer, throughputLaneConsumer } from '../../consumers/dispatch-lane';
import { eventRecorderConsumer } from '../../consumers/event-recorder';
import type { PipelineDeps } from '../application/pipeline-deps';
import { laneModes } from '../application/shippings/lane-modes';
import { ThroughputLanes } from '../application/shippings/throughput-lane';
import { DEFAULT_CLOUD_API_OPTIONS } from '../infrastructure/gateways/gateway-provider';
import { EventLog } from '../infrastructure/mongo/event-log';
import { ConsumerRunner, type ConsumerRunnerDeps } from '../infrastructure/rabbitmq/consumer-runner';
import {
  type ConsumerHandler,
  consumerSpec,
  type MessageOfSubscription,
} from '../infrastructure/rabbitmq/subscription';
import { type DisparoSubscription, SUBSCRIPTIONS, type SubscriptionName, subscription } from '../topology';
import { startCampaignCheck } from './campaign-check';
import { LaneSupervisor } from './lane-supervisor';
import { gatewaysOf, pipelineDeps } from './pipeline';
import type { Services } from './services';
import { WhatsAppWebHost } from './whatsapp-web-host';

/** Waits `ms`, or resolves as soon as `signal` aborts. */
function abortableSleep(ms: number, signal?: AbortSignal): Promise<void> {
  return new Promise((resolve) => {
    if (signal?.aborted) return resolve();
    const done = () => {
      clearTimeout(timer);
      signal?.removeEventListener('abort', done);
      resolve();
    };
    const timer = setTimeout(done, ms);
    signal?.addEventListener('abort', done, { once: true });
  });
}

interface Running {
  stop(timeoutMs: number): Promise<void>;
}

type RoleContext = { services: Services; pipeline: PipelineDeps; runnerDeps: ConsumerRunnerDeps };

/**
 * The handler of every subscription in src/topology.ts, built for this process. The subscription
 * says the queue, what it consumes and the prefetch; the type checks each handler takes its messages.
 * The dispatch subscription (one queue per connection) gets its handler per lane in `startLanes`.
 */
const HANDLERS: {
  [N in Exclude<SubscriptionName, 'dispatch'>]: (
    context: RoleContext,
  ) => Promise<ConsumerHandler<MessageOfSubscription<Extract<DisparoSubscription, { name: N }>>>>;
} = {
  'event-recorder': async ({ services }) => {
    const eventLog = new EventLog(services.mongo);
    await eventLog.ensureIndexes();
    return eventRecorderConsumer({ eventLog });
  },
  'campaign-process': async ({ services, pipeline }) =>
    campaignProcessConsumer({
      ...pipeline,
      // A due template campaign's template is checked again against each number's catalogue.
      gateways: gatewaysOf(services, pipeline, {
        ...DEFAULT_CLOUD_API_OPTIONS,
        timeoutMs: services.config.CLOUD_API_TIMEOUT_MS,
      }),
      templateMaxAgeMs: services.config.TEMPLATE_REFRESH_MS,
      // It prepares a campaign's first batch itself, handing the shippings to their lanes.
      laneHandoffMs: services.config.LANE_HANDOFF_MS,
    }),
  'contact-prepare': async ({ services, pipeline }) =>
    contactPrepareConsumer({ ...pipeline, laneHandoffMs: services.config.LANE_HANDOFF_MS }),
  'contact-sync': async ({ services, pipeline }) => {
    const gateways = gatewaysOf(services, pipeline, {
      ...DEFAULT_CLOUD_API_OPTIONS,
      timeoutMs: services.config.CLOUD_API_TIMEOUT_MS,
    });
    return contactSyncConsumer({ ...pipeline, gateways });
  },
};

async function runSubscription(name: keyof typeof HANDLERS, context: RoleContext): Promise<Running> {
  const handler = (await HANDLERS[name](context)) as ConsumerHandler<unknown>;
  const runner = new ConsumerRunner(
    consumerSpec(subscription(name), handler, {
      prefix: context.services.config.TOPOLOGY_PREFIX,
      CONSUMER_PREFETCH: context.services.config.CONSUMER_PREFETCH,
    }),
    context.runnerDeps,
  );
  await runner.start();
  return runner;
}

function startLanes({ services, pipeline, runnerDeps }: RoleContext): Promise<Running> {
  const { config } = services;
  // The WhatsApp Web sockets this worker holds, shared by its gateways and its WhatsApp Web host.
  const sessions: WhatsAppWebHost['sessions'] = new Map();
  // Aborts every held wait at shutdown, so held messages go back to their lanes at once.
  const stopping = new AbortController();
  const deps: DispatchDeps = {
    ...pipeline,
    gateways: gatewaysOf(
      services,
      pipeline,
      {
        timeoutMs: config.CLOUD_API_TIMEOUT_MS,
        laneCoolDownMs: config.CLOUD_API_LANE_COOLDOWN_MS,
        contactRetryMs: config.CLOUD_API_CONTACT_RETRY_MS,
      },
      { sessions, laneCoolDownMs: config.WHATSAPP_WEB_LANE_COOLDOWN_MS },
    ),
    errorReporter: services.errorReporter,
    maxHoldMs: config.DISPATCH_MAX_HOLD_MS,
    earlyHoldMs: config.DISPATCH_EARLY_HOLD_MS,
    sleep: abortableSleep,
    stopping: stopping.signal,
    windowMaxGapMs: config.DISPATCH_WINDOW_MAX_GAP_MS,
    laneModeSeen: (connectionId, mode) => supervisor.noteMode(connectionId, mode),
  };
  const laneConsumer = (connectionId: string) =>
    consumerSpec(
      subscription('dispatch'),
      dispatchLaneConsumer(deps, connectionId) as ConsumerHandler<unknown>,
      { prefix: config.TOPOLOGY_PREFIX, CONSUMER_PREFETCH: config.CONSUMER_PREFETCH },
      connectionId,
    );
  const throughputLanes = new ThroughputLanes(deps, {
    maxGapMs: config.DISPATCH_WINDOW_MAX_GAP_MS,
    batchSpanMs: config.DISPATCH_BATCH_SPAN_MS,
    maxBatch: Math.max(1, Math.floor(config.DISPATCH_WINDOW_PREFETCH / 2)),
  });
  const supervisor = new LaneSupervisor(
    deps,
    laneConsumer,
    runnerDeps,
    {
      refreshMs: config.LANE_REFRESH_MS,
      heartbeatMs: config.LANE_HEARTBEAT_MS,
      memberTtlMs: config.LANE_MEMBER_TTL_MS,
      standbys: config.LANE_STANDBYS,
      consumersPerChannel: config.LANE_CONSUMERS_PER_CHANNEL,
      channelsPerConnection: config.LANE_CHANNELS_PER_CONNECTION,
      brokerHeartbeatSeconds: config.LANE_BROKER_HEARTBEAT_S,
    },
    undefined,
    {
      prefetch: config.DISPATCH_WINDOW_PREFETCH,
      consumer: (connectionId) => ({
        ...consumerSpec(
          subscription('dispatch'),
          throughputLaneConsumer(throughputLanes, connectionId) as ConsumerHandler<unknown>,
          { prefix: config.TOPOLOGY_PREFIX, CONSUMER_PREFETCH: config.CONSUMER_PREFETCH },
          connectionId,
        ),
        prefetch: config.DISPATCH_WINDOW_PREFETCH,
      }),
      modes: (connectionIds) => laneModes(pipeline, connectionIds, config.DISPATCH_WINDOW_MAX_GAP_MS),
      release: (connectionId) => throughputLanes.release(connectionId),
    },
  );
  // A WhatsApp Web number's lane is subscribed by the worker that holds its socket (a lease).
  const web = new WhatsAppWebHost(
    deps,
    laneConsumer,
    runnerDeps,
    {
      sessionKey: config.WHATSAPP_SESSION_KEY,
      leaseMs: config.WHATSAPP_WEB_LEASE_MS,
      refreshMs: config.LANE_REFRESH_MS,
      reconnectBaseMs: 1_000,
      reconnectMaxMs: config.WHATSAPP_WEB_RECONNECT_MAX_MS,
    },
    sessions,
  );
  return (async () => {
    await web.start();
    await supervisor.start();
    return {
      async stop(timeoutMs: number) {
        stopping.abort();
        await Promise.all([supervisor.stop(timeoutMs), web.stop(timeoutMs)]);
      },
    };
  })();
}

function startScheduler({ services, pipeline }: RoleContext): Running {
  const { config } = services;
  const gateways = gatewaysOf(services, pipeline, {
    ...DEFAULT_CLOUD_API_OPTIONS,
    timeoutMs: config.CLOUD_API_TIMEOUT_MS,
  });
  const check = startCampaignCheck(
    { ...pipeline, gateways },
    {
      cron: config.CAMPAIGN_CHECK_CRON,
      recountAfterMs: config.COUNTER_RECOUNT_AFTER_MS,
      retentionDays: config.EVENT_RETENTION_DAYS,
      templateRefreshMs: config.TEMPLATE_REFRESH_MS,
      reconcile: {
        everyMs: config.RECONCILE_EVERY_MS,
        stuckAfterMs: config.RECONCILE_STUCK_AFTER_MS,
        limit: config.RECONCILE_BATCH,
      },
      errorReporter: services.errorReporter,
      eventLog: new EventLog(services.mongo),
    },
  );
  return { stop: () => check.stop() };
}

/** Roles that run no subscription: the scheduler's timers. */
export const TIMER_ROLES = ['scheduler'] as const;

/** Every worker role: one per subscription, plus the timer roles. Any process may run any set of roles. */
export const KNOWN_ROLES = [...new Set(SUBSCRIPTIONS.map((each) => each.role)), ...TIMER_ROLES] as WorkerRole[];

/** Starts what a role runs: its subscriptions' consumers (the dispatch lanes for `dispatch`), or its timers. */
async function startRole(role: WorkerRole, context: RoleContext): Promise<Running[]> {
  if (role === 'scheduler') return [startScheduler(context)];
  return Promise.all(
    SUBSCRIPTIONS.filter((each) => each.role === role).map((each) =>
      each.name === 'dispatch' ? startLanes(context) : runSubscription(each.name, context),
    ),
  );
}

export type WorkerRole = DisparoSubscription['role'] | (typeof TIMER_ROLES)[number];

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
  const running = (await Promise.all(roles.map((role) => startRole(role, { services, pipeline, runnerDeps })))).flat();
  services.logger.info('worker started', { roles });
  return {
    roles,
    async stop() {
      await Promise.all(running.map((part) => part.stop(config.SHUTDOWN_TIMEOUT_MS)));
    },
  };
}
