import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { DELAY_LEVELS } from '../infrastructure/rabbitmq/delay-levels';
import type { TopologySpec } from '../infrastructure/rabbitmq/topology-spec';
import { disparoTopology } from '../topology';

/** Renders the topology as the markdown in docs/topology.md (`npm run docs:topology`). */
export function renderTopology(topology: TopologySpec): string {
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
    '| `disparo.lane.<connectionId>` | queue-type=quorum, single-active-consumer, delivery-limit, dead-letter to `disparo.lane-dead` (no dead-letter queue of its own) | one per WhatsApp connection, declared when the connection is created: ContactPrepared at its planned time (or up to LANE_HANDOFF_MS early, held by the lane until then); prefetch 1 |',
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

function formatArguments(args: Record<string, unknown>): string {
  return Object.entries(args)
    .map(([key, value]) => `${key.replace(/^x-/, '')}=${String(value)}`)
    .join(', ');
}

export const TOPOLOGY_DOC = join(__dirname, '..', '..', 'docs', 'topology.md');

if (require.main === module) {
  writeFileSync(TOPOLOGY_DOC, renderTopology(disparoTopology({ prefix: 'disparo', deliveryLimit: 20 })));
  console.log(`wrote ${TOPOLOGY_DOC}`);
}
