import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { DELAY_LEVELS } from '../infrastructure/rabbitmq/delay-levels';
import { type Subscription, subscriptionQueue } from '../infrastructure/rabbitmq/subscription';
import type { TopologySpec } from '../infrastructure/rabbitmq/topology-spec';
import { disparoTopology, SUBSCRIPTIONS } from '../topology';

/** Renders the topology and its subscriptions as the markdown in docs/topology.md (`npm run docs:topology`). */
export function renderTopology(topology: TopologySpec, subscriptions: readonly Subscription[]): string {
  const isDelay = (name: string) => /\.delay\.\d+$/.test(name);
  const lines = [
    '# Broker topology',
    '',
    'Generated from `src/topology.ts` by `npm run docs:topology`; a unit test fails when this file',
    'and the code disagree. Names use the default `TOPOLOGY_PREFIX=disparo`.',
    '',
    `The ${DELAY_LEVELS} delay levels (\`disparo.delay.00\` … \`disparo.delay.${DELAY_LEVELS - 1}\`) are summarised in one row each`,
    'below; see docs/delayed-delivery.md for how a message travels through them.',
    '',
    '## Subscriptions',
    '',
    'One row per consumer: the worker role that runs it, its queue, what it consumes and its prefetch.',
    'A consumed event binds the queue to `disparo.events` by its routing key; a command is sent to the',
    'queue itself (straight or through the delay levels) and binds nothing.',
    '',
    '| consumer | role | queue | consumes | prefetch |',
    '|---|---|---|---|---|',
    ...subscriptions.map(
      (s) =>
        `| ${s.name} | \`${s.role}\` | \`${queueOf(s)}\` | ${consumedBy(s)} | ${s.prefetch === 'CONSUMER_PREFETCH' ? '`CONSUMER_PREFETCH`' : s.prefetch}${s.singleActiveConsumer ? ', single active consumer' : ''} |`,
    ),
    '',
    '## Exchanges',
    '',
    '| exchange | type | purpose |',
    '|---|---|---|',
    ...topology.exchanges.filter((e) => !isDelay(e.name)).map((e) => `| \`${e.name}\` | ${e.type} | ${e.purpose} |`),
    `| \`disparo.delay.NN\` (×${DELAY_LEVELS}) | topic | delay level NN: to its queue when bit NN of the delay is 1, else on to level NN−1 |`,
    '',
    '## Queues',
    '',
    '| queue | arguments | purpose |',
    '|---|---|---|',
    ...topology.queues
      .filter((q) => !isDelay(q.name))
      .map((q) => `| \`${q.name}\` | ${formatArguments(q.arguments)} | ${q.purpose} |`),
    '| `disparo.lane.<connectionId>` | queue-type=quorum, single-active-consumer, delivery-limit, dead-letter to `disparo.lane-dead` (no dead-letter queue of its own) | one per WhatsApp connection, declared when the connection is created: ContactPrepared at its planned time (or up to LANE_HANDOFF_MS early; one not due by the end of the pacing wait goes back through the delay levels); prefetch 1 |',
    `| \`disparo.delay.NN\` (×${DELAY_LEVELS}) | quorum, x-message-ttl 2^NN ms, dead-letter at-least-once to level NN−1 (level 00 to \`disparo.delay.deliver\`), reject-publish | holds each message exactly 2^NN ms |`,
    '',
    '## Bindings',
    '',
    '| from | pattern | to |',
    '|---|---|---|',
    ...topology.bindings
      .filter((b) => !isDelay(b.source))
      .map(
        (b) =>
          `| \`${b.source}\` | \`${b.pattern.replace(/^(\*\.){32}/, '(32 × *.)')}\` | ${b.destinationType} \`${b.destination}\` |`,
      ),
    '',
  ];
  return lines.join('\n');
}

function queueOf(subscription: Subscription): string {
  return subscription.keyedBy === 'connection'
    ? subscriptionQueue('disparo', subscription, '<connectionId>')
    : subscriptionQueue('disparo', subscription);
}

function consumedBy(subscription: Subscription): string {
  return subscription.consumes
    .map((consumed) =>
      consumed.arrives === 'published'
        ? `${consumed.message.type} (bound by \`${consumed.message.routingKey}\`)`
        : `${consumed.message.type} (command sent to the queue, no binding)`,
    )
    .join(', ');
}

function formatArguments(args: Record<string, unknown>): string {
  return Object.entries(args)
    .map(([key, value]) => `${key.replace(/^x-/, '')}=${String(value)}`)
    .join(', ');
}

export const TOPOLOGY_DOC = join(__dirname, '..', '..', 'docs', 'topology.md');

if (require.main === module) {
  writeFileSync(TOPOLOGY_DOC, renderTopology(disparoTopology({ prefix: 'disparo', deliveryLimit: 20 }), SUBSCRIPTIONS));
  console.log(`wrote ${TOPOLOGY_DOC}`);
}
