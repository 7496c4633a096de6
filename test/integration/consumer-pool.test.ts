import assert from 'node:assert/strict';
import { after, before, describe, test } from 'node:test';
import { createMessage, type MessageOf, newCorrelation } from '../../src/domain/events/envelope';
import { ConsumerPool, type Standing } from '../../src/infrastructure/rabbitmq/consumer-pool';
import type { ConsumerRunnerDeps, ConsumerSpec } from '../../src/infrastructure/rabbitmq/consumer-runner';
import { HEADERS } from '../../src/infrastructure/rabbitmq/headers';
import { laneTopology, queues } from '../../src/topology';
import { sleep } from '../support/collector';
import {
  type Harness,
  injectRaw,
  PREFIX,
  silentLogger,
  startHarness,
  TestPing,
  takeAll,
} from '../support/messaging-harness';

type Ping = MessageOf<typeof TestPing>;
const LANES = 24;
const laneIds = Array.from({ length: LANES }, (_, i) => `pool${String(i).padStart(4, '0')}`);
const names = queues(PREFIX);

/** What each pooled consumer saw: handler overlap per queue and across the pool, and who handled what. */
class Ledger {
  readonly running = new Map<string, number>();
  maxPerQueue = 0;
  maxOverall = 0;
  overall = 0;
  readonly handled: Array<{ queue: string; seq: number; worker: string; redelivered: boolean }> = [];

  spec(queue: string, worker: string, holdMs: number): ConsumerSpec<unknown> {
    const spec: ConsumerSpec<Ping> = {
      name: 'pooled',
      queue,
      prefetch: 1,
      schema: TestPing.schema,
      handle: async (message, context) => {
        // Per queue: across both pools, since the queue has one active consumer at a time.
        const now = (this.running.get(queue) ?? 0) + 1;
        this.running.set(queue, now);
        this.overall++;
        this.maxPerQueue = Math.max(this.maxPerQueue, now);
        this.maxOverall = Math.max(this.maxOverall, this.overall);
        await sleep(holdMs);
        this.running.set(queue, (this.running.get(queue) ?? 1) - 1);
        this.overall--;
        this.handled.push({ queue, seq: message.payload.seq, worker, redelivered: context.redelivered });
      },
    };
    return spec as ConsumerSpec<unknown>;
  }
}

