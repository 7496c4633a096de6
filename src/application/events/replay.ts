import { CampaignDue, CampaignScheduled } from '../../domain/events/campaign-messages';
import { messageDefinition } from '../../domain/events/catalog';
import { createMessage, type Envelope } from '../../domain/events/envelope';
import { type EventFilter, EventLog, type EventRecord } from '../../infrastructure/mongo/event-log';
import type { PipelineDeps } from '../pipeline-deps';
import { explainReplay, REPLAY_CONSUMERS, type ReplayConsumer } from './replay-explain';

export const REPLAY_MODES = ['debug', 'dry-run', 'live'] as const;
export type ReplayMode = (typeof REPLAY_MODES)[number];

export interface ReplayOptions {
  mode: ReplayMode;
  /** dry-run: whose logic to run. */
  consumer?: ReplayConsumer;
  /** Most events one replay touches (a guard against replaying a whole tenant by mistake). */
  limit?: number;
  /** debug: how long each copy stays in the debug queue (nothing consumes it). */
  debugTtlMs?: number;
}

/** Debug copies are for reading now, not for keeping: they expire after a week unless told otherwise. */
export const DEFAULT_DEBUG_TTL_MS = 7 * 86_400_000;

export interface ReplayReport {
  mode: ReplayMode;
  matched: number;
  published: number;
  /** debug: the queue to read in the management console. */
  debugQueue?: string;
  /** One line per event: what was done, or (dry-run) what would have been done. */
  lines: string[];
}

export class ReplayError extends Error {
  override name = 'ReplayError';
}

export const debugQueueName = (prefix: string) => `${prefix}.replay.debug`;

/**
 * Re-publishes recorded events, in the order they happened:
 * - `debug` (the default): to the queue `<prefix>.replay.debug`, which nothing consumes, to be read
 *   in the management console; the live system is untouched.
 * - `dry-run`: through a named consumer's decision logic, reading but never writing or sending;
 *   returns what it would have done.
 * - `live`: back into the live system, marked `replayed`. Events go to the events exchange as they
 *   were (same eventId: the event log keeps one copy); a CampaignScheduled, the record of a
 *   CampaignDue being sent, sends that CampaignDue again, which re-drives a campaign a crash left
 *   half-processed. Every consumer is idempotent, so nobody is sent a message twice and pacing holds.
 */
export async function replayEvents(
  deps: PipelineDeps,
  filter: EventFilter,
  options: ReplayOptions,
): Promise<ReplayReport> {
  if (options.mode === 'dry-run' && (!options.consumer || !REPLAY_CONSUMERS.includes(options.consumer))) {
    throw new ReplayError(`dry-run needs a consumer: one of ${REPLAY_CONSUMERS.join(', ')}`);
  }
  const eventLog = new EventLog(deps.models.Campaign.db);
  const limit = options.limit ?? 10_000;
  const report: ReplayReport = { mode: options.mode, matched: 0, published: 0, lines: [] };
  if (options.mode === 'debug') {
    report.debugQueue = debugQueueName(deps.topology.prefix);
    await deps.broker.declare({
      exchanges: [],
      bindings: [],
      queues: [
        {
          name: report.debugQueue,
          purpose: 'replayed events, for reading in the console',
          arguments: { 'x-queue-type': 'quorum' },
        },
      ],
    });
  }
  for await (const record of eventLog.stream(filter)) {
    if (report.matched >= limit) {
      report.lines.push(`stopped at the limit of ${limit} events`);
      break;
    }
    report.matched++;
    const line = await replayOne(deps, record, options, report.debugQueue);
    if (line.published) report.published++;
    report.lines.push(`${record.occurredAt.toISOString()} ${record.type} ${record._id}: ${line.text}`);
  }
  deps.logger.info('events replayed', {
    mode: options.mode,
    matched: report.matched,
    published: report.published,
    ...filter,
  });
  return report;
}

async function replayOne(
  deps: PipelineDeps,
  record: EventRecord,
  options: ReplayOptions,
  debugQueue?: string,
): Promise<{ published: boolean; text: string }> {
  const envelope: Envelope = { ...EventLog.toEnvelope(record), replayed: true };
  switch (options.mode) {
    case 'debug':
      await deps.publisher.send(debugQueue!, envelope, {
        headers: { 'x-disparo-replayed-at': new Date(deps.now()).toISOString() },
        expirationMs: options.debugTtlMs ?? DEFAULT_DEBUG_TTL_MS,
      });
      return { published: true, text: `copied to ${debugQueue}` };
    case 'dry-run':
      return { published: false, text: await explainReplay(deps, options.consumer!, record) };
    case 'live':
      return replayLive(deps, record, envelope);
    default: {
      const unreachable: never = options.mode;
      throw new ReplayError(`unknown mode ${String(unreachable)}`);
    }
  }
}

async function replayLive(
  deps: PipelineDeps,
  record: EventRecord,
  envelope: Envelope,
): Promise<{ published: boolean; text: string }> {
  if (record.type === CampaignScheduled.type) {
    const { campaignId, scheduledAt } = CampaignScheduled.payload.parse(record.payload);
    const due = {
      ...createMessage(
        CampaignDue,
        { campaignId, scheduledAt },
        { companyId: record.companyId, correlationId: record.correlationId, causationId: record._id },
      ),
      replayed: true,
    };
    await deps.publisher.send(deps.queues.campaignProcess, due, { delayMs: Date.parse(scheduledAt) - deps.now() });
    return { published: true, text: 'sent its CampaignDue again to campaign-process' };
  }
  const definition = messageDefinition(record.type);
  if (!definition) return { published: false, text: 'skipped: not a known message type' };
  await deps.publisher.publish(definition, envelope);
  return { published: true, text: `re-published to ${definition.routingKey}` };
}
