import assert from 'node:assert/strict';
import { after, before, describe, test } from 'node:test';
import { PermanentError } from '../../src/domain/errors';
import { createMessage, newCorrelation } from '../../src/domain/events/envelope';
import { HEADERS } from '../../src/infrastructure/rabbitmq/headers';
import { deadLetterQueue } from '../../src/infrastructure/rabbitmq/work-queue';
import { Collector, sleep } from '../support/collector';
import {
  type Harness,
  injectRaw,
  PROBE_QUEUE,
  probeConsumer,
  startHarness,
  TestPing,
  takeAll,
} from '../support/messaging-harness';

const DEAD = deadLetterQueue(PROBE_QUEUE);

async function waitForDead(harness: Harness, count: number, timeoutMs = 10_000) {
  const dead: Awaited<ReturnType<typeof takeAll>> = [];
  const deadline = Date.now() + timeoutMs;
  while (dead.length < count && Date.now() < deadline) {
    dead.push(...(await takeAll(harness.url, DEAD)));
    if (dead.length < count) await sleep(50);
  }
  assert.equal(dead.length, count, `expected ${count} dead letters, found ${dead.length}`);
  return dead;
}

describe('consumer runner: validate → handle → ack, retries and dead letters', () => {
  let harness: Harness;
  const handled = new Collector<{ seq: number; previousFailures: number }>();
  const attempts = new Map<number, number>();

  before(async () => {
    harness = await startHarness('runner');
    await harness.run(
      probeConsumer(10, async (message, context) => {
        const { seq, fail } = message.payload;
        const attempt = (attempts.get(seq) ?? 0) + 1;
        attempts.set(seq, attempt);
        if (fail === 'permanent') throw new PermanentError(`ping ${seq} can never work`);
        // Transient failures: seq < 100 fails twice then works; seq >= 100 always fails.
        if (fail === 'transient' && (seq >= 100 || attempt <= 2))
          throw new Error(`ping ${seq} failed on attempt ${attempt}`);
        handled.add({ seq, previousFailures: context.previousFailures });
      }),
    );
  });
  after(() => harness.dispose());

  const ping = (seq: number, fail: 'none' | 'transient' | 'permanent' = 'none') =>
    createMessage(TestPing, { seq, sentAt: Date.now(), fail }, newCorrelation('company-1'));

  test('a valid message is handled once', async () => {
    await harness.publisher.publish(TestPing, ping(1));
    const [item] = await handled.waitFor(1, 5_000);
    assert.deepEqual(item, { seq: 1, previousFailures: 0 });
    await sleep(200);
    assert.equal(handled.items.length, 1, 'handled exactly once');
  });

  test('a transient failure is retried with backoff and then succeeds', async () => {
    handled.items.length = 0;
    await harness.publisher.publish(TestPing, ping(7, 'transient'));
    const [item] = await handled.waitFor(1, 5_000);
    assert.deepEqual(item, { seq: 7, previousFailures: 2 });
    assert.equal(attempts.get(7), 3);
  });

  test('poison messages go to the dead-letter queue with their reason, and the consumer keeps going', async () => {
    handled.items.length = 0;
    const invalid = JSON.stringify({ ...ping(20), payload: { seq: 'twenty' } });
    await injectRaw(harness.url, PROBE_QUEUE, [
      Buffer.from('{not json'),
      Buffer.from(invalid),
      Buffer.alloc(70 * 1024, 'x'),
    ]);
    await harness.publisher.publish(TestPing, ping(21, 'permanent'));
    await harness.publisher.publish(TestPing, ping(150, 'transient'));
    await harness.publisher.publish(TestPing, ping(22));

    const dead = await waitForDead(harness, 5);
    const reasons = dead.map((message) => String(message.headers[HEADERS.deadReason])).sort();
    assert.match(reasons.find((r) => r.startsWith('malformed JSON')) ?? '', /malformed JSON/);
    assert.match(reasons.find((r) => r.startsWith('invalid message')) ?? '', /payload\.seq/);
    assert.match(reasons.find((r) => r.startsWith('oversized')) ?? '', /71680 bytes/);
    assert.match(reasons.find((r) => r.startsWith('permanent')) ?? '', /ping 21 can never work/);
    assert.match(reasons.find((r) => r.startsWith('retries exhausted')) ?? '', /after 4 failures: ping 150 failed/);
    for (const message of dead) {
      assert.equal(message.headers[HEADERS.deadQueue], PROBE_QUEUE);
      assert.equal(message.headers[HEADERS.deadConsumer], 'probe');
    }
    assert.equal(attempts.get(150), 4, 'retried maxAttempts (3) times after the first failure');
    const [good] = await handled.waitFor(1, 5_000);
    assert.equal(good?.seq, 22);
    assert.equal(harness.reporter.captured.length, 2, 'permanent and exhausted failures reach the error reporter');

    // Each outcome is counted: dead letters by reason kind, retries by error, deliveries by outcome.
    const text = (await harness.metrics.exposition()).body;
    const value = (series: string) =>
      Number(new RegExp(`^${series.replace(/[{}]/g, '\\$&')} (\\d+)$`, 'm').exec(text)?.[1] ?? 0);
    for (const reason of ['malformed', 'invalid', 'oversized', 'permanent', 'exhausted']) {
      assert.equal(
        value(`disparo_dead_letters_total{consumer="probe",reason="${reason}"}`),
        1,
        `${reason} counted once:\n${text}`,
      );
    }
    assert.equal(
      value('disparo_messages_consumed_total{consumer="probe",type="undecodable",outcome="dead"}'),
      3,
      'malformed, invalid and oversized',
    );
    assert.ok(value('disparo_retries_total{consumer="probe",reason="Error"}') >= 5, 'seq 7 twice, seq 150 three times');
    assert.ok(value('disparo_events_published_total{type="TestPing"}') >= 5);
  });
});
