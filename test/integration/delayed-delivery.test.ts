import assert from 'node:assert/strict';
import { after, before, describe, test } from 'node:test';
import { createMessage, newCorrelation } from '../../src/domain/events/envelope';
import { Collector, percentile } from '../support/collector';
import { type Harness, PROBE_QUEUE, probeConsumer, startHarness, TestPing } from '../support/messaging-harness';

describe('delayed delivery through the delay levels (no plugin)', () => {
  let harness: Harness;
  const received = new Collector<{ seq: number; at: number }>();

  before(async () => {
    harness = await startHarness('delay');
    await harness.run(probeConsumer(50, async (message) => received.add({ seq: message.payload.seq, at: Date.now() })));
  });
  after(() => harness.dispose());

  const ping = (seq: number) => createMessage(TestPing, { seq, sentAt: Date.now() }, newCorrelation('company-1'));

  test('a 100 ms delay published after a 60 s delay arrives first', async () => {
    const start = Date.now();
    await harness.publisher.send(PROBE_QUEUE, ping(1), { delayMs: 60_000 });
    await harness.publisher.send(PROBE_QUEUE, ping(2), { delayMs: 100 });
    const [first] = await received.waitFor(1, 5_000);
    assert.equal(first?.seq, 2);
    assert.ok(first.at - start >= 100, `arrived after ${first.at - start} ms, before its 100 ms delay`);
    received.items.length = 0;
  });

  test('delays from 50 ms to 5 s arrive no earlier than asked and within 100 ms after (p99)', async () => {
    const delays = Array.from({ length: 60 }, (_, i) => (i === 0 ? 5_000 : 50 + Math.round((i * 7919) % 4950)));
    const sent = new Map<number, { at: number; delay: number }>();
    await Promise.all(
      delays.map(async (delay, i) => {
        const seq = 1_000 + i;
        sent.set(seq, { at: Date.now(), delay });
        await harness.publisher.send(PROBE_QUEUE, ping(seq), { delayMs: delay });
      }),
    );
    const arrivals = await received.waitFor(delays.length, 15_000);
    const lateness = arrivals.map(({ seq, at }) => {
      const origin = sent.get(seq)!;
      return at - origin.at - origin.delay;
    });
    const early = lateness.filter((late) => late < 0);
    assert.deepEqual(early, [], 'no message may arrive before its delay');
    const p99 = percentile(lateness, 99);
    console.log(`delay lateness ms: p50=${percentile(lateness, 50)} p99=${p99} max=${Math.max(...lateness)}`);
    assert.ok(p99 <= 100, `p99 lateness ${p99} ms > 100 ms`);
  });
});
