import assert from 'node:assert/strict';
import { after, before, describe, test } from 'node:test';
import { findViolations } from '../../src/domain/pacing/pacing-rule';
import {
  createCampaign,
  seedCompany,
  spawnWorker,
  startSystem,
  type TestSystem,
  waitForStatus,
  waitUntil,
} from '../support/system';

const pacing = { messageInterval: 0.1, longerIntervalAfter: 10, greaterInterval: 0.3 };

describe('a dispatching worker killed mid-campaign', () => {
  let system: TestSystem;
  const children: Array<Awaited<ReturnType<typeof spawnWorker>>> = [];
  before(async () => {
    // In this process: everything but dispatch. Dispatch runs in two separate worker processes.
    system = await startSystem('failover', {
      workers: [['event-recorder', 'campaign-process', 'contact-prepare', 'scheduler']],
    });
  });
  after(async () => {
    for (const child of children) if (child.exitCode === null) child.kill('SIGKILL');
    await system.stop();
  });

  test('SIGKILL of the active dispatcher: the other takes over, zero duplicates, zero lost, spacing kept', async () => {
    const seeded = await seedCompany(system, { pacing, contacts: 40 });
    children.push(await spawnWorker(system, 'dispatch', { LOG_LEVEL: 'debug' }));
    children.push(await spawnWorker(system, 'dispatch', { LOG_LEVEL: 'debug' }));
    const campaignId = await createCampaign(system, seeded.key, {
      connectionId: seeded.connectionId,
      listId: seeded.listId,
    });
    await system.api('POST', `/v1/campaigns/${campaignId}/start`, undefined, seeded.key);

    const active = await waitUntil(
      'a worker to send',
      async () => children.find((child) => /"message":"message sent"/.test(child.output())),
      20_000,
      20,
    );
    await waitUntil('ten sends', async () => (await system.sandboxSends(seeded.connectionId)).length >= 10, 20_000, 20);
    active.kill('SIGKILL');
    await active.exited();
    const survivor = children.find((child) => child !== active)!;

    const done = await waitForStatus(system, seeded.key, campaignId, 'completed', 60_000);
    assert.equal(done.counters.sent, 40);
    assert.match(survivor.output(), /"message":"message sent"/, 'the surviving worker took the lane over');
    const sends = await system.sandboxSends(seeded.connectionId);
    assert.equal(sends.length, 40, 'none lost, none twice (sandbox record)');
    assert.equal(new Set(sends.map((send) => send.to)).size, 40);
    assert.deepEqual(
      sends.filter((send) => send.violation),
      [],
      'no pacing violation across the failover',
    );
    assert.deepEqual(
      findViolations(
        sends.map((send) => send.receivedAt.getTime()),
        { messageIntervalMs: 100, longerIntervalAfter: 10, greaterIntervalMs: 300 },
      ),
      [],
    );
  });
});
