import assert from 'node:assert/strict';
import { after, before, describe, test } from 'node:test';
import { findViolations } from '../../src/domain/pacing/pacing-rule';
import { createCampaign, seedCompany, startSystem, type TestSystem, waitForStatus } from '../support/system';

type Seeded = Awaited<ReturnType<typeof seedCompany>>;

/**
 * A number with a provider throughput whose start gap is shorter than a round trip sends in
 * throughput mode (src/domain/pacing/lane-mode.ts): batches of sends, calls overlapping, each
 * START still a full gap after the previous one. The sandbox judges every start as it arrives.
 */
describe('throughput lanes', () => {
  let system: TestSystem;
  before(async () => {
    system = await startSystem('throughput-lane');
  });
  after(() => system.stop());

  async function run(seeded: Seeded, throughputPerSec: number, timeoutMs: number) {
    const set = await system.api('PATCH', `/v1/connections/${seeded.connectionId}`, { throughputPerSec }, seeded.key);
    assert.equal(set.status, 200, JSON.stringify(set.body));
    // The lane's mode is read from the data when its consumer subscribes: give the worker's scan a moment.
    const campaignId = await createCampaign(system, seeded.key, {
      connectionId: seeded.connectionId,
      listId: seeded.listId,
    });
    const startedAt = Date.now();
    assert.equal((await system.api('POST', `/v1/campaigns/${campaignId}/start`, undefined, seeded.key)).status, 202);
    const done = await waitForStatus(system, seeded.key, campaignId, 'completed', timeoutMs);
    return { campaignId, done, seconds: (Date.now() - startedAt) / 1000 };
  }

  test('80/s over a 120 ms round trip: every contact once, no start too soon, far faster than one call at a time', async () => {
    const contacts = 400;
    const seeded = await seedCompany(system, {
      pacing: { messageInterval: 0.001, longerIntervalAfter: 100_000, greaterInterval: 60 },
      contacts,
      sandbox: { latencyMs: 120 },
    });
    const { done } = await run(seeded, 80, 60_000);
    assert.equal(done.counters.sent, contacts);
    const sends = await system.sandboxSends(seeded.connectionId);
    assert.equal(sends.length, contacts, 'one send per contact');
    assert.equal(new Set(sends.map((send) => send.to)).size, contacts, 'nobody twice');
    assert.deepEqual(
      sends.filter((send) => send.violation),
      [],
      'no start under 12.5 ms after the previous one',
    );
    const times = sends.map((send) => send.receivedAt.getTime());
    const perSec = (times.length - 1) / ((times.at(-1)! - times[0]!) / 1000);
    // One call at a time at 120 ms is about 8/s; the provider allows 80.
    assert.ok(perSec > 40, `${perSec.toFixed(1)} sends/s`);
    assert.ok(perSec <= 80.5, `${perSec.toFixed(1)} sends/s, never above the rate`);
  });

  test('runs and the longer interval still hold: starts in flight count in the run', async () => {
    const pacing = { messageInterval: 0.02, longerIntervalAfter: 15, greaterInterval: 1 };
    const contacts = 60;
    const seeded = await seedCompany(system, { pacing, contacts, sandbox: { latencyMs: 150 } });
    await run(seeded, 100, 60_000);
    const sends = await system.sandboxSends(seeded.connectionId);
    assert.equal(sends.length, contacts);
    assert.deepEqual(
      sends.filter((send) => send.violation),
      [],
      'the sandbox judged every start against the rule',
    );
    const times = sends.map((send) => send.receivedAt.getTime());
    assert.deepEqual(
      findViolations(times, { messageIntervalMs: 20, longerIntervalAfter: 15, greaterIntervalMs: 1_000 }),
      [],
      'a pause of the greater interval after every 15 starts',
    );
    // Overlapping did happen: 15 sends of a run took far less than 15 round trips.
    assert.ok(times[14]! - times[0]! < 14 * 150, `a run of 15 took ${times[14]! - times[0]!} ms`);
  });

  test('an anti-ban number with a throughput set still sends one call at a time', async () => {
    const contacts = 5;
    const latencyMs = 600;
    // A 300 ms gap is longer than the mode's bound (250 ms): one at a time, each after the previous answer.
    const seeded = await seedCompany(system, {
      pacing: { messageInterval: 0.3, longerIntervalAfter: 100, greaterInterval: 60 },
      contacts,
      sandbox: { latencyMs },
    });
    await run(seeded, 80, 60_000);
    const sends = await system.sandboxSends(seeded.connectionId);
    assert.equal(sends.length, contacts);
    const times = sends.map((send) => send.receivedAt.getTime());
    for (let i = 1; i < times.length; i++)
      assert.ok(
        times[i]! - times[i - 1]! >= latencyMs - 5,
        `start ${i} came ${times[i]! - times[i - 1]!} ms after the previous: it waited for its answer`,
      );
  });

  test('pause acts at the next start, nothing left sending; resumed, every contact once', async () => {
    const contacts = 200;
    const seeded = await seedCompany(system, {
      pacing: { messageInterval: 0.001, longerIntervalAfter: 100_000, greaterInterval: 60 },
      contacts,
      sandbox: { latencyMs: 150 },
    });
    const set = await system.api(
      'PATCH',
      `/v1/connections/${seeded.connectionId}`,
      { throughputPerSec: 20 },
      seeded.key,
    );
    assert.equal(set.status, 200);
    const campaignId = await createCampaign(system, seeded.key, {
      connectionId: seeded.connectionId,
      listId: seeded.listId,
    });
    assert.equal((await system.api('POST', `/v1/campaigns/${campaignId}/start`, undefined, seeded.key)).status, 202);
    for (;;) {
      if ((await system.sandboxSends(seeded.connectionId)).length >= 20) break;
      await new Promise((resolve) => setTimeout(resolve, 20));
    }
    const paused = await system.api('POST', `/v1/campaigns/${campaignId}/pause`, undefined, seeded.key);
    assert.equal(paused.status, 202, JSON.stringify(paused.body));
    const pausedAt = Date.now();
    // Within a recheck (100 ms) and a read of the campaign, sending stops. Judged by when each call
    // STARTED (the sandbox's receivedAt), not by when its record appeared: the record is written after
    // the call's 150 ms, and later still on a slow database.
    await new Promise((resolve) => setTimeout(resolve, 2_100));
    const atPause = await system.sandboxSends(seeded.connectionId);
    const late = atPause
      .map((send) => send.receivedAt.getTime() - pausedAt)
      .filter((afterPause) => afterPause > 600)
      .sort((a, b) => a - b);
    assert.deepEqual(late, [], 'no send starts after the pause (ms after its answer)');
    assert.ok(atPause.length < contacts);
    assert.equal(
      await system.models.Shipping.countDocuments({ campaignId, status: 'sending' }),
      0,
      'the sends claimed and not started went back',
    );
    assert.equal((await system.api('POST', `/v1/campaigns/${campaignId}/resume`, undefined, seeded.key)).status, 202);
    await waitForStatus(system, seeded.key, campaignId, 'completed', 60_000);
    const sends = await system.sandboxSends(seeded.connectionId);
    assert.equal(sends.length, contacts);
    assert.equal(new Set(sends.map((send) => send.to)).size, contacts, 'nobody twice');
    assert.deepEqual(
      sends.filter((send) => send.violation),
      [],
    );
  });
});
