import { z } from 'zod';

/**
 * Every environment variable Disparo reads, validated once at start-up. `.env.example` documents
 * each one; keep the two in step (a unit test checks that they list the same names).
 */
const int = (min: number) => z.coerce.number().int().min(min);

export const ConfigSchema = z.object({
  NODE_ENV: z.enum(['development', 'test', 'production']).default('development'),
  LOG_LEVEL: z.enum(['silent', 'error', 'warn', 'info', 'debug']).default('info'),

  /**
   * The broker, or the nodes of a RabbitMQ cluster as a comma-separated list: connections go to the
   * first node that answers and move on to the next when it goes away.
   */
  RABBITMQ_URL: z
    .string()
    .refine(
      (value) => value.split(',').every((url) => /^amqps?:\/\/\S+$/.test(url.trim())),
      'must be an amqp:// or amqps:// URL, or a comma-separated list of them (one per cluster node)',
    ),
  RABBITMQ_MANAGEMENT_URL: z
    .string()
    .regex(/^https?:\/\/\S+$/, 'must be an http(s):// URL')
    .optional(),
  MONGO_URL: z.string().regex(/^mongodb(\+srv)?:\/\/\S+$/, 'must be a mongodb:// URL'),
  /** Prefix of every exchange and queue name, so several deployments can share one vhost. */
  TOPOLOGY_PREFIX: z
    .string()
    .regex(/^[a-z][a-z0-9-]*$/, 'must be lower-case letters, digits and dashes')
    .default('disparo'),

  HTTP_HOST: z.string().min(1).default('0.0.0.0'),
  HTTP_PORT: int(0).max(65535).default(3000),
  /** Where `disparo worker` serves /metrics and /healthz (the API serves them itself). */
  METRICS_HOST: z.string().min(1).default('0.0.0.0'),
  METRICS_PORT: int(0).max(65535).default(9464),
  /**
   * How long an API process remembers an API key's company and a company's pacing (0: never). A key
   * revoked through one process is refused there at once, by the other API processes within this.
   */
  API_CACHE_MS: int(0).max(600_000).default(5_000),

  /** Comma-separated worker roles this process runs, or `all`. */
  WORKER_ROLES: z.string().min(1).default('all'),
  CONSUMER_PREFETCH: int(1).max(5000).default(50),
  PUBLISH_TIMEOUT_MS: int(100).default(15_000),
  /**
   * Starting while the broker is down or slow: each connection attempt waits this long, then a
   * warning is logged and the next attempt follows after a backoff (doubling, capped at
   * BROKER_RETRY_MAX_MS). A process keeps trying; it never exits for an unreachable broker.
   */
  BROKER_CONNECT_TIMEOUT_MS: int(100).default(10_000),
  BROKER_RETRY_MAX_MS: int(100).default(30_000),
  /** Publishes allowed to wait for a confirm at once; further publishes wait (back-pressure). */
  PUBLISH_MAX_IN_FLIGHT: int(1).default(5_000),
  RETRY_MAX_ATTEMPTS: int(0).default(8),
  RETRY_BASE_DELAY_MS: int(1).default(1_000),
  RETRY_MAX_DELAY_MS: int(1).default(3_600_000),
  /** Broker-side guard against crash loops: deliveries of one message before it is dead-lettered. */
  QUEUE_DELIVERY_LIMIT: int(1).default(20),
  MAX_MESSAGE_BYTES: int(1024).default(256 * 1024),
  SHUTDOWN_TIMEOUT_MS: int(0).default(30_000),

  /** node-cron expression (with seconds) of the scheduled-campaign check. */
  CAMPAIGN_CHECK_CRON: z
    .string()
    .refine(
      (value) => value.trim().split(/\s+/).length === 6,
      'must be a node-cron expression with a seconds field, e.g. "*/20 * * * * *"',
    )
    .default('*/20 * * * * *'),
  /** A running campaign quiet this long has its counters recounted from its shippings. */
  COUNTER_RECOUNT_AFTER_MS: int(100).default(60_000),
  /** How often the scheduler role looks for shippings a crash left stuck (0: never). */
  RECONCILE_EVERY_MS: int(0).default(300_000),
  /** A shipping is stuck when still queued this long past its planned time, or sending this long after its claim. */
  RECONCILE_STUCK_AFTER_MS: int(100).default(900_000),
  /** Most stuck shippings handled in one pass. */
  RECONCILE_BATCH: int(1).default(200),
  /**
   * How often a dispatch worker re-reads every connection as a safety net. New numbers reach the
   * workers at once through the ConnectionCreated event; this only catches one an outage hid.
   */
  LANE_REFRESH_MS: int(50).default(300_000),
  /** How often a dispatch worker renews its membership (MongoDB) and re-reads who else is alive. */
  LANE_HEARTBEAT_MS: int(50).default(2_000),
  /** A dispatch worker silent this long counts as gone: its share of the lanes moves to the others. */
  LANE_MEMBER_TTL_MS: int(200).default(10_000),
  /** Dispatch workers holding each lane besides its owner (standbys, ready to take over at once). */
  LANE_STANDBYS: int(0).max(10).default(1),
  /** Lane consumers sharing one AMQP channel (each keeps its own prefetch of 1). */
  LANE_CONSUMERS_PER_CHANNEL: int(1).max(5_000).default(250),
  /** Channels per AMQP connection for lane consumers; more lanes open more connections (broker channel_max 2047). */
  LANE_CHANNELS_PER_CONNECTION: int(1).max(2_047).default(1_000),
  /**
   * AMQP heartbeat of the lane consumers' connections, seconds (two missed close the connection).
   * Longer than the other connections' 5 s: a node busy with thousands of lane queues can go
   * silent for over 10 s, and dropping a connection re-subscribes every lane it carried.
   */
  LANE_BROKER_HEARTBEAT_S: int(1).max(600).default(20),
  /** Shippings planned within this window go straight into their lane, which holds them until their time. */
  LANE_HANDOFF_MS: int(0).default(60_000),
  /** Longest pacing wait a lane spends holding a message (the broker's consumer timeout is 30 min). */
  DISPATCH_MAX_HOLD_MS: int(0).default(300_000),
  /**
   * Longest a lane holds a message for its planned time (or window) beyond the number's pacing wait;
   * one due later goes back through the delay levels, so a due message behind it never waits for it.
   */
  DISPATCH_EARLY_HOLD_MS: int(0).default(500),
  /**
   * A number with a provider throughput (a Cloud API number) whose start gap, max(messageInterval,
   * 1 s / throughput), is shorter than this sends in throughput mode: batches of sends with calls
   * overlapping, each start still a full gap after the previous. Every other number sends one call at
   * a time. About a provider round trip.
   */
  DISPATCH_WINDOW_MAX_GAP_MS: int(1).default(250),
  /** Deliveries a throughput lane's consumer holds at once (its prefetch): calls in flight plus the next batches. */
  DISPATCH_WINDOW_PREFETCH: int(1).max(5_000).default(500),
  /**
   * A throughput lane's batch holds the sends starting within this long (fewer, larger batches: fewer
   * database round trips per send). Pause and cancel still act within 100 ms: the campaigns of the
   * sends claimed and not started are read again that often.
   */
  DISPATCH_BATCH_SPAN_MS: int(1).max(1_000).default(1_000),
  /** WhatsApp Cloud API: time allowed for each call to the provider. */
  CLOUD_API_TIMEOUT_MS: int(100).default(15_000),
  /** WhatsApp Cloud API: how long a number cools down after a throughput limit (130429). */
  CLOUD_API_LANE_COOLDOWN_MS: int(0).default(60_000),
  /** WhatsApp Cloud API: how long before a contact is tried again after a pair rate limit (131056). */
  CLOUD_API_CONTACT_RETRY_MS: int(0).default(60_000),
  /**
   * Message templates: a connection's catalogue older than this is read again from the provider
   * before a template campaign is checked, and the scheduler role refreshes catalogues this often.
   */
  TEMPLATE_REFRESH_MS: int(1_000).default(3_600_000),
  /**
   * WhatsApp Web (connections with gateway whatsapp-web): key sealing their sessions at rest,
   * AES-256-GCM, 32 bytes as 64 hex digits or base64. Required once such a connection exists.
   */
  WHATSAPP_SESSION_KEY: z
    .string()
    .regex(/^([0-9a-fA-F]{64}|[A-Za-z0-9+/]{43}=?)$/, 'must be 32 bytes as 64 hex digits or base64')
    .optional(),
  /** WhatsApp Web: how long a process holds a number's socket without renewing its lease (failover time). */
  WHATSAPP_WEB_LEASE_MS: int(1_000).default(30_000),
  /** WhatsApp Web: longest wait between reconnection attempts after a transient close. */
  WHATSAPP_WEB_RECONNECT_MAX_MS: int(100).default(60_000),
  /** WhatsApp Web: how long a number cools down after a rate or spam signal. */
  WHATSAPP_WEB_LANE_COOLDOWN_MS: int(0).default(300_000),
  /** Recorded events older than this are deleted by the scheduler role (0 keeps them forever). */
  EVENT_RETENTION_DAYS: int(0).default(90),
  /** Copies a debug replay puts in `<prefix>.replay.debug` expire after this (per-message TTL). */
  REPLAY_DEBUG_TTL_MS: int(1_000).default(7 * 86_400_000),
  /** Key for the admin routes (creating companies). Unset: those routes answer 403. */
  ADMIN_API_KEY: z.string().min(16, 'must be at least 16 characters').optional(),
  /** `start` only: seed a demo company, list and campaign on the sandbox and print where to look. */
  DEMO: z
    .enum(['true', 'false'])
    .default('false')
    .transform((value) => value === 'true'),

  SENTRY_DSN: z.string().url('must be a Sentry DSN URL').optional(),
  SENTRY_ENVIRONMENT: z.string().min(1).optional(),
});

