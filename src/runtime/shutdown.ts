import type { Logger } from '../infrastructure/observability/logger';

/**
 * SIGTERM/SIGINT stop the process gracefully: each step runs in order (stop consuming, finish
 * in-flight work, close connections). A second signal, or the deadline, exits at once; unacked
 * messages then go back to their queues.
 */
export function onShutdownSignal(logger: Logger, deadlineMs: number, steps: Array<() => Promise<void>>): void {
  let stopping = false;
  const shutdown = async (signal: string) => {
    if (stopping) {
      logger.warn('second signal: exiting now', { signal });
      process.exit(1);
    }
    stopping = true;
    logger.info('shutting down', { signal });
    setTimeout(() => {
      logger.error('shutdown deadline passed: exiting', { deadlineMs });
      process.exit(1);
    }, deadlineMs + 5_000).unref();
    for (const step of steps)
      await step().catch((error) => logger.error('shutdown step failed', { error: String(error) }));
    logger.info('stopped');
    process.exit(0);
  };
  process.on('SIGTERM', () => void shutdown('SIGTERM'));
  process.on('SIGINT', () => void shutdown('SIGINT'));
}
