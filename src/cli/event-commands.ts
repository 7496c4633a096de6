import { parseArgs } from 'node:util';
import { REPLAY_MODES, type ReplayMode, replayEvents } from '../application/events/replay';
import { REPLAY_CONSUMERS, type ReplayConsumer } from '../application/events/replay-explain';
import { type EventFilter, eventLogOf } from '../application/queries/read-models';
import type { Config } from '../config';
import { pipelineDeps } from '../runtime/pipeline';
import { withDatabase } from './cli-database';
import { UsageError } from './cli-errors';

export { UsageError };

import { startServices } from '../runtime/services';
import { print, printError } from './terminal/safe-text';

export const EVENTS_USAGE = `Usage: disparo events [--company ID] [--campaign ID] [--contact ID] [--correlation ID]
                      [--type T1,T2] [--from ISO] [--to ISO] [--limit N] [--json]
  Lists recorded events in the order they happened, with correlationId and causationId.`;

export const REPLAY_USAGE = `Usage: disparo replay --company ID [--campaign ID] [--contact ID] [--correlation ID]
                      [--type T1,T2] [--from ISO] [--to ISO] [--limit N]
                      [--mode debug|dry-run|live] [--consumer ${REPLAY_CONSUMERS.join('|')}]
  Re-publishes the selected events. debug (default): to the queue <prefix>.replay.debug, for the
  RabbitMQ console; dry-run: through a consumer's logic, writing nothing; live: into the live
  system, marked replayed (idempotent: nothing is sent twice).`;

const FILTER_OPTIONS = {
  company: { type: 'string' },
  campaign: { type: 'string' },
  contact: { type: 'string' },
  correlation: { type: 'string' },
  type: { type: 'string' },
  from: { type: 'string' },
  to: { type: 'string' },
  limit: { type: 'string' },
  help: { type: 'boolean' },
} as const;

function date(value: string | undefined, name: string): Date | undefined {
  if (value === undefined) return undefined;
  const parsed = new Date(value);
  if (Number.isNaN(parsed.getTime())) throw new UsageError(`--${name} must be an ISO date, got "${value}"`);
  return parsed;
}

function filterFrom(values: Record<string, string | boolean | undefined>): EventFilter {
  return {
    companyId: values.company as string | undefined,
    campaignId: values.campaign as string | undefined,
    contactId: values.contact as string | undefined,
    correlationId: values.correlation as string | undefined,
    types: (values.type as string | undefined)?.split(',').filter(Boolean),
    from: date(values.from as string | undefined, 'from'),
    to: date(values.to as string | undefined, 'to'),
  };
}

function limitFrom(value: string | boolean | undefined, fallback: number): number {
  if (value === undefined) return fallback;
  const limit = Number(value);
  if (!Number.isInteger(limit) || limit < 1)
    throw new UsageError(`--limit must be a positive integer, got "${String(value)}"`);
  return limit;
}

export async function eventsCommand(config: Config, args: string[]): Promise<number> {
  const { values } = parseArgs({ args, options: { ...FILTER_OPTIONS, json: { type: 'boolean' } }, strict: true });
  if (values.help) {
    print(EVENTS_USAGE);
    return 0;
  }
  // Only MongoDB is needed to list what was recorded.
  return withDatabase(config, async (database) => {
    const records = await eventLogOf(database).find(filterFrom(values), { limit: limitFrom(values.limit, 1_000) });
    for (const record of records) {
      if (values.json) print(JSON.stringify(record));
      else
        print(
          `${record.occurredAt.toISOString()}  ${record.type.padEnd(18)} ${record._id}  correlation=${record.correlationId} causation=${record.causationId ?? '-'}${record.replayed ? ' (replayed)' : ''}  ${JSON.stringify(record.payload)}`,
        );
    }
    printError(`${records.length} events`);
    return 0;
  });
}

export async function replayCommand(config: Config, args: string[]): Promise<number> {
  const { values } = parseArgs({
    args,
    options: { ...FILTER_OPTIONS, mode: { type: 'string', default: 'debug' }, consumer: { type: 'string' } },
    strict: true,
  });
  if (values.help) {
    print(REPLAY_USAGE);
    return 0;
  }
  if (!values.company) throw new UsageError('--company is required: a replay is scoped to one company');
  if (!REPLAY_MODES.includes(values.mode as ReplayMode))
    throw new UsageError(`--mode must be one of ${REPLAY_MODES.join(', ')}`);
  if (values.mode === 'dry-run' && !values.consumer)
    throw new UsageError(`--mode dry-run needs --consumer: one of ${REPLAY_CONSUMERS.join(', ')}`);
  if (values.consumer && !REPLAY_CONSUMERS.includes(values.consumer as ReplayConsumer))
    throw new UsageError(`--consumer must be one of ${REPLAY_CONSUMERS.join(', ')}`);
  const services = await startServices({ ...config, LOG_LEVEL: 'error' }, 'disparo-cli');
  try {
    const report = await replayEvents(await pipelineDeps(services), filterFrom(values), {
      mode: values.mode as ReplayMode,
      consumer: values.consumer as ReplayConsumer | undefined,
      limit: limitFrom(values.limit, 10_000),
      debugTtlMs: config.REPLAY_DEBUG_TTL_MS,
    });
    for (const line of report.lines) print(line);
    printError(
      `${report.matched} events matched, ${report.published} published${report.debugQueue ? ` to ${report.debugQueue}` : ''} (mode ${report.mode})`,
    );
    return 0;
  } finally {
    await services.close();
  }
}
