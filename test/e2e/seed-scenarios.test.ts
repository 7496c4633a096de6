import assert from 'node:assert/strict';
import { after, before, describe, test } from 'node:test';
import { findViolations } from '../../src/domain/pacing/pacing-rule';
import { createCampaign, seedCompany, startSystem, type TestSystem, waitForStatus, waitUntil } from '../support/system';

const pacing = { messageInterval: 0.08, longerIntervalAfter: 5, greaterInterval: 0.25 };
const pacingMs = { messageIntervalMs: 80, longerIntervalAfter: 5, greaterIntervalMs: 250 };

describe("the seed's scenarios", () => {
  let system: TestSystem;
  before(async () => {
    system = await startSystem('seed');
  });
  after(() => system.stop());

  test('scenario 1: a campaign created while another sends on the same number — both complete, spacing holds, the second comes after what is already in the lane', async () => {
    const seeded = await seedCompany(system, { pacing, contacts: 8 });
    const first = await createCampaign(system, seeded.key, {
      name: 'A',
      connectionId: seeded.connectionId,
      listId: seeded.listId,
    });
    await system.api('POST', `/v1/campaigns/${first}/start`, undefined, seeded.key);
    await waitUntil(
      'the first campaign to send',
      async () => (await system.sandboxSends(seeded.connectionId)).length >= 2,
      10_000,
      20,
    );

    const second = await createCampaign(system, seeded.key, {
      name: 'B',
      connectionId: seeded.connectionId,
      listId: seeded.listId,
      variants: ['Segunda campanha para {name}'],
    });
    await system.api('POST', `/v1/campaigns/${second}/start`, undefined, seeded.key);
    await waitForStatus(system, seeded.key, first, 'completed', 30_000);
    await waitForStatus(system, seeded.key, second, 'completed', 30_000);

    const sends = await system.sandboxSends(seeded.connectionId);
    assert.equal(sends.length, 16);
    assert.deepEqual(
      sends.filter((send) => send.violation),
      [],
    );
    assert.deepEqual(
      findViolations(
        sends.map((send) => send.receivedAt.getTime()),
        pacingMs,
      ),
      [],
    );
    const lastOfFirst = Math.max(
      ...sends.filter((send) => !send.text.startsWith('Segunda')).map((send) => send.receivedAt.getTime()),
    );
    const firstOfSecond = Math.min(
      ...sends.filter((send) => send.text.startsWith('Segunda')).map((send) => send.receivedAt.getTime()),
    );
    assert.ok(firstOfSecond > lastOfFirst, 'the second campaign sends after the first one already in the lane');
  });

  test('scenario 2: three campaigns due at the same instant — on one number they share its pace; on three numbers they send in parallel', async () => {
    const one = await seedCompany(system, { pacing, contacts: 6 });
    const three = await seedCompany(system, { pacing, contacts: 6, connections: 3 });
    const dueAt = new Date(Date.now() + 2_000).toISOString();
    const sameNumber = await Promise.all(
      [0, 1, 2].map((i) =>
        createCampaign(system, one.key, {
          name: `mesmo-${i}`,
          connectionId: one.connectionId,
          listId: one.listId,
          scheduledAt: dueAt,
        }),
      ),
    );
    const threeNumbers = await Promise.all(
      three.connections.map((connectionId, i) =>
        createCampaign(system, three.key, {
          name: `numero-${i}`,
          connectionId,
          listId: three.listId,
          scheduledAt: dueAt,
        }),
      ),
    );
    for (const id of sameNumber) await waitForStatus(system, one.key, id, 'completed', 40_000);
    for (const id of threeNumbers) await waitForStatus(system, three.key, id, 'completed', 40_000);

    const shared = await system.sandboxSends(one.connectionId);
    assert.equal(shared.length, 18, 'three campaigns × six contacts on one number');
    assert.deepEqual(
      shared.filter((send) => send.violation),
      [],
    );
    assert.deepEqual(
      findViolations(
        shared.map((send) => send.receivedAt.getTime()),
        pacingMs,
      ),
      [],
    );
    const sharedSpan = shared.at(-1)!.receivedAt.getTime() - shared[0]!.receivedAt.getTime();

    const spans = [];
    for (const connectionId of three.connections) {
      const sends = await system.sandboxSends(connectionId);
      assert.equal(sends.length, 6);
      assert.deepEqual(
        sends.filter((send) => send.violation),
        [],
      );
      spans.push([sends[0]!.receivedAt.getTime(), sends.at(-1)!.receivedAt.getTime()]);
    }
    const parallelSpan = Math.max(...spans.map((span) => span[1]!)) - Math.min(...spans.map((span) => span[0]!));
    assert.ok(
      parallelSpan < sharedSpan / 2,
      `three numbers in parallel (${parallelSpan} ms) beat one number for all (${sharedSpan} ms)`,
    );
    const firstSends = spans.map((span) => span[0]!);
    assert.ok(
      Math.max(...firstSends) - Math.min(...firstSends) < 500,
      'each number starts at the due time, none waits for another',
    );
    assert.ok(Math.min(...firstSends) >= Date.parse(dueAt), 'nothing is sent before the due time');
  });
});
