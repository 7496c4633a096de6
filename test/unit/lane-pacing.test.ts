import assert from 'node:assert/strict';
import { beforeEach, describe, test } from 'node:test';
import { LanePacing } from '../../src/application/shippings/lane-pacing';
import type { PacingSettings } from '../../src/domain/pacing/pacing-settings';
import { InMemoryLaneStore } from '../support/in-memory-lanes';
import { ManualClock } from '../support/in-memory-shippings';

const settings: PacingSettings = { messageIntervalMs: 1_000, longerIntervalAfter: 3, greaterIntervalMs: 5_000 };
const lane = 'n1';
const company = 'c1';

describe('lane pacing (the one owner of a number pacing state)', () => {
  let store: InMemoryLaneStore;
  let lanes: LanePacing;
  let clock: ManualClock;

  beforeEach(async () => {
    store = new InMemoryLaneStore();
    lanes = new LanePacing(store);
    clock = new ManualClock();
    // As dispatch does: the lane's state is read (and its record created) before anything is recorded.
    await lanes.dispatchState(lane, company, settings, clock.now());
  });

  test('two campaigns reserving on one number get consecutive stretches of its time', async () => {
    const first = await lanes.reserve(lane, company, settings, clock.now(), 2);
    assert.deepEqual(first, { lastSentAt: null, runLength: 0 }, 'the first plan starts from an idle lane');
    const second = await lanes.reserve(lane, company, settings, clock.now(), 2);
    // The first plan took now and now + 1 s: the second starts after it, inside the same run.
    assert.deepEqual(second, { lastSentAt: clock.now() + 1_000, runLength: 2 });
    assert.equal(store.records.get(lane)!.version, 2);
  });

  test('a reservation that loses a round to another process plans again from what that one reserved', async () => {
    let other = true;
    store.beforeReplace = async () => {
      if (!other) return;
      other = false;
      const record = store.records.get(lane)!;
      store.records.set(lane, {
        ...record,
        planned: { lastSentAt: clock.now() + 10_000, runLength: 1 },
        version: record.version + 1,
      });
    };
    const initial = await lanes.reserve(lane, company, settings, clock.now(), 1);
    assert.deepEqual(initial, { lastSentAt: clock.now() + 10_000, runLength: 1 });
  });

  test('a plan starts after the real sends when they are later than what was planned', async () => {
    const sent = await lanes.endSend(lane, { lastSentAt: null, runLength: 0 }, settings, clock.now());
    await lanes.reserve(lane, company, settings, clock.now(), 0);
    clock.advance(500);
    const initial = await lanes.reserve(lane, company, settings, clock.now() - 10_000, 1);
    assert.deepEqual(initial, sent);
  });

  test('a send left in flight by a crash counts as made at takeover: the next waits a full gap from then', async () => {
    await lanes.endSend(lane, { lastSentAt: null, runLength: 0 }, settings, clock.now());
    clock.advance(1_000);
    await lanes.beginSend(lane, 'shipping-2', clock.now());
    clock.advance(30_000); // the dispatcher died; another takes the lane over much later
    const { sent } = await lanes.dispatchState(lane, company, settings, clock.now());
    assert.equal(sent.lastSentAt, clock.now(), 'made at takeover, not when it began');
    assert.equal(sent.runLength, 1, 'a gap of greaterInterval or more started a new run');
    assert.equal(store.records.get(lane)!.inFlight, null, 'resolved once, then cleared');
  });

  test('a send begun and then withdrawn (an opt-out) leaves the lane as it was: not in flight, no send counted', async () => {
    const sent = await lanes.endSend(lane, { lastSentAt: null, runLength: 0 }, settings, clock.now());
    clock.advance(1_000);
    await lanes.beginSend(lane, 'shipping-2', clock.now());
    await lanes.dropSend(lane, sent);
    assert.equal(store.records.get(lane)!.inFlight, null);
    clock.advance(30_000);
    assert.deepEqual((await lanes.dispatchState(lane, company, settings, clock.now())).sent, sent);
  });

  test('a record read ahead (dispatch reads it with the shipping) resolves as dispatchState does', async () => {
    await lanes.beginSend(lane, 'shipping-1', clock.now());
    const record = await lanes.record(lane, company);
    clock.advance(5_000);
    const { sent } = await lanes.resolve(lane, record, settings, clock.now());
    assert.deepEqual(sent, { lastSentAt: clock.now(), runLength: 1 }, 'the send left in flight counts as made now');
    assert.equal(store.records.get(lane)!.inFlight, null, 'and is settled');
  });

  test('a recorded send never moves the last send back in time (an idempotent answer carries the first time)', async () => {
    const before = await lanes.endSend(lane, { lastSentAt: null, runLength: 0 }, settings, clock.now() + 2_000);
    const after = await lanes.endSend(lane, before, settings, clock.now());
    assert.equal(after.lastSentAt, clock.now() + 2_000);
  });

  test('runs count up to longerIntervalAfter across recorded sends', async () => {
    let state = { lastSentAt: null as number | null, runLength: 0 };
    for (let i = 0; i < 3; i++) {
      state = await lanes.endSend(lane, state, settings, clock.now());
      clock.advance(1_000);
    }
    assert.equal(state.runLength, 3);
    assert.deepEqual((await lanes.dispatchState(lane, company, settings, clock.now())).sent, state);
  });

  test('a cool-down only ever extends', async () => {
    await lanes.coolDown(lane, clock.now() + 60_000);
    await lanes.coolDown(lane, clock.now() + 1_000);
    const { coolDownUntil } = await lanes.dispatchState(lane, company, settings, clock.now());
    assert.equal(coolDownUntil, clock.now() + 60_000);
  });

  describe('a throughput lane (several calls in flight)', () => {
    const fast: PacingSettings = { messageIntervalMs: 10, longerIntervalAfter: 1_000, greaterIntervalMs: 60_000 };

    test('its window of sends in flight counts as made at takeover (or at their planned start, if later), then is empty', async () => {
      const now = clock.now();
      await lanes.beginBatch(lane, { lastSentAt: now + 30, runLength: 4 }, [
        { shippingId: 's1', at: now },
        { shippingId: 's2', at: now + 10 },
        { shippingId: 's3', at: now + 20 },
        { shippingId: 's4', at: now + 30 },
      ]);
      await lanes.endBatch(lane, ['s1', 's2'], now + 11);
      assert.deepEqual(
        store.records.get(lane)!.window.map((each) => each.shippingId),
        ['s3', 's4'],
      );
      // Taken over at now + 5: the last send in flight was planned for now + 30, so that is its start.
      const early = await lanes.dispatchState(lane, company, fast, now + 5);
      assert.deepEqual(early.sent, { lastSentAt: now + 30, runLength: 4 });
      assert.deepEqual(store.records.get(lane)!.window, [], 'the window is settled');
      // A later takeover of a window: the sends may have gone out until then.
      await lanes.beginBatch(lane, { lastSentAt: now + 40, runLength: 5 }, [{ shippingId: 's5', at: now + 40 }]);
      const late = await lanes.dispatchState(lane, company, fast, now + 5_000);
      assert.deepEqual(late.sent, { lastSentAt: now + 5_000, runLength: 5 });
    });

    test('a real start later than the planned state counts (lastStartAt)', async () => {
      const now = clock.now();
      await lanes.beginBatch(lane, { lastSentAt: now, runLength: 1 }, [{ shippingId: 's1', at: now }]);
      await lanes.endBatch(lane, ['s1'], now + 3);
      const { sent } = await lanes.dispatchState(lane, company, fast, now + 100);
      assert.deepEqual(sent, { lastSentAt: now + 3, runLength: 1 });
    });

    test('gone idle, its exact starts replace what its last batch wrote, unless someone wrote since', async () => {
      const now = clock.now();
      const written = { lastSentAt: now + 20, runLength: 3 };
      await lanes.beginBatch(lane, written, [{ shippingId: 's1', at: now + 20 }]);
      await lanes.settleIdle(lane, written, { lastSentAt: now + 21, runLength: 3 });
      assert.deepEqual(store.records.get(lane)!.sent, { lastSentAt: now + 21, runLength: 3 });
      assert.deepEqual(store.records.get(lane)!.window, []);
      // Another dispatcher recorded a send meanwhile: its state stays.
      await lanes.endSend(lane, { lastSentAt: now + 21, runLength: 3 }, fast, now + 50);
      await lanes.settleIdle(lane, written, { lastSentAt: now + 25, runLength: 3 });
      assert.deepEqual(store.records.get(lane)!.sent, { lastSentAt: now + 50, runLength: 4 });
    });

    test("its rate, as the provider's refusals left it, survives a takeover", async () => {
      const rate = { configuredPerSec: 80, loweredPerSec: 40, loweredAt: clock.now() };
      await lanes.saveRate(lane, rate);
      assert.deepEqual((await lanes.dispatchState(lane, company, fast, clock.now())).rate, rate);
    });
  });
});
