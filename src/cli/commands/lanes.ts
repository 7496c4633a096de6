import { parseArgs } from 'node:util';
import type { ChannelModel } from 'amqplib';
import * as amqplib from 'amqplib';
import { Types } from 'mongoose';
import type { ReadService } from '../../application/queries/read-service';
import { readsOf } from '../../application/service-registry';
import { type Config, loadConfig, rabbitmqUrls } from '../../config';
import { effectiveThroughput } from '../../domain/connections/throughput';
import { type LaneView, laneState } from '../../domain/pacing/lane-view';
import { earliestNextSend } from '../../domain/pacing/pacing-rule';
import type { ConnectionDoc } from '../../infrastructure/mongo/models/connection';
import { queues } from '../../topology';
import { type Database, withDatabase } from '../cli-database';
import { type CliCommand, EXIT, UsageError } from '../cli-errors';
import { formatDuration, renderTable } from '../terminal/progress-bar';
import { print } from '../terminal/safe-text';

const USAGE = `Usage: disparo lanes [--company ID] [--json]

  One line per WhatsApp connection: its dispatch lane's state, last send, when the pacing rule
  allows the next one, the lag of the message being sent (now − its planned time; for a lane that
  is not sending, of the oldest message already due), the lane queue's depth (QUEUED: messages
  waiting, not the one being sent) and consumers (DISPATCHERS: the active one and any standby),
  read live from each queue, and the messages per second the number's provider accepts
  (PROVIDER RATE: Cloud API 80/s by default; - for none). Reads MongoDB (MONGO_URL) and the broker
  (RABBITMQ_URL).

  States: sending, pacing (waiting for the pacing gap), waiting (holding a message until its
  planned time), cooling-down (the provider's throughput limit), halted (the provider stopped the
  number), no-dispatcher (messages but no consumer), no-queue (the lane's queue is missing), idle
  (nothing to send), unknown (the broker did not answer).

  --company  only this company's connections
  --json     one JSON object per connection, one per line

Exit codes: 0 shown, 1 database unreachable, 2 bad usage, 78 bad configuration.`;

interface QueueDepth {
  messages: number;
  consumers: number;
}

/**
 * Depth and consumers of each lane queue, read live from the queue itself (a passive declare,
 * answered by the quorum queue's leader): the management API samples quorum queues only on their
 * tick, every 30 s with Disparo's node settings (scripts/rabbitmq/advanced.config), so a lane created
 * a moment ago would show no dispatcher there. A missing queue maps to null; null for the whole map
 * when the broker does not answer.
 */
async function laneQueues(config: Config, names: readonly string[]): Promise<Map<string, QueueDepth | null> | null> {
  let connection: ChannelModel | undefined;
  for (const url of rabbitmqUrls(config)) {
    connection = await amqplib
      .connect(url, { clientProperties: { connection_name: 'disparo lanes' } })
      .catch(() => undefined);
    if (connection) break;
  }
  if (!connection) return null;
  connection.on('error', () => undefined);
  const open = async () => {
    const channel = await connection.createChannel();
    channel.on('error', () => undefined); // a missing queue closes the channel: 404, read below
    return channel;
  };
  try {
    const depths = new Map<string, QueueDepth | null>();
    let channel = await open();
    for (const name of names) {
      try {
        const { messageCount, consumerCount } = await channel.checkQueue(name);
        depths.set(name, { messages: messageCount, consumers: consumerCount });
      } catch {
        depths.set(name, null);
        channel = await open();
      }
    }
    return depths;
  } catch {
    return null;
  } finally {
    await connection.close().catch(() => undefined);
  }
}

/** now − planned time of the message in flight, or of the oldest one already due on a running campaign. */
async function lagOf(
  reads: ReadService,
  connection: ConnectionDoc,
  inFlight: { shippingId: string } | null,
  now: number,
): Promise<number | null> {
  if (inFlight && Types.ObjectId.isValid(inFlight.shippingId)) {
    const plannedAt = await reads.shippingPlannedAt(inFlight.shippingId);
    if (plannedAt) return Math.max(0, now - plannedAt.getTime());
  }
  const running = await reads.runningCampaignsOf(connection._id);
  if (running.length === 0) return null;
  const due = await reads.oldestDueShipping(running, new Date(now));
  return due ? now - due.getTime() : 0;
}

