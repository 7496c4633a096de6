import assert from 'node:assert/strict';
import { test } from 'node:test';
import { ownersOf, rankWorkers, roleOf } from '../../src/domain/dispatch/lane-assignment';

const lanes = Array.from({ length: 10_000 }, (_, i) => (0x65f000000000 + i).toString(16).padStart(24, '0'));

function counts(owners: Map<string, string>): Map<string, number> {
  const result = new Map<string, number>();
  for (const owner of owners.values()) result.set(owner, (result.get(owner) ?? 0) + 1);
  return result;
}

test('lanes spread evenly: max/min share ≤ 1.1 for 2 to 8 workers over 10,000 lanes', () => {
  for (let n = 2; n <= 8; n++) {
    const workers = Array.from({ length: n }, (_, i) => `worker-${i}-${(i * 7919).toString(36)}`);
    const shares = [...counts(ownersOf(lanes, workers)).values()];
    assert.equal(shares.length, n);
    const ratio = Math.max(...shares) / Math.min(...shares);
    assert.ok(ratio <= 1.1, `${n} workers: shares ${shares.join(', ')} (max/min ${ratio.toFixed(3)})`);
  }
});

test('a worker joining takes only its share, from every other worker; one leaving gives only its own', () => {
  const three = ['a1', 'b2', 'c3'];
  const before = ownersOf(lanes, three);
  const after = ownersOf(lanes, [...three, 'd4']);
  let moved = 0;
  for (const lane of lanes) {
    if (before.get(lane) !== after.get(lane)) {
      moved++;
      assert.equal(after.get(lane), 'd4', 'a lane moves only to the newcomer');
    }
  }
  assert.ok(moved > 2_200 && moved < 2_800, `about a quarter moved: ${moved}`);
  const left = ownersOf(lanes, ['a1', 'c3']);
  for (const lane of lanes) {
    if (before.get(lane) !== 'b2') assert.equal(left.get(lane), before.get(lane), 'lanes of the others stay');
  }
});

test('the standby of a lane is the one that owns it when the owner leaves', () => {
  const workers = ['a1', 'b2', 'c3'];
  for (const lane of lanes.slice(0, 500)) {
    const [owner, standby] = rankWorkers(lane, workers);
    assert.equal(roleOf(lane, owner!, workers, 1), 'owner');
    assert.equal(roleOf(lane, standby!, workers, 1), 'standby');
    assert.equal(
      rankWorkers(
        lane,
        workers.filter((worker) => worker !== owner),
      )[0],
      standby,
    );
    assert.equal(roleOf(lane, standby!, workers, 0), 'none');
  }
});
