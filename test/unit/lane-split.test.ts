import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import { LaneDealer, splitAudience } from '../../src/domain/pacing/lane-split';

describe('spreading a campaign over several numbers', () => {
  test('uncapped numbers share evenly; the first ones take the remainder', () => {
    assert.deepEqual(splitAudience(30, [null, null, null]), [10, 10, 10]);
    assert.deepEqual(splitAudience(31, [null, null, null]), [11, 10, 10]);
    assert.deepEqual(splitAudience(2, [null, null, null]), [1, 1, 0]);
    assert.deepEqual(splitAudience(0, [null, null]), [0, 0]);
  });

  test('weighted by what each may still send: a number with little room gets its room, the others the rest', () => {
    assert.deepEqual(splitAudience(30, [4, null, null]), [4, 13, 13]);
    assert.deepEqual(splitAudience(30, [4, 6, null]), [4, 6, 20]);
    assert.deepEqual(splitAudience(30, [20, 20, 20]), [10, 10, 10]);
    assert.deepEqual(splitAudience(30, [0, null]), [0, 30]);
  });

  test('when the caps cannot take everyone today, the rest is shared by cap per day', () => {
    // Rooms 5 and 5 take 10; the 20 left go 1:3 as the caps per day.
    assert.deepEqual(splitAudience(30, [5, 5], [100, 300]), [10, 20]);
    const counts = splitAudience(1_000, [0, 0, 0], [250, 2_000, 2_000]);
    assert.equal(
      counts.reduce((a, b) => a + b, 0),
      1_000,
    );
    assert.ok(counts[0]! < counts[1]!);
  });

  test('the dealer hands each lane exactly its count, interleaved, the same every time', () => {
    const deal = (counts: number[]) => {
      const dealer = new LaneDealer(counts);
      return Array.from({ length: counts.reduce((a, b) => a + b, 0) }, () => dealer.next());
    };
    const order = deal([4, 13, 13]);
    assert.deepEqual(
      [0, 1, 2].map((lane) => order.filter((l) => l === lane).length),
      [4, 13, 13],
    );
    assert.deepEqual(deal([4, 13, 13]), order, 'deterministic');
    assert.deepEqual(deal([2, 2, 2]), [0, 1, 2, 0, 1, 2]);
    // Interleaved: no lane waits for the others to finish (lane 0's four are spread out).
    const firstLane = order.flatMap((lane, i) => (lane === 0 ? [i] : []));
    assert.ok(firstLane[3]! - firstLane[0]! > 15, `spread ${firstLane.join(',')}`);
    const dealer = new LaneDealer([1]);
    dealer.next();
    assert.throws(() => dealer.next());
  });
});
