import type { BindingSpec, ExchangeSpec, QueueSpec, TopologySpec } from './topology-spec';

/**
 * Plugin-free delayed delivery (the NServiceBus "delay levels" design, in milliseconds).
 *
 * Level k is a topic exchange plus a queue whose every message waits exactly 2^k ms (one fixed
 * TTL per queue, so nothing ever waits behind a longer delay). The routing key carries the
 * delay's bits, most significant first, then the destination queue name:
 *   `b31.b30.….b0.<destination queue>`
 * Exchange k sends a message to its queue when bit k is 1, straight on to exchange k−1 when it is
 * 0; a queue dead-letters expired messages to the next exchange down. Below level 0 the
 * delivery exchange routes on the destination name. A message is published into the level of
 * its highest set bit, so a 100 ms delay passes 7 exchanges, not 32.
 */
export const DELAY_LEVELS = 32;
export const MAX_DELAY_MS = 2 ** DELAY_LEVELS - 1; // ≈ 49.7 days

export interface DelayNames {
  level(k: number): string;
  delivery: string;
}

export function delayNames(prefix: string): DelayNames {
  return {
    level: (k) => `${prefix}.delay.${String(k).padStart(2, '0')}`,
    delivery: `${prefix}.delay.deliver`,
  };
}

/** Where to publish a message that must reach `destinationQueue` after `delayMs`. */
export function delayedRoute(
  names: DelayNames,
  delayMs: number,
  destinationQueue: string,
): { exchange: string; routingKey: string } {
  const delay = Math.min(Math.max(Math.round(delayMs), 0), MAX_DELAY_MS);
  const bits = delay.toString(2).padStart(DELAY_LEVELS, '0');
  const routingKey = `${bits.split('').join('.')}.${destinationQueue}`;
  const exchange = delay === 0 ? names.delivery : names.level(bits.length - 1 - bits.indexOf('1'));
  return { exchange, routingKey };
}

const anyWords = (count: number) => '*.'.repeat(count);

/** The delay exchanges and queues; `destinations` are the queues that may receive delayed messages. */
export function delayTopology(prefix: string): TopologySpec {
  const names = delayNames(prefix);
  const exchanges: ExchangeSpec[] = [];
  const queues: QueueSpec[] = [];
  const bindings: BindingSpec[] = [];
  for (let k = DELAY_LEVELS - 1; k >= 0; k--) {
    const next = k === 0 ? names.delivery : names.level(k - 1);
    const position = anyWords(DELAY_LEVELS - 1 - k);
    exchanges.push({ name: names.level(k), type: 'topic', purpose: `delay level ${k}: routes on bit ${k}` });
    queues.push({
      name: names.level(k),
      purpose: `holds each message exactly 2^${k} ms, then dead-letters it to ${next}`,
      arguments: {
        'x-queue-type': 'quorum',
        'x-message-ttl': 2 ** k,
        'x-dead-letter-exchange': next,
        'x-dead-letter-strategy': 'at-least-once',
        'x-overflow': 'reject-publish',
      },
    });
    bindings.push(
      { source: names.level(k), destination: names.level(k), destinationType: 'queue', pattern: `${position}1.#` },
      { source: names.level(k), destination: next, destinationType: 'exchange', pattern: `${position}0.#` },
    );
  }
  exchanges.push({ name: names.delivery, type: 'topic', purpose: 'hands delayed messages to their destination queue' });
  return { exchanges, queues, bindings };
}

/** Lets `queue` receive delayed messages addressed to it. */
export function delayDeliveryBinding(prefix: string, queue: string): BindingSpec {
  return {
    source: delayNames(prefix).delivery,
    destination: queue,
    destinationType: 'queue',
    pattern: `${anyWords(DELAY_LEVELS)}${queue}`,
  };
}
