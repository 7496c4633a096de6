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
    campaignProcess: `${prefix}.campaign-process`,
    contactPrepare: `${prefix}.contact-prepare`,
    contactSync: `${prefix}.contact-sync`,
    /** The dispatch lane of one WhatsApp connection (declared when the connection is created). */
    lane: (connectionId: string) => `${prefix}.lane.${connectionId}`,
    /** Dead letters of every lane (the lane's name is in the `x-dead-queue` header and the routing key). */
    laneDead: `${prefix}.lane-dead`,
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
    workQueue({
      prefix,
      name: 'campaign-process',
      purpose: 'CampaignDue, delivered at the scheduled time: expand a campaign into prepare batches',
      eventPatterns: [],
      deliveryLimit,
    }),
    workQueue({
      prefix,
      name: 'contact-prepare',
      purpose: 'PrepareContacts batches: personalise, store shippings, hand them to the lane',
      eventPatterns: [],
      deliveryLimit,
    }),
    workQueue({
      prefix,
      name: 'contact-sync',
      purpose:
        "ConnectionConnected, ContactsChanged, ContactSyncRequested: page through the number's contacts, validate, upsert",
      eventPatterns: ['connection.connected', 'contacts.changed', 'contacts.sync-requested'],
      deliveryLimit,
    }),
    laneDeadLetters(prefix),
  );
}

/**
 * The dispatch lane of one connection: ContactPrepared messages arrive at their planned time;
 * single-active-consumer, so one worker sends for the number and another takes over if it dies.
 */
export function laneTopology({ prefix, deliveryLimit }: TopologySettings, connectionId: string): TopologySpec {
  return workQueue({
    prefix,
    name: `lane.${connectionId}`,
    purpose: `dispatch lane of connection ${connectionId} (prefetch 1, single active consumer)`,
    eventPatterns: [],
    deliveryLimit,
    singleActiveConsumer: true,
    sharedDeadLetterQueue: queues(prefix).laneDead,
  });
}

/**
 * One dead-letter queue for all lanes: a lane is one quorum queue (one Raft group), not two, so
 * 10,000 numbers fit one broker node (docs/benchmarks.md, "Lanes"). Each lane binds its own name
 * to it on the dead-letter exchange.
 */
function laneDeadLetters(prefix: string): TopologySpec {
  return {
    exchanges: [],
    queues: [
      {
        name: queues(prefix).laneDead,
        purpose: 'dead letters of every lane, with the lane in the x-dead-queue header and the routing key',
        arguments: { 'x-queue-type': 'quorum' },
      },
    ],
    bindings: [],
  };
}
