import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import { idleWhileDue } from '../support/shared-number';

const settings = { messageIntervalMs: 1_000, longerIntervalAfter: 3, greaterIntervalMs: 3_000 };
const planned = (entries: Array<[string, number]>) => new Map(entries);

describe('idle while due (the shared-number measure)', () => {
  test('sends as soon as pacing and planned times allow: 0', () => {
    const sends = [
      { shippingId: 'a', at: 0 },
      { shippingId: 'b', at: 1_000 },
      { shippingId: 'c', at: 2_000 },
      { shippingId: 'd', at: 5_000 }, // after 3 sends, the 3 s pause
    ];
    const plan = planned([
      ['a', 0],
      ['b', 0],
      ['c', 0],
      ['d', 0],
    ]);
    assert.deepEqual(idleWhileDue(sends, plan, settings), { maxMs: 0, atSend: -1 });
  });

  test('a gap while a message was due counts from when pacing allowed it', () => {
    const sends = [
      { shippingId: 'a', at: 0 },
      { shippingId: 'late', at: 9_000 },
      { shippingId: 'b', at: 10_000 },
    ];
    // `b` was due at 1 s and allowed from 1 s: the number idled 8 s before sending `late`.
    const plan = planned([
      ['a', 0],
      ['b', 1_000],
      ['late', 9_000],
    ]);
    assert.deepEqual(idleWhileDue(sends, plan, settings), { maxMs: 8_000, atSend: 1 });
  });

  test('waiting for a planned time is not idling', () => {
    const sends = [
      { shippingId: 'a', at: 0 },
      { shippingId: 'b', at: 7_050 },
    ];
    const plan = planned([
      ['a', 0],
      ['b', 7_000],
    ]);
    assert.equal(idleWhileDue(sends, plan, settings).maxMs, 50);
  });
});