export type Config = z.infer<typeof ConfigSchema>;

export class ConfigError extends Error {
  override name = 'ConfigError';
}

/** Parses the environment; empty strings count as unset so `.env` files can leave values blank. */
export function loadConfig(env: NodeJS.ProcessEnv = process.env): Config {
  const present = Object.fromEntries(Object.entries(env).filter(([, value]) => value !== undefined && value !== ''));
  const parsed = ConfigSchema.safeParse(present);
  if (parsed.success) return parsed.data;
  const problems = parsed.error.issues.map((issue) => {
    const name = issue.path.join('.');
    const message = issue.code === 'invalid_type' && present[name] === undefined ? 'is required' : issue.message;
    return `${name} ${message}`;
  });
  throw new ConfigError(`invalid configuration: ${problems.join('; ')}`);
}

/** The broker URLs of RABBITMQ_URL (one, or one per cluster node). */
export function rabbitmqUrls(config: Pick<Config, 'RABBITMQ_URL'>): string[] {
  return config.RABBITMQ_URL.split(',')
    .map((url) => url.trim())
    .filter(Boolean);
}

export function workerRoles(config: Config, known: readonly string[]): string[] {
  const asked = config.WORKER_ROLES.split(',')
    .map((role) => role.trim())
    .filter(Boolean);
  if (asked.includes('all')) return [...known];
  const unknown = asked.filter((role) => !known.includes(role));
  if (unknown.length > 0) {
    throw new ConfigError(`WORKER_ROLES has unknown roles: ${unknown.join(', ')} (known: ${known.join(', ')}, all)`);
  }
  return asked;
}