async function laneViews(database: Database, config: Config, companyId: string | undefined): Promise<LaneView[]> {
  const reads = readsOf(database);
  const connections = await reads.allConnections(companyId);
  const ids = connections.map((c) => c._id);
  const companyIds = [...new Set(connections.map((c) => String(c.companyId)))].map((id) => new Types.ObjectId(id));
  const queueName = queues(config.TOPOLOGY_PREFIX).lane;
  const [lanes, companyOf, depths] = await Promise.all([
    reads.lanes(ids),
    reads.pacingOfCompanies(companyIds),
    laneQueues(
      config,
      ids.map((id) => queueName(String(id))),
    ),
  ]);
  const laneOf = new Map(lanes.map((lane) => [String(lane._id), lane]));
  const now = Date.now();
  return Promise.all(
    connections.map(async (connection) => {
      const id = String(connection._id);
      const lane = laneOf.get(id);
      const company = companyOf.get(String(connection.companyId));
      const depth = depths ? (depths.get(queueName(id)) ?? null) : undefined;
      const next =
        lane?.sent && company
          ? earliestNextSend(
              { lastSentAt: lane.sent.lastSentAt ?? null, runLength: lane.sent.runLength ?? 0 },
              company.pacing,
            )
          : null;
      const view = {
        connectionId: id,
        name: connection.name,
        companyId: String(connection.companyId),
        company: company?.name ?? '?',
        gateway: connection.gateway,
        throughputPerSec: effectiveThroughput(connection.gateway, connection.throughputPerSec),
        lastSentAt: lane?.sent?.lastSentAt ?? null,
        nextAllowedAt: next !== null && Number.isFinite(next) ? next : null,
        coolDownUntil: lane?.coolDownUntil ?? null,
        inFlight: Boolean(lane?.inFlight),
        lagMs: await lagOf(reads, connection, lane?.inFlight ?? null, now),
        queued: depth === undefined ? null : (depth?.messages ?? null),
        dispatchers: depth === undefined ? null : (depth?.consumers ?? null),
        queueMissing: depth === null,
      };
      return { ...view, state: laneState({ ...view, halted: connection.status === 'halted' }, now) };
    }),
  );
}

const clock = (at: number | null) => (at === null ? '-' : new Date(at).toLocaleTimeString());

function nextAllowed(view: LaneView, now: number): string {
  if (view.nextAllowedAt === null || view.nextAllowedAt <= now) return 'now';
  return `${clock(view.nextAllowedAt)} (${formatDuration(view.nextAllowedAt - now)})`;
}

export const lanesCommand: CliCommand = {
  summary: "show each connection's dispatch lane: state, last send, next allowed, lag, queue depth",
  usage: USAGE,
  async run(args) {
    const { values, positionals } = parseArgs({
      args,
      options: { company: { type: 'string' }, json: { type: 'boolean' } },
      allowPositionals: true,
      strict: true,
    });
    if (positionals.length > 0) throw new UsageError(`unexpected argument: ${positionals.join(' ')}`);
    if (values.company && !/^[a-f0-9]{24}$/.test(values.company))
      throw new UsageError(`not a company id: ${values.company}`);
    const config = loadConfig();
    const views = await withDatabase(config, (database) => laneViews(database, config, values.company));
    const now = Date.now();
    if (values.json) {
      for (const view of views) print(JSON.stringify(view));
      return EXIT.ok;
    }
    if (views.length === 0) {
      print('No WhatsApp connections.');
      return EXIT.ok;
    }
    const rows = views.map((view) => [
      `${view.name} (${view.connectionId})`,
      view.company,
      view.state,
      clock(view.lastSentAt),
      nextAllowed(view, now),
      view.lagMs === null ? '-' : formatDuration(view.lagMs),
      view.queued === null ? (view.queueMissing ? 'no queue' : '?') : String(view.queued),
      view.dispatchers === null ? '?' : String(view.dispatchers),
      view.throughputPerSec === null ? '-' : `${view.throughputPerSec}/s`,
    ]);
    print(
      renderTable(
        [
          'CONNECTION',
          'COMPANY',
          'STATE',
          'LAST SEND',
          'NEXT ALLOWED',
          'LAG',
          'QUEUED',
          'DISPATCHERS',
          'PROVIDER RATE',
        ],
        rows,
      ),
    );
    return EXIT.ok;
  },
};
