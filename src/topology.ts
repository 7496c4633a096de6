import { CampaignDue, PrepareContacts } from './domain/events/campaign-messages';
import { ConnectionConnected, ContactSyncRequested, ContactsChanged } from './domain/events/contact-messages';
import { ContactPrepared } from './domain/events/dispatch-messages';
import { EnvelopeSchema } from './domain/events/envelope';
import { delayTopology } from './infrastructure/rabbitmq/delay-levels';
import {
  published,
  type Subscription,
  sent,
  subscriptionQueue,
  subscriptionTopology,
} from './infrastructure/rabbitmq/subscription';
import { mergeTopologies, type TopologySpec } from './infrastructure/rabbitmq/topology-spec';
import { coreExchanges } from './infrastructure/rabbitmq/work-queue';

/** Any envelope on the events exchange, whatever its type (including types added later). */
const EveryEvent = { type: 'every event', routingKey: '#', schema: EnvelopeSchema } as const;

/**
 * Every consumer of Disparo, declared once: its queue, what it consumes, its prefetch and the
 * worker role that runs it. Queues and their bindings are derived from this (a consumed event binds
 * the queue by its routing key; a command sent to the queue binds nothing), the worker starts its
 * roles' consumers from it, and docs/topology.md prints it (`npm run docs:topology`).
 */
export const SUBSCRIPTIONS = [
  {
    name: 'event-recorder',
    role: 'event-recorder',
    queue: 'event-recorder',
    purpose: 'every domain event, stored once in the event log',
    consumes: [published(EveryEvent)],
    prefetch: 'CONSUMER_PREFETCH',
  },
  {
    name: 'campaign-process',
    role: 'campaign-process',
    queue: 'campaign-process',
    purpose:
      'CampaignDue, delivered at the scheduled time: expand a campaign into prepare batches (the first prepared here: its shippings stored and handed to the lane)',
    consumes: [sent(CampaignDue)],
    // Campaigns due in the same second are expanded side by side (each streams its audience, ~165 ms
    // for a small one): with 2, the fifth of five small companies' campaigns started 541 ms late.
    prefetch: 8,
  },
  {
    name: 'contact-prepare',
    role: 'contact-prepare',
    queue: 'contact-prepare',
    purpose: 'PrepareContacts batches: personalise, store shippings, hand them to the lane',
    consumes: [sent(PrepareContacts)],
    prefetch: 4,
  },
  {
    name: 'contact-sync',
    role: 'contact-sync',
    queue: 'contact-sync',
    purpose:
      "ConnectionConnected, ContactsChanged, ContactSyncRequested: page through the number's contacts, validate, upsert",
    consumes: [published(ConnectionConnected), published(ContactsChanged), published(ContactSyncRequested)],
    prefetch: 2,
  },
  {
    name: 'dispatch',
    role: 'dispatch',
    queue: 'lane',
    keyedBy: 'connection',
    purpose:
      'dispatch lane of one WhatsApp connection: ContactPrepared at its planned time (or up to LANE_HANDOFF_MS early; one not due by the end of the pacing wait goes back through the delay levels)',
    consumes: [sent(ContactPrepared)],
    prefetch: 1,
    singleActiveConsumer: true,
    sharedDeadLetters: 'lane-dead',
  },
] as const satisfies readonly Subscription[];

export type DisparoSubscription = (typeof SUBSCRIPTIONS)[number];
export type SubscriptionName = DisparoSubscription['name'];

export function subscription<N extends SubscriptionName>(name: N): Extract<DisparoSubscription, { name: N }> {
  const found = SUBSCRIPTIONS.find((candidate) => candidate.name === name);
  if (!found) throw new Error(`no subscription named ${name}`);
  return found as Extract<DisparoSubscription, { name: N }>;
}

/** Queue names, for code that sends to a queue (commands) or inspects one. */
export function queues(prefix: string) {
  return {
    eventRecorder: subscriptionQueue(prefix, subscription('event-recorder')),
    campaignProcess: subscriptionQueue(prefix, subscription('campaign-process')),
    contactPrepare: subscriptionQueue(prefix, subscription('contact-prepare')),
    contactSync: subscriptionQueue(prefix, subscription('contact-sync')),
    /** The dispatch lane of one WhatsApp connection (declared when the connection is created). */
    lane: (connectionId: string) => subscriptionQueue(prefix, subscription('dispatch'), connectionId),
    /** Dead letters of every lane (the lane's name is in the `x-dead-queue` header and the routing key). */
    laneDead: `${prefix}.lane-dead`,
  } as const;
}

export interface TopologySettings {
  prefix: string;
  deliveryLimit: number;
}

/** Disparo's whole broker topology: exchanges, delay levels and the queue of every subscription. */
export function disparoTopology(settings: TopologySettings): TopologySpec {
  return mergeTopologies(
    coreExchanges(settings.prefix),
    delayTopology(settings.prefix),
    ...SUBSCRIPTIONS.filter((each) => !('keyedBy' in each)).map((each) => subscriptionTopology(each, settings)),
    laneDeadLetters(settings.prefix),
  );
}

/**
 * The dispatch lane of one connection: ContactPrepared messages arrive at their planned time;
 * single-active-consumer, so one worker sends for the number and another takes over if it dies.
 */
export function laneTopology(settings: TopologySettings, connectionId: string): TopologySpec {
  return subscriptionTopology(subscription('dispatch'), settings, connectionId);
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
