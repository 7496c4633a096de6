import { Counter, collectDefaultMetrics, Gauge, Histogram, Registry } from 'prom-client';

/** How a delivery ended: handled, sent back for a later retry, or dead-lettered. */
export type ConsumeOutcome = 'ack' | 'retry' | 'dead';

/** Why a message was dead-lettered: the bounded `reason` label of `disparo_dead_letters_total`. */
export type DeadLetterKind = 'malformed' | 'invalid' | 'oversized' | 'permanent' | 'exhausted';

/**
 * Every Prometheus metric Disparo exports, on one registry per process (docs/metrics.md lists
 * names and labels). Components receive this object and call its named methods, so a metric's
 * name and labels are spelled once, here.
 */
export class Metrics {
  readonly registry = new Registry();

  private readonly eventsPublished = new Counter({
    name: 'disparo_events_published_total',
    help: 'Messages confirmed by the broker, by message type.',
    labelNames: ['type'],
    registers: [this.registry],
    collect: () => this.flushPublished(),
  });

  /**
   * Confirms counted since the last scrape. prom-client hashes the label set on every inc, which
   * showed in the publish benchmark at tens of thousands of messages per second; a plain map
   * increment does not, and the scrape adds the deltas.
   */
  private readonly publishedSinceScrape = new Map<string, number>();

  private readonly messagesConsumed = new Counter({
    name: 'disparo_messages_consumed_total',
    help: 'Deliveries handled, by consumer, message type and outcome (ack, retry, dead).',
    labelNames: ['consumer', 'type', 'outcome'],
    registers: [this.registry],
  });

  private readonly handlerDuration = new Histogram({
    name: 'disparo_handler_duration_seconds',
    help: 'Time a consumer handler took, by consumer and message type.',
    labelNames: ['consumer', 'type'],
    buckets: [0.001, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10, 30],
    registers: [this.registry],
  });

  private readonly retries = new Counter({
    name: 'disparo_retries_total',
    help: 'Deliveries sent back through the delay levels after a transient failure, by consumer and error.',
    labelNames: ['consumer', 'reason'],
    registers: [this.registry],
  });

  private readonly deadLetters = new Counter({
    name: 'disparo_dead_letters_total',
    help: 'Deliveries moved to a dead-letter queue, by consumer and reason kind.',
    labelNames: ['consumer', 'reason'],
    registers: [this.registry],
  });

  private readonly sends = new Counter({
    name: 'disparo_sends_total',
    help: 'WhatsApp sends by connection and outcome (sent, or the gateway decision that stopped it).',
    labelNames: ['connection_id', 'outcome'],
    registers: [this.registry],
  });

  private readonly laneLag = new Gauge({
    name: 'disparo_lane_lag_seconds',
    help: 'Now minus the planned time of the message a lane sent last, by connection.',
    labelNames: ['connection_id'],
    registers: [this.registry],
  });

  private readonly sendLag = new Histogram({
    name: 'disparo_send_lag_seconds',
    help: 'Now minus the planned time, for every send.',
    buckets: [0.01, 0.05, 0.1, 0.5, 1, 5, 15, 60, 300, 1800],
    registers: [this.registry],
  });

  private readonly gatewayErrors = new Counter({
    name: 'disparo_gateway_errors_total',
    help: "Errors answered by a WhatsApp gateway, by gateway kind, provider code and Disparo's decision.",
    labelNames: ['gateway', 'code', 'decision'],
    registers: [this.registry],
  });

  private readonly suppressionChanges = new Counter({
    name: 'disparo_suppression_changes_total',
    help: 'Phones put on (opted-out) or taken off (opted-in) a suppression list, by source (opt-out, opt-in, api, import).',
    labelNames: ['change', 'source'],
    registers: [this.registry],
  });

  private readonly autoPauses = new Counter({
    name: 'disparo_campaigns_auto_paused_total',
    help: 'Running campaigns paused automatically because their sends failed past the threshold.',
    registers: [this.registry],
  });

