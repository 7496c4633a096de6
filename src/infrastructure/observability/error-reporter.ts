import * as Sentry from '@sentry/node';
import type { LogContext } from './logger';
import { redactText, redactValue } from './redact';

/** Tags that make a Sentry issue searchable by tenant, campaign and consumer. */
const TAG_FIELDS = ['companyId', 'campaignId', 'consumer', 'eventType', 'queue', 'route'] as const;

export interface ErrorReporter {
  capture(error: unknown, context?: LogContext): void;
  flush(timeoutMs: number): Promise<void>;
}

/** Reports to Sentry when a DSN is configured; otherwise reports nowhere (logs still carry it). */
export function createErrorReporter(options: { dsn?: string; environment?: string; release?: string }): ErrorReporter {
  if (!options.dsn) {
    return { capture: () => undefined, flush: async () => undefined };
  }
  Sentry.init({
    dsn: options.dsn,
    environment: options.environment,
    release: options.release,
    // Requests carry API keys, bodies carry phone numbers: none of it is collected.
    dataCollection: { userInfo: false, cookies: false, httpHeaders: false, httpBodies: [], urlQueryParams: false },
    beforeSend: (event) => redactEvent(event),
    beforeBreadcrumb: (breadcrumb) => redactValue(breadcrumb),
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

/** The parts of an event that can carry free text or request data. */
function redactEvent<E extends Sentry.ErrorEvent>(event: E): E {
  const { message, exception, contexts, extra, tags, request, user, breadcrumbs } = event;
  return {
    ...event,
    ...(message !== undefined ? { message: redactText(message) } : {}),
    ...(exception?.values ? { exception: { ...exception, values: exception.values.map(redactException) } } : {}),
    contexts: redactValue(contexts),
    extra: redactValue(extra),
    tags: redactValue(tags),
    request: redactValue(request),
    user: redactValue(user),
    breadcrumbs: redactValue(breadcrumbs),
  };
}

type ExceptionValue = NonNullable<NonNullable<Sentry.ErrorEvent['exception']>['values']>[number];

/** The message, and the source lines and variables of each frame (a literal in code is text too). */
function redactException(value: ExceptionValue): ExceptionValue {
  const frames = value.stacktrace?.frames?.map((frame) => ({
    ...frame,
    ...(frame.context_line !== undefined ? { context_line: redactText(frame.context_line) } : {}),
    ...(frame.pre_context ? { pre_context: frame.pre_context.map(redactText) } : {}),
    ...(frame.post_context ? { post_context: frame.post_context.map(redactText) } : {}),
    ...(frame.vars ? { vars: redactValue(frame.vars) } : {}),
  }));
  return {
    ...value,
    ...(value.value ? { value: redactText(value.value) } : {}),
    ...(frames ? { stacktrace: { ...value.stacktrace, frames } } : {}),
  };
}
