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
});