describe('consumer pool: many single-active consumers on few channels', () => {
  let harness: Harness;
  const pools: ConsumerPool[] = [];
  const deps = (): ConsumerRunnerDeps => ({
    broker: harness.broker,
    publisher: harness.publisher,
    logger: silentLogger,
    errorReporter: harness.reporter,
    metrics: harness.metrics,
    retryPolicy: { maxAttempts: 3, baseDelayMs: 20, maxDelayMs: 200 },
    prefix: PREFIX,
    maxMessageBytes: 64 * 1024,
  });
  const pool = (name: string) => {
    const created = new ConsumerPool(deps(), { consumersPerChannel: 5, channelsPerConnection: 2, prefetch: 1, name });
    pools.push(created);
    return created;
  };
  const ping = (seq: number) =>
    createMessage(TestPing, { seq, sentAt: Date.now(), fail: 'none' }, newCorrelation('c1'));

  before(async () => {
    harness = await startHarness('pool');
    for (const id of laneIds) await harness.broker.declareOnce(laneTopology({ prefix: PREFIX, deliveryLimit: 5 }, id));
  });
  after(async () => {
    await Promise.all(pools.map((each) => each.stop(2_000)));
    await harness.dispose();
  });

  test('prefetch 1 per consumer on shared channels: queues run side by side, never two at once on one queue', async () => {
    const ledger = new Ledger();
    const first = pool('pool-a');
    for (const id of laneIds) await first.add(ledger.spec(names.lane(id), 'a', 40), 'first');
    assert.equal(first.channelCount, Math.ceil(LANES / 5), 'five consumers per channel');
    assert.equal(first.connectionCount, Math.ceil(LANES / 5 / 2), 'two channels per connection');
    let seq = 0;
    for (const id of laneIds) for (let i = 0; i < 3; i++) await harness.publisher.send(names.lane(id), ping(seq++));
    const deadline = Date.now() + 20_000;
    while (ledger.handled.length < LANES * 3 && Date.now() < deadline) await sleep(50);
    assert.equal(ledger.handled.length, LANES * 3, 'every message handled once');
    assert.equal(ledger.maxPerQueue, 1, 'one message at a time per queue (prefetch 1 each)');
    assert.ok(ledger.maxOverall > 5, `queues sharing a channel run side by side (max ${ledger.maxOverall} at once)`);
    await first.stop(2_000);
  });

  test('an invalid message on a pooled lane goes to the lanes’ dead-letter queue with its reason', async () => {
    const ledger = new Ledger();
    const poolA = pool('pool-dead');
    const queue = names.lane(laneIds[0]!);
    await poolA.add(ledger.spec(queue, 'a', 0), 'first');
    await injectRaw(harness.url, queue, [Buffer.from('{"not":"a ping"}'), Buffer.from('{oops')]);
    const letters: Awaited<ReturnType<typeof takeAll>> = [];
    const deadline = Date.now() + 10_000;
    while (letters.length < 2 && Date.now() < deadline) {
      letters.push(...(await takeAll(harness.url, names.laneDead)));
      await sleep(50);
    }
    assert.equal(letters.length, 2);
    assert.ok(
      letters.every((letter) => letter.headers[HEADERS.deadQueue] === queue),
      'the header names the lane',
    );
    assert.deepEqual(letters.map((letter) => String(letter.headers[HEADERS.deadReason]).split(':')[0]).sort(), [
      'invalid message',
      'malformed JSON',
    ]);
    await poolA.stop(2_000);
  });

  test('handing a queue back: the standby behind it becomes active, with no overlap and nothing lost', async () => {
    const ledger = new Ledger();
    const a = pool('pool-a2');
    const b = pool('pool-b2');
    const lanes = laneIds.slice(0, 6).map((id) => names.lane(id));
    const subscribe = async (target: ConsumerPool, worker: string, standing: Standing) => {
      for (const queue of lanes) await target.add(ledger.spec(queue, worker, 30), standing);
    };
    await subscribe(a, 'a', 'first');
    await subscribe(b, 'b', 'standby');
    let seq = 1_000;
    const publishRound = async () => {
      for (const queue of lanes) for (let i = 0; i < 4; i++) await harness.publisher.send(queue, ping(seq++));
    };
    await publishRound();
    await sleep(60); // handlers are mid-message when the hand-back comes
    for (const queue of lanes) a.handBack(queue);
    await publishRound();
    const deadline = Date.now() + 20_000;
    while (ledger.handled.length < lanes.length * 8 && Date.now() < deadline) await sleep(50);
    assert.equal(ledger.handled.length, lanes.length * 8, 'every message handled');
    assert.equal(new Set(ledger.handled.map((item) => item.seq)).size, lanes.length * 8, 'none twice');
    assert.equal(ledger.maxPerQueue, 1, 'the old and the new active consumer never overlap');
    for (const queue of lanes) {
      const order = ledger.handled.filter((item) => item.queue === queue).map((item) => item.worker);
      assert.equal(order[0], 'a', `${queue}: the consumer subscribed first was active`);
      assert.equal(order.at(-1), 'b', `${queue}: after the hand-back the standby is`);
      assert.equal(order.join('').replace(/^a+b+$/, 'ok'), 'ok', `${queue}: one switch (${order.join('')})`);
    }
  });

  test('lanes changing hands over and over while messages arrive: no delivery attempt spent, nothing dead, nothing twice', async () => {
    // What dispatch workers joining and leaving do to a lane: the owner hands it back, the other
    // worker takes it and hands it back in turn, a worker drops a lane and subscribes again. The
    // lanes' quorum queues here allow 5 deliveries: every delivery that reaches a consumer being
    // cancelled and is given back counts as one.
    const ledger = new Ledger();
    const a = pool('pool-churn-a');
    const b = pool('pool-churn-b');
    const lanes = laneIds.slice(6, 12).map((id) => names.lane(id));
    for (const queue of lanes) await a.add(ledger.spec(queue, 'a', 3), 'first');
    for (const queue of lanes) await b.add(ledger.spec(queue, 'b', 3), 'standby');
    const random = <T>(items: T[]) => items[Math.floor(Math.random() * items.length)]!;
    let seq = 10_000;
    let published = 0;
    let churning = true;
    const churn = (async () => {
      while (churning) {
        const queue = random(lanes);
        const roll = Math.random();
        if (roll < 0.4) a.handBack(queue);
        else if (roll < 0.8) b.handBack(queue);
        else if (roll < 0.9) await b.remove(queue);
        else await b.add(ledger.spec(queue, 'b', 3), random<Standing>(['first', 'standby']));
        await sleep(5);
      }
    })();
    const started = Date.now();
    while (Date.now() - started < 4_000) {
      await harness.publisher.send(random(lanes), ping(seq++));
      published++;
      await sleep(Math.random() * 12);
    }
    churning = false;
    await churn;
    for (const queue of lanes) await b.add(ledger.spec(queue, 'b', 3), 'standby');
    const deadline = Date.now() + 20_000;
    while (ledger.handled.length < published && Date.now() < deadline) await sleep(50);
    const dead = (await takeAll(harness.url, names.laneDead)).filter((letter) =>
      lanes.includes(String(letter.headers[HEADERS.deadQueue])),
    );
    assert.deepEqual(
      dead.map((letter) => String(letter.headers[HEADERS.deadReason])),
      [],
      'nothing reached the lanes’ dead-letter queue',
    );
    const again = ledger.handled.filter((item) => item.redelivered);
    assert.equal(again.length, 0, `no message came back after a hand-back (${again.length} redelivered)`);
    assert.equal(ledger.handled.length, published, 'every message handled');
    assert.equal(new Set(ledger.handled.map((item) => item.seq)).size, published, 'none twice');
    assert.equal(ledger.maxPerQueue, 1, 'never two consumers of one lane at once');
    assert.deepEqual(
      [...new Set(ledger.handled.map((item) => item.worker))].sort(),
      ['a', 'b'],
      'the lanes did change hands',
    );
  });
});
