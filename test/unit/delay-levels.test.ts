import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import {
  DELAY_LEVELS,
  delayedRoute,
  delayNames,
  delayTopology,
  MAX_DELAY_MS,
} from '../../src/infrastructure/rabbitmq/delay-levels';

const names = delayNames('disparo');

/** Follows a routing key through the topology as the broker would, summing the TTLs passed. */
function simulate(exchange: string, routingKey: string): { delay: number; destination: string } {
  const topology = delayTopology('disparo');
  const words = routingKey.split('.');
  let delay = 0;
  let current = exchange;
  while (current !== names.delivery) {
    const matches = topology.bindings.filter((b) => b.source === current && matchesTopic(b.pattern, words));
    assert.equal(matches.length, 1, `exactly one binding of ${current} matches ${routingKey}`);
    const [binding] = matches;
    if (binding!.destinationType === 'queue') {
      const queue = topology.queues.find((q) => q.name === binding!.destination)!;
      delay += queue.arguments['x-message-ttl'] as number;
      current = queue.arguments['x-dead-letter-exchange'] as string;
    } else {
      current = binding!.destination;
    }
  }
  return { delay, destination: words.slice(DELAY_LEVELS).join('.') };
}

function matchesTopic(pattern: string, words: string[]): boolean {
  const parts = pattern.split('.');
  const match = (p: number, w: number): boolean => {
    if (p === parts.length) return w === words.length;
    if (parts[p] === '#') return match(p + 1, w) || (w < words.length && match(p, w + 1));
    if (w === words.length) return false;
    return (parts[p] === '*' || parts[p] === words[w]) && match(p + 1, w + 1);
  };
  return match(0, 0);
}

describe('delay levels', () => {
  test('the routing key carries the delay bits, most significant first, then the destination', () => {
    const route = delayedRoute(names, 5, 'disparo.lane.abc');
    assert.equal(route.routingKey, `${'0.'.repeat(29)}1.0.1.disparo.lane.abc`);
    assert.equal(route.exchange, names.level(2), 'published into the level of the highest set bit');
  });

  test('a zero or negative delay goes straight to delivery', () => {
    assert.equal(delayedRoute(names, 0, 'q').exchange, names.delivery);
    assert.equal(delayedRoute(names, -50, 'q').exchange, names.delivery);
  });

  test('following the bindings adds up exactly the requested delay, for many delays', () => {
    for (const delay of [1, 2, 3, 50, 100, 1_000, 4_095, 20_000, 60_000, 86_400_000, 7 * 86_400_000, MAX_DELAY_MS]) {
      const route = delayedRoute(names, delay, 'disparo.campaign-process');
      assert.deepEqual(simulate(route.exchange, route.routingKey), { delay, destination: 'disparo.campaign-process' });
    }
  });

  test('delays beyond the largest level are capped, not wrapped', () => {
    const route = delayedRoute(names, MAX_DELAY_MS * 3, 'q');
    assert.equal(simulate(route.exchange, route.routingKey).delay, MAX_DELAY_MS);
  });

  test('every level queue holds messages exactly 2^k ms and dead-letters at least once', () => {
    const topology = delayTopology('disparo');
    assert.equal(topology.queues.length, DELAY_LEVELS);
    for (const queue of topology.queues) {
      const level = Number(queue.name.split('.').pop());
      assert.equal(queue.arguments['x-message-ttl'], 2 ** level);
      assert.equal(queue.arguments['x-dead-letter-strategy'], 'at-least-once');
      assert.equal(
        queue.arguments['x-overflow'],
        'reject-publish',
        'at-least-once dead-lettering requires reject-publish',
      );
    }
  });
});
