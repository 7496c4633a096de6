import assert from 'node:assert/strict';
import { randomUUID } from 'node:crypto';
import { describe, test } from 'node:test';
import { CampaignDue, CampaignStarted } from '../../src/domain/events/campaign-messages';
import { ConnectionConnected, ContactSyncRequested, ContactsChanged } from '../../src/domain/events/contact-messages';
import { createMessage, newCorrelation } from '../../src/domain/events/envelope';
import {
  bindingPatterns,
  consumerSpec,
  published,
  type Subscription,
  sent,
  subscriptionSchema,
  subscriptionTopology,
} from '../../src/infrastructure/rabbitmq/subscription';
import { KNOWN_ROLES, TIMER_ROLES } from '../../src/runtime/worker';
import { disparoTopology, laneTopology, SUBSCRIPTIONS, subscription } from '../../src/topology';

const settings = { prefix: 'disparo', deliveryLimit: 20 };
const fromEvents = (topology: ReturnType<typeof disparoTopology>, queue: string) =>
  topology.bindings
    .filter((binding) => binding.source === 'disparo.events' && binding.destination === queue)
    .map((binding) => binding.pattern);

describe('subscriptions → bindings', () => {
  const example: Subscription = {
    name: 'example',
    role: 'example',
    queue: 'example',
    purpose: 'test',
    consumes: [published(ConnectionConnected), sent(CampaignDue), published(ContactsChanged)],
    prefetch: 3,
  };

  test('a published event binds the queue by its routing key; a command sent to the queue binds nothing', () => {
    assert.deepEqual(bindingPatterns(example), ['connection.connected', 'contacts.changed']);
    const topology = subscriptionTopology(example, settings);
    assert.deepEqual(fromEvents(topology, 'disparo.example'), ['connection.connected', 'contacts.changed']);
    // Every work queue is still reachable through the delay levels and has its dead-letter queue.
    assert.ok(
      topology.bindings.some((b) => b.source === 'disparo.delay.deliver' && b.destination === 'disparo.example'),
    );
    assert.deepEqual(
      topology.queues.map((queue) => queue.name),
      ['disparo.example', 'disparo.example.dead'],
    );
  });

  test('a routing key consumed twice binds once', () => {
    assert.deepEqual(
      bindingPatterns({ ...example, consumes: [published(CampaignStarted), published(CampaignStarted)] }),
      ['campaign.started'],
    );
  });

  test("Disparo's queues are bound exactly by the routing keys of the events their subscriptions consume", () => {
    const topology = disparoTopology(settings);
    assert.deepEqual(fromEvents(topology, 'disparo.event-recorder'), ['#']);
    assert.deepEqual(fromEvents(topology, 'disparo.campaign-process'), []);
    assert.deepEqual(fromEvents(topology, 'disparo.contact-prepare'), []);
    assert.deepEqual(fromEvents(topology, 'disparo.contact-sync'), [
      ConnectionConnected.routingKey,
      ContactsChanged.routingKey,
      ContactSyncRequested.routingKey,
    ]);
    // Every events-exchange binding comes from a subscription.
    const derived = SUBSCRIPTIONS.flatMap((each) => bindingPatterns(each));
    const declared = topology.bindings.filter((b) => b.source === 'disparo.events').map((b) => b.pattern);
    assert.deepEqual(declared.sort(), derived.sort());
  });

  test('a lane is the dispatch subscription keyed by connection: own queue, single active consumer, no binding', () => {
    const lane = laneTopology(settings, 'c1');
    assert.equal(lane.queues[0]?.name, 'disparo.lane.c1');
    assert.equal(lane.queues[0]?.arguments['x-single-active-consumer'], true);
    assert.deepEqual(fromEvents(lane, 'disparo.lane.c1'), []);
    // No lane queue in the static topology (lanes come with their connections); their one shared
    // dead-letter queue is there, and the lane has no `.dead` queue of its own.
    assert.ok(!disparoTopology(settings).queues.some((queue) => queue.name.startsWith('disparo.lane.')));
    assert.ok(disparoTopology(settings).queues.some((queue) => queue.name === 'disparo.lane-dead'));
    assert.equal(lane.queues.length, 1);
    assert.throws(() => subscriptionTopology(subscription('dispatch'), settings), /one queue per connection/);
  });
});

describe('subscriptions → consumers', () => {
  test('every consumer role has exactly one subscription, and every subscription a known role', () => {
    const consumerRoles = KNOWN_ROLES.filter((role) => !(TIMER_ROLES as readonly string[]).includes(role));
    for (const role of consumerRoles) {
      assert.equal(SUBSCRIPTIONS.filter((each) => each.role === role).length, 1, role);
    }
    for (const each of SUBSCRIPTIONS) assert.ok((KNOWN_ROLES as string[]).includes(each.role), each.role);
    assert.equal(new Set(SUBSCRIPTIONS.map((each) => each.name)).size, SUBSCRIPTIONS.length);
  });

  test('prefetch per consumer', () => {
    const prefetch = (name: string, CONSUMER_PREFETCH = 50) =>
      consumerSpec(
        SUBSCRIPTIONS.find((each) => each.name === name)!,
        { handle: async () => {} },
        { prefix: 'disparo', CONSUMER_PREFETCH },
        'c1',
      ).prefetch;
    assert.equal(prefetch('event-recorder', 37), 37);
    assert.equal(prefetch('campaign-process'), 8);
    assert.equal(prefetch('contact-prepare'), 4);
    assert.equal(prefetch('contact-sync'), 2);
    assert.equal(prefetch('dispatch'), 1);
  });

  test("a delivery must match one of the subscription's messages", () => {
    const cause = newCorrelation('company-1');
    const connectionId = '0123456789abcdef01234567';
    const schema = subscriptionSchema(subscription('contact-sync'));
    assert.ok(schema.safeParse(createMessage(ConnectionConnected, { connectionId }, cause)).success);
    assert.ok(schema.safeParse(createMessage(ContactSyncRequested, { connectionId }, cause)).success);
    const due = createMessage(CampaignDue, { campaignId: connectionId, scheduledAt: new Date().toISOString() }, cause);
    assert.ok(!schema.safeParse(due).success);
    // The event recorder takes any envelope, of types added later too.
    const recorder = subscriptionSchema(subscription('event-recorder'));
    assert.ok(recorder.safeParse({ ...due, eventId: randomUUID(), type: 'SomethingNew' }).success);
  });
});
