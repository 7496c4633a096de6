import assert from 'node:assert/strict';
import { beforeEach, describe, test } from 'node:test';
import { CapReservations } from '../../src/application/shippings/cap-reservations';
import { DAY_MS } from '../../src/domain/pacing/daily-cap';
import { InMemoryCapStore } from '../support/in-memory-caps';
import { ManualClock } from '../support/in-memory-shippings';

describe('daily cap reservations', () => {
  let store: InMemoryCapStore;
  let caps: CapReservations;
  let clock: ManualClock;
  const number = 'connection:n1';
  const company = 'company:c1';

  beforeEach(() => {
    store = new InMemoryCapStore();
    caps = new CapReservations(store);
    clock = new ManualClock();
  });

  test('no limit: nothing reserved, nothing stored', async () => {
    assert.deepEqual(await caps.reserveAll([{ scope: number, limit: null }], '+551100', clock.now()), {
      ok: true,
      added: false,
    });
    assert.equal(store.docs.size, 0);
  });

  test('a new recipient takes a slot; one counted in the last 24 h takes none and is marked shared', async () => {
    assert.deepEqual(await caps.reserve(number, '+551101', 2, clock.now()), { ok: true, added: true });
    clock.advance(60_000);
    assert.deepEqual(await caps.reserve(number, '+551101', 2, clock.now()), { ok: true, added: false });
    assert.deepEqual(store.phones(number), ['+551101']);
    assert.equal(store.docs.get(number)!.recent[0]!.shared, true);
    assert.deepEqual(await caps.reserve(number, '+551102', 2, clock.now()), { ok: true, added: true });
  });

  test('full: no slot, and the answer is when the oldest recipient leaves the 24 h window', async () => {
    const first = clock.now();
    await caps.reserve(number, '+551101', 2, clock.now());
    clock.advance(3_600_000);
    await caps.reserve(number, '+551102', 2, clock.now());
    clock.advance(60_000);
    assert.deepEqual(await caps.reserve(number, '+551103', 2, clock.now()), { ok: false, freesAt: first + DAY_MS });
    assert.deepEqual(store.phones(number), ['+551101', '+551102']);
    // Once the first leaves the window, the slot is free; recipients older than 24 h are dropped on the write.
    clock.ms = first + DAY_MS;
    assert.deepEqual(await caps.reserve(number, '+551103', 2, clock.now()), { ok: true, added: true });
    assert.deepEqual(store.phones(number), ['+551102', '+551103']);
  });

  test('every scope in order: a full one gives back the slots this call took, and says which and until when', async () => {
    await caps.reserve(company, '+551109', 1, clock.now());
    clock.advance(1_000);
    const answer = await caps.reserveAll(
      [
        { scope: number, limit: 10 },
        { scope: company, limit: 1 },
      ],
      '+551101',
      clock.now(),
    );
    assert.deepEqual(answer, { ok: false, freesAt: clock.now() - 1_000 + DAY_MS, scope: company });
    assert.deepEqual(store.phones(number), [], 'the number slot taken by this call is given back');
    const both = await caps.reserveAll(
      [
        { scope: number, limit: 10 },
        { scope: company, limit: 2 },
      ],
      '+551101',
      clock.now(),
    );
    assert.deepEqual(both, { ok: true, added: true });
    assert.deepEqual(store.phones(number), ['+551101']);
    assert.deepEqual(store.phones(company), ['+551109', '+551101']);
  });

  test('a slot another send counted on (shared) is kept when this call is undone', async () => {
    await caps.reserve(company, '+551109', 1, clock.now());
    // This worker writes the number's entry, another send of the same phone counts on it (shared) …
    await caps.reserve(number, '+551101', 10, clock.now());
    await caps.reserve(number, '+551101', 10, clock.now());
    // … so giving back this call's slot (the company is full) leaves it.
    await caps.release(number, '+551101', clock.now());
    assert.deepEqual(store.phones(number), ['+551101']);
    // An entry nobody else counted on goes.
    await caps.reserve(number, '+551102', 10, clock.now());
    await caps.release(number, '+551102', clock.now());
    assert.deepEqual(store.phones(number), ['+551101']);
  });

  test('a round lost to another worker is read again: the last slot is taken once', async () => {
    await caps.reserve(number, '+551101', 2, clock.now());
    let other = true;
    store.beforeWrite = async () => {
      if (!other) return;
      other = false; // another worker takes the last slot between this one's read and write
      const doc = (await store.read(number))!;
      store.docs.set(number, {
        version: doc.version + 1,
        recent: [...doc.recent, { phone: '+551199', at: clock.now() }],
      });
    };
    assert.deepEqual(await caps.reserve(number, '+551102', 2, clock.now()), {
      ok: false,
      freesAt: clock.now() + DAY_MS,
    });
    assert.deepEqual(store.phones(number), ['+551101', '+551199']);
  });

  test('a scope created meanwhile by another worker is read again, not overwritten', async () => {
    let other = true;
    store.beforeWrite = (scope) => {
      if (!other) return;
      other = false;
      store.docs.set(scope, { version: 0, recent: [{ phone: '+551199', at: clock.now() }] });
    };
    assert.deepEqual(await caps.reserve(number, '+551101', 2, clock.now()), { ok: true, added: true });
    assert.deepEqual(store.phones(number), ['+551199', '+551101']);
  });

  test('gives up (throws) when it loses every round', async () => {
    await caps.reserve(number, '+551101', 5, clock.now());
    store.beforeWrite = (scope) => {
      const doc = store.docs.get(scope)!;
      store.docs.set(scope, { ...doc, version: doc.version + 1 });
    };
    await assert.rejects(caps.reserve(number, '+551102', 5, clock.now()), /too much contention/);
    await assert.rejects(caps.release(number, '+551101', clock.now()), /too much contention/);
  });
});
