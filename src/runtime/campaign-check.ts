import cron, { type Logger as CronLogger, type ScheduledTask } from 'node-cron';
import { recountQuietCampaigns } from '../application/campaigns/campaign-completion';
import { checkScheduledCampaigns } from '../application/campaigns/campaign-scheduling';
import type { PipelineDeps } from '../application/pipeline-deps';
import { type ReconcileOptions, reconcileStuckShippings } from '../application/shipping-reconciler';
import { refreshStaleCatalogues } from '../application/templates/template-catalogue';
import type { GatewayProvider } from '../infrastructure/gateways/gateway-provider';
import type { EventLog } from '../infrastructure/mongo/event-log';
import type { ErrorReporter } from '../infrastructure/observability/error-reporter';
import { errorFields, type Logger } from '../infrastructure/observability/logger';

const PURGE_EVERY_MS = 10 * 60_000;
/** Most often the scheduler looks for template catalogues to refresh (each is refreshed every templateRefreshMs). */
const TEMPLATE_SWEEP_MS = 60_000;

/**
 * The scheduler role: node-cron runs the scheduled-campaign check (every 20 s by default). Any
 * number of instances may run it; the atomic claim in queueIfDue makes each campaign due once.
 * Less often (`reconcile.everyMs`), the same run finishes shippings a crash left stuck; several
 * instances reconciling at once is safe (every change is a compare-and-set, the lane drops copies).
 */
export function startCampaignCheck(
  deps: PipelineDeps & { gateways: GatewayProvider },
  options: {
    cron: string;
    recountAfterMs: number;
    retentionDays: number;
    /** Template catalogues older than this are read again from their provider (TEMPLATE_REFRESH_MS; absent: never). */
    templateRefreshMs?: number;
    reconcile: ReconcileOptions & { everyMs: number };
    errorReporter: ErrorReporter;
    /** Where events older than `retentionDays` are purged from. */
    eventLog: Pick<EventLog, 'purge'>;
  },
): { stop(): Promise<void> } {
  const { eventLog } = options;
  let lastPurge = 0;
  let lastReconcile = deps.now();
  let lastTemplateSweep = 0;
  const run = async () => {
    try {
      const { queued, resent } = await checkScheduledCampaigns(deps);
      const completed = await recountQuietCampaigns(deps, options.recountAfterMs);
      if (queued + resent + completed > 0) deps.logger.info('scheduled-campaign check', { queued, resent, completed });
      if (options.reconcile.everyMs > 0 && deps.now() - lastReconcile >= options.reconcile.everyMs) {
        lastReconcile = deps.now();
        await reconcileStuckShippings(deps, options.reconcile);
      }
      const refreshMs = options.templateRefreshMs;
      if (refreshMs && deps.now() - lastTemplateSweep >= Math.min(TEMPLATE_SWEEP_MS, refreshMs)) {
        lastTemplateSweep = deps.now();
        const templates = await refreshStaleCatalogues({ ...deps, templateMaxAgeMs: refreshMs });
        if (templates.refreshed + templates.failed > 0) deps.logger.info('template catalogues refreshed', templates);
      }
      if (options.retentionDays > 0 && deps.now() - lastPurge > PURGE_EVERY_MS) {
        lastPurge = deps.now();
        const purged = await eventLog.purge(new Date(deps.now() - options.retentionDays * 86_400_000));
        if (purged > 0) deps.logger.info('event log retention', { purged, retentionDays: options.retentionDays });
      }
    } catch (error) {
      deps.logger.error('scheduled-campaign check failed', errorFields(error));
      options.errorReporter.capture(error, { consumer: 'scheduler' });
    }
  };
  // One run at a time: a tick that finds the previous run still going skips quietly (node-cron's
  // own noOverlap prints a warning per skipped tick, which floods the logs of a busy instance).
  let running = false;
  const once = async () => {
    if (running) return;
    running = true;
    try {
      await run();
    } finally {
      running = false;
    }
  };
  cron.setLogger(cronLogger(deps.logger));
  const task: ScheduledTask = cron.schedule(options.cron, once, {
    name: 'campaign-check',
    logger: cronLogger(deps.logger),
  });
  void once(); // a fresh instance does not wait a whole period for its first check
  return {
    async stop() {
      await task.stop();
      await task.destroy();
    },
  };
}

/**
 * node-cron's messages (a missed execution after a blocked event loop, say) through our logger:
 * its own prints coloured plain text among the JSON lines, which log collectors cannot parse.
 */
export function cronLogger(logger: Logger): CronLogger {
  const log = logger.child({ component: 'node-cron' });
  const fields = (error?: Error) => (error ? errorFields(error) : {});
  return {
    info: (message) => log.info(message),
    warn: (message) => log.warn(message),
    error: (message, error) =>
      message instanceof Error ? log.error(message.message, errorFields(message)) : log.error(message, fields(error)),
    debug: (message, error) =>
      message instanceof Error ? log.debug(message.message, errorFields(message)) : log.debug(message, fields(error)),
  };
}
