import winston from 'winston';

/**
 * Structured JSON logs. Field names are stable so a campaign can be followed with one filter:
 * `companyId`, `campaignId`, `eventId`, `correlationId`, `causationId`, `consumer`, `eventType`.
 */
export type Logger = winston.Logger;

export interface LogContext {
  companyId?: string;
  campaignId?: string;
  contactId?: string;
  connectionId?: string;
  eventId?: string;
  eventType?: string;
  correlationId?: string;
  causationId?: string | null;
  consumer?: string;
  queue?: string;
  [field: string]: unknown;
}

export function createLogger(options: { level: string; service: string; silent?: boolean }): Logger {
  return winston.createLogger({
    level: options.level,
    defaultMeta: { service: options.service },
    format: winston.format.combine(
      winston.format.timestamp(),
      winston.format.errors({ stack: true }),
      winston.format.json(),
    ),
    transports: [new winston.transports.Console({ stderrLevels: ['error', 'warn'], silent: options.silent })],
  });
}

/** Turns an unknown thrown value into fields a log line can carry. */
export function errorFields(error: unknown): { error: string; stack?: string } {
  if (error instanceof Error) return { error: error.message, stack: error.stack };
  return { error: String(error) };
}