  private readonly campaigns = new Gauge({
    name: 'disparo_campaigns',
    help: 'Campaigns by status (counted when scraped, at most every few seconds).',
    labelNames: ['status'],
    registers: [this.registry],
    collect: () => this.collectCampaigns(),
  });

  private campaignCounts:
    | { read: () => Promise<Record<string, number>>; maxAgeMs: number; at: number; counts: Record<string, number> }
    | undefined;

  private readonly httpDuration = new Histogram({
    name: 'disparo_http_request_duration_seconds',
    help: 'API requests by method, route pattern and status code.',
    labelNames: ['method', 'route', 'status'],
    buckets: [0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 10],
    registers: [this.registry],
  });

  /** Label children resolved once per label set (the consume path runs at tens of thousands per second). */
  private readonly consumedChildren = new Map<
    string,
    { count: Counter.Internal; duration: Histogram.Internal<string> }
  >();

  constructor(options: { defaultMetrics?: boolean } = {}) {
    if (options.defaultMetrics ?? true) collectDefaultMetrics({ register: this.registry, prefix: 'disparo_' });
  }

  suppressionChanged(change: 'opted-out' | 'opted-in', source: string, count = 1): void {
    this.suppressionChanges.inc({ change, source }, count);
  }

  campaignAutoPaused(): void {
    this.autoPauses.inc();
  }

  published(type: string): void {
    this.publishedSinceScrape.set(type, (this.publishedSinceScrape.get(type) ?? 0) + 1);
  }

  private flushPublished(): void {
    for (const [type, count] of this.publishedSinceScrape) this.eventsPublished.inc({ type }, count);
    this.publishedSinceScrape.clear();
  }

  consumed(consumer: string, type: string, outcome: ConsumeOutcome, seconds: number): void {
    const key = `${consumer}\u0000${type}\u0000${outcome}`;
    let children = this.consumedChildren.get(key);
    if (!children) {
      children = {
        count: this.messagesConsumed.labels(consumer, type, outcome),
        duration: this.handlerDuration.labels(consumer, type),
      };
      this.consumedChildren.set(key, children);
    }
    children.count.inc();
    children.duration.observe(seconds);
  }

  retried(consumer: string, reason: string): void {
    this.retries.labels(consumer, reason).inc();
  }

  deadLettered(consumer: string, reason: DeadLetterKind): void {
    this.deadLetters.labels(consumer, reason).inc();
  }

  /** A send attempt's end; `lagMs` is now minus the message's planned time. */
  sent(connectionId: string, outcome: string, lagMs?: number): void {
    this.sends.labels(connectionId, outcome).inc();
    if (lagMs === undefined) return;
    this.laneLag.labels(connectionId).set(lagMs / 1000);
    this.sendLag.observe(Math.max(0, lagMs) / 1000);
  }

  httpRequest(method: string, route: string, status: number, seconds: number): void {
    this.httpDuration.labels(method, route, String(status)).observe(seconds);
  }

  gatewayError(gateway: string, code: string, decision: string): void {
    this.gatewayErrors.labels(gateway, code, decision).inc();
  }

  /** Registers how campaign counts are read; read on scrape, at most every `maxAgeMs`. */
  countCampaignsWith(read: () => Promise<Record<string, number>>, maxAgeMs = 5_000): void {
    this.campaignCounts = { read, maxAgeMs, at: 0, counts: {} };
  }

  private async collectCampaigns(): Promise<void> {
    const source = this.campaignCounts;
    if (!source) return;
    if (Date.now() - source.at >= source.maxAgeMs) {
      source.counts = await source.read();
      source.at = Date.now();
    }
    this.campaigns.reset();
    for (const [status, count] of Object.entries(source.counts)) this.campaigns.labels(status).set(count);
  }

  /** The text exposition format, for `GET /metrics`. */
  async exposition(): Promise<{ contentType: string; body: string }> {
    return { contentType: this.registry.contentType, body: await this.registry.metrics() };
  }
}
