import assert from 'node:assert/strict';
import { after, before, describe, test } from 'node:test';
import { ContactPrepared } from '../../src/domain/events/dispatch-messages';
import { createMessage, newCorrelation } from '../../src/domain/events/envelope';
import { HEADERS } from '../../src/infrastructure/rabbitmq/headers';
import { deadLetterQueue } from '../../src/infrastructure/rabbitmq/work-queue';
import { queues } from '../../src/topology';
import { injectRaw, takeAll } from '../support/messaging-harness';
import { createCampaign, seedCompany, startSystem, type TestSystem, waitForStatus, waitUntil } from '../support/system';

const MAX_MESSAGE_BYTES = 16_384;
const EACH_KIND = 10;

/** Malformed JSON, JSON that is no valid message for the queue, and messages over the size limit. */
function burst(): Array<{ kind: 'malformed' | 'invalid' | 'oversized'; body: Buffer }> {
  const valid = JSON.stringify(
    createMessage(
      ContactPrepared,
      {
        shippingId: '0123456789abcdef01234567',
        campaignId: '0123456789abcdef01234567',
        contactId: '0123456789abcdef01234567',
        connectionId: '0123456789abcdef01234567',
        plannedAt: new Date().toISOString(),
      },
      newCorrelation('0123456789abcdef01234567'),
    ),
  );
  const items: Array<{ kind: 'malformed' | 'invalid' | 'oversized'; body: Buffer }> = [];
  for (let i = 0; i < EACH_KIND; i++) {
    items.push({
      kind: 'malformed',
      body: i % 2 ? Buffer.from(valid.slice(0, 20 + i)) : Buffer.from([0xff, 0xfe, i, 0x00, 0x7b]),
    });
    items.push({
      kind: 'invalid',
      body: Buffer.from(
        i % 2 ? JSON.stringify({ type: 'Nope', payload: { i } }) : JSON.stringify([i, 'not an envelope']),
      ),
    });
    items.push({
      kind: 'oversized',
      body: Buffer.from(JSON.stringify({ ...JSON.parse(valid), padding: 'x'.repeat(MAX_MESSAGE_BYTES + i * 1000) })),
    });
  }
  return items;
}

const REASON: Record<string, RegExp> = {
  malformed: /^malformed JSON/,
  invalid: /^invalid message/,
  oversized: /^oversized: \d+ bytes, limit 16384/,
};

describe('a burst of malformed and oversized messages into every queue', () => {
  let system: TestSystem;
  before(async () => {
    system = await startSystem('poison', { env: { MAX_MESSAGE_BYTES: String(MAX_MESSAGE_BYTES) } });
  });
  after(() => system.stop());

  test('each ends in its dead-letter queue with its reason, and every consumer keeps working', async () => {
    const seeded = await seedCompany(system, { contacts: 6 });
    const names = queues('disparo');
    const targets = [
      names.eventRecorder,
      names.campaignProcess,
      names.contactPrepare,
      names.contactSync,
      names.lane(seeded.connectionId),
    ];
    const url = system.env.RABBITMQ_URL!;
    // Lanes share one dead-letter queue (one quorum queue per number, not two); the header names the lane.
    const deadOf = (queue: string) =>
      queue === names.lane(seeded.connectionId) ? names.laneDead : deadLetterQueue(queue);

    const injectedAt = Date.now();
    const perQueue = burst();
    await Promise.all(
      targets.map((queue) =>
        injectRaw(
          url,
          queue,
          perQueue.map((item) => item.body),
        ),
      ),
    );
    const dead = new Map<string, Array<{ headers: Record<string, unknown> }>>(targets.map((queue) => [queue, []]));
    await waitUntil(
      'every poison message dead-lettered',
      async () => {
        for (const queue of targets) dead.get(queue)!.push(...(await takeAll(url, deadOf(queue))));
        return [...dead.values()].every((letters) => letters.length >= perQueue.length);
      },
      60_000,
      200,
    );
    const deadLetteredMs = Date.now() - injectedAt;

    for (const queue of targets) {
      const letters = dead.get(queue)!;
      assert.equal(letters.length, perQueue.length, `${queue}: every injected message dead-lettered once`);
      for (const kind of ['malformed', 'invalid', 'oversized'] as const) {
        const matching = letters.filter((letter) => REASON[kind]!.test(String(letter.headers[HEADERS.deadReason])));
        assert.equal(matching.length, EACH_KIND, `${queue}: ${kind} messages carry their reason`);
      }
      assert.ok(letters.every((letter) => letter.headers[HEADERS.deadQueue] === queue));
    }

    // Normal work after the burst: a contact sync, a campaign through process → prepare → lane, the event log.
    const sync = await system.api('POST', `/v1/connections/${seeded.connectionId}/sync`, undefined, seeded.key);
    assert.equal(sync.status, 202);
    const campaignId = await createCampaign(system, seeded.key, {
      connectionId: seeded.connectionId,
      listId: seeded.listId,
    });
    await system.api('POST', `/v1/campaigns/${campaignId}/start`, undefined, seeded.key);
    const done = await waitForStatus(system, seeded.key, campaignId, 'completed', 60_000);
    assert.equal(done.counters.sent, 6);
    assert.equal((await system.sandboxSends(seeded.connectionId)).length, 6);
    await waitUntil(
      'the sync after the burst',
      async () => {
        const run = await system.api(
          'GET',
          `/v1/connections/${seeded.connectionId}/syncs/${sync.body.syncId}`,
          undefined,
          seeded.key,
        );
        return run.body?.status === 'completed';
      },
      30_000,
    );
    await waitUntil(
      'the event recorder to store the completion',
      async () =>
        (await system.db
          .collection('events')
          .countDocuments({ type: 'CampaignCompleted', 'payload.campaignId': campaignId })) === 1,
      30_000,
    );
    for (const queue of targets)
      assert.deepEqual(await takeAll(url, deadOf(queue)), [], `${queue}: no legitimate message dead-lettered`);
    console.log(
      `# poison burst: ${perQueue.length} messages into each of ${targets.length} queues, all ${perQueue.length * targets.length} dead-lettered with their reason in ${deadLetteredMs} ms; the campaign after it sent 6/6`,
    );
  });
});
