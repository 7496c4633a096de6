import { delayTopology } from './infrastructure/rabbitmq/delay-levels';
import { mergeTopologies, type TopologySpec } from './infrastructure/rabbitmq/topology-spec';
import { coreExchanges, workQueue } from './infrastructure/rabbitmq/work-queue';

/**
 * Disparo's whole broker topology, in one place. Consumer files name their queue from `queues()`;
 * docs/topology.md is printed from `disparoTopology()` by `npm run docs:topology`.
 */
export function queues(prefix: string) {
  return {
    eventRecorder: `${prefix}.event-recorder`,
  } as const;
}

export interface TopologySettings {
  prefix: string;
  deliveryLimit: number;
}

export function disparoTopology({ prefix, deliveryLimit }: TopologySettings): TopologySpec {
  return mergeTopologies(
    coreExchanges(prefix),
    delayTopology(prefix),
    workQueue({
      prefix,
      name: 'event-recorder',
      purpose: 'every domain event, stored once in the event log',
      eventPatterns: ['#'],
      deliveryLimit,
    }),
  );
}
