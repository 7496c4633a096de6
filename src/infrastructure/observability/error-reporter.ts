import * as Sentry from '@sentry/node';
import type { LogContext } from './logger';

/** Tags that make a Sentry issue searchable by tenant, campaign and consumer. */
const TAG_FIELDS = ['companyId', 'campaignId', 'consumer', 'eventType', 'queue', 'route'] as const;

export interface ErrorReporter {
  capture(error: unknown, context?: LogContext): void;
  flush(timeoutMs: number): Promise<void>;
}

/** Reports to Sentry when a DSN is configured; otherwise reports nowhere (logs still carry it). */
export function createErrorReporter(options: {
  dsn?: string;
  environment?: string;
  release?: string;
}): ErrorReporter {
  if (!options.dsn) {
    return { capture: () => undefined, flush: async () => undefined };
  }
  Sentry.init({
    dsn: options.dsn,
    environment: options.environment,
    release: options.release,
  });
  return {
    capture(error, context = {}) {
      Sentry.withScope((scope) => {
        for (const field of TAG_FIELDS) {
          const value = context[field];
          if (typeof value === 'string') scope.setTag(field, value);
        }
        scope.setContext('disparo', context);
        Sentry.captureException(error);
      });
    },
    async flush(timeoutMs) {
      await Sentry.flush(timeoutMs);
    },
  };
}
