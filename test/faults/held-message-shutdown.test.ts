import assert from 'node:assert/strict';
import { after, before, describe, test } from 'node:test';
import { KNOWN_ROLES } from '../../src/runtime/worker';
import {
  createCampaign,
  seedCompany,
  spawnWorker,
  startSystem,
  type TestSystem,
  waitForStatus,
  waitUntil,
} from '../support/system';

/**
 * SIGTERM to a dispatcher that holds a message until its planned time: the message goes back to
 * its lane at once, unsent, and the process exits without waiting for the shutdown cap; the next
 * dispatcher sends it at its time. Nothing lost, nothing sent during shutdown.
 */

const GAP_S = 15;

describe('a dispatcher stopped while holding a message', () => {
  let system: TestSystem;
  before(async () => {
    system = await startSystem('held-shutdown', { workers: [KNOWN_ROLES.filter((role) => role !== 'dispatch')] });
  });
  after(() => system.stop());

  test('hands the held message back at once and exits; another dispatcher sends it at its time', async () => {
    const { key, connectionId, listId } = await seedCompany(system, {
      contacts: 2,
      pacing: { messageInterval: GAP_S, longerIntervalAfter: 10, greaterInterval: GAP_S },
    });
    // A realistic cap: before, the dispatcher sent the held message during it.
    const dispatcher = await spawnWorker(system, 'dispatch', { SHUTDOWN_TIMEOUT_MS: '30000' });
    let exited = false;
    try {
      const campaignId = await createCampaign(system, key, { connectionId, listId });
      assert.equal((await system.api('POST', `/v1/campaigns/${campaignId}/start`, undefined, key)).status, 202);
      await waitUntil('the first send', async () => (await system.sandboxSends(connectionId)).length === 1, 20_000);
      await waitForStatus(system, key, campaignId, 'running', 5_000);
      await new Promise((resolve) => setTimeout(resolve, 2_000)); // the second message is held now
      const first = (await system.sandboxSends(connectionId))[0]!;

      const signalledAt = Date.now();
      dispatcher.kill('SIGTERM');
      const code = await dispatcher.exited();
      exited = true;
      const shutdownMs = Date.now() - signalledAt;
      assert.equal(code, 0, dispatcher.output().slice(-2000));
      assert.ok(shutdownMs < 6_000, `exited ${shutdownMs} ms after SIGTERM`);
      assert.match(dispatcher.output(), /held message went back to its lane unsent/);
      assert.equal((await system.sandboxSends(connectionId)).length, 1, 'nothing sent during shutdown');

      await system.addWorker(['dispatch']);
      await waitForStatus(system, key, campaignId, 'completed', 40_000);
      const sends = await system.sandboxSends(connectionId);
      assert.equal(sends.length, 2, 'sent once, not lost, not twice');
      const gap = sends[1]!.receivedAt.getTime() - first.receivedAt.getTime();
      assert.ok(gap >= GAP_S * 1000 - 50, `the pacing gap is kept (${gap} ms)`);
    } finally {
      if (!exited) dispatcher.kill('SIGKILL');
    }
  });
});
