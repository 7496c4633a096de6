import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import {
  CapLedger,
  capAt,
  capDecision,
  capFreesAt,
  capRoom,
  capSettingsFrom,
  capWaitAt,
  DAY_MS,
} from '../../src/domain/pacing/daily-cap';
import { findViolations, IDLE_LANE } from '../../src/domain/pacing/pacing-rule';
import { effectivePacing } from '../../src/domain/pacing/pacing-settings';
import { drawGap } from '../../src/domain/pacing/send-gap';
import { estimateFinish, planSendTimes } from '../../src/domain/pacing/send-planner';
import {
  compileSchedule,
  firstOpenAt,
  intersectSchedules,
  scheduleProblems,
  scheduleWithin,
  type WeeklySchedule,
  windowAt,
} from '../../src/domain/pacing/sending-window';
import { instantOf, instantsOf, toWall, zoneOffset } from '../../src/domain/pacing/zone-time';

const HOUR = 3_600_000;
const utc = (text: string) => Date.parse(text);
const business: WeeklySchedule = [
  { days: ['mon', 'tue', 'wed', 'thu', 'fri'], start: '09:00', end: '18:00' },
  { days: ['sat'], start: '09:00', end: '13:00' },
];
const SP = 'America/Sao_Paulo';
const NY = 'America/New_York';

describe('zone arithmetic with Intl', () => {
  test('São Paulo is UTC−3 (no daylight saving since 2019)', () => {
    assert.equal(zoneOffset(SP, utc('2026-01-15T12:00:00Z')), -3 * HOUR);
    assert.equal(zoneOffset(SP, utc('2026-07-15T12:00:00Z')), -3 * HOUR);
  });

  test('New York: a spring-forward gap has no instant, a fall-back hour has two', () => {
    // 2026-03-08 02:00 EST → 03:00 EDT; 2026-11-01 02:00 EDT → 01:00 EST.
    assert.deepEqual(instantsOf(NY, utc('2026-03-08T02:30:00Z')), []);
    assert.equal(instantOf(NY, utc('2026-03-08T02:30:00Z')), utc('2026-03-08T07:00:00Z'));
    assert.deepEqual(instantsOf(NY, utc('2026-11-01T01:30:00Z')), [
      utc('2026-11-01T05:30:00Z'),
      utc('2026-11-01T06:30:00Z'),
    ]);
    assert.equal(toWall(NY, utc('2026-11-01T06:30:00Z')), utc('2026-11-01T01:30:00Z'));
  });
});

describe('sending windows', () => {
  const schedule = compileSchedule(business);

  test('open on a weekday afternoon until 18:00 local; closed on Friday evening until Saturday 09:00', () => {
    // 2026-03-06 is a Friday; 17:00 in São Paulo is 20:00Z.
    assert.deepEqual(windowAt(schedule, SP, utc('2026-03-06T20:00:00Z')), {
      open: true,
      closesAt: utc('2026-03-06T21:00:00Z'),
    });
    assert.deepEqual(windowAt(schedule, SP, utc('2026-03-06T21:00:00Z')), {
      open: false,
      opensAt: utc('2026-03-07T12:00:00Z'),
    });
    // Saturday 13:00 closes until Monday 09:00.
    assert.deepEqual(windowAt(schedule, SP, utc('2026-03-07T16:00:00Z')), {
      open: false,
      opensAt: utc('2026-03-09T12:00:00Z'),
    });
  });

  test('a window crossing midnight, and one crossing the end of the week', () => {
    const night = compileSchedule([
      { days: ['fri'], start: '22:00', end: '02:00' },
      { days: ['sun'], start: '23:00', end: '01:00' },
    ]);
    // Saturday 01:00 UTC is inside Friday's 22:00–02:00.
    assert.deepEqual(windowAt(night, 'UTC', utc('2026-03-07T01:00:00Z')), {
      open: true,
      closesAt: utc('2026-03-07T02:00:00Z'),
    });
    assert.deepEqual(windowAt(night, 'UTC', utc('2026-03-08T23:30:00Z')), {
      open: true,
      closesAt: utc('2026-03-09T01:00:00Z'),
    });
    assert.deepEqual(windowAt(night, 'UTC', utc('2026-03-09T01:00:00Z')), {
      open: false,
      opensAt: utc('2026-03-13T22:00:00Z'),
    });
  });

  test('daylight saving: a window keeps its wall-clock times; an opening in the gap opens at the jump', () => {
    const early = compileSchedule([{ days: ['sun'], start: '01:00', end: '04:00' }]);
    // 2026-03-08 (Sunday) 01:00 EST = 06:00Z; 04:00 EDT = 08:00Z: two real hours.
    assert.deepEqual(windowAt(early, NY, utc('2026-03-08T05:00:00Z')), {
      open: false,
      opensAt: utc('2026-03-08T06:00:00Z'),
    });
    assert.deepEqual(windowAt(early, NY, utc('2026-03-08T06:00:00Z')), {
      open: true,
      closesAt: utc('2026-03-08T08:00:00Z'),
    });
    const inGap = compileSchedule([{ days: ['sun'], start: '02:30', end: '05:00' }]);
    assert.equal(firstOpenAt(inGap, NY, utc('2026-03-08T05:00:00Z')), utc('2026-03-08T07:00:00Z'));
    // 2026-11-01 (Sunday) 00:00–01:30 EDT: closes at the first 01:30 (05:30Z), 1.5 h after 04:00Z.
    const fallBack = compileSchedule([{ days: ['sun'], start: '00:00', end: '01:30' }]);
    assert.deepEqual(windowAt(fallBack, NY, utc('2026-11-01T04:00:00Z')), {
      open: true,
      closesAt: utc('2026-11-01T05:30:00Z'),
    });
    // In the repeated hour, 01:15 EST (06:15Z) is inside by the wall clock and closes at 01:30 EST.
    assert.deepEqual(windowAt(fallBack, NY, utc('2026-11-01T06:15:00Z')), {
      open: true,
      closesAt: utc('2026-11-01T06:30:00Z'),
    });
  });

  test('bad schedules: overlapping, empty, a window overlapping itself across days, bad times', () => {
    assert.deepEqual(scheduleProblems(business), []);
    assert.deepEqual(
      scheduleProblems([
        { days: ['mon'], start: '09:00', end: '12:00' },
        { days: ['mon'], start: '11:00', end: '13:00' },
      ]).map((p) => p.path),
      ['1'],
    );
    assert.deepEqual(
      scheduleProblems([{ days: ['mon'], start: '09:00', end: '09:00' }]).map((p) => p.path),
      ['0.end'],
    );
    assert.deepEqual(
      scheduleProblems([{ days: [], start: '09:00', end: '10:00' }]).map((p) => p.path),
      ['0.days'],
    );
    // 20:00–19:00 crosses midnight: Monday's ends an hour before Tuesday's opens.
    assert.deepEqual(
      scheduleProblems([{ days: ['mon', 'tue'], start: '20:00', end: '19:00' }]).map((p) => p.path),
      [],
    );
    assert.deepEqual(
      scheduleProblems([
        { days: ['sun'], start: '22:00', end: '10:00' },
        { days: ['mon'], start: '09:00', end: '12:00' },
      ]).map((p) => p.path),
      ['1'],
    );
    assert.deepEqual(
      scheduleProblems([{ days: ['mon'], start: '25:00', end: '24:01' }]).map((p) => p.path),
      ['0.start', '0.end'],
    );
  });

  test('a campaign narrows its company’s schedule; within tells whether it stays inside', () => {
    const mornings = compileSchedule([
      { days: ['mon', 'tue', 'wed', 'thu', 'fri', 'sat'], start: '08:00', end: '12:00' },
    ]);
    const both = intersectSchedules(schedule, mornings);
    assert.deepEqual(windowAt(both, 'UTC', utc('2026-03-06T08:30:00Z')), {
      open: false,
      opensAt: utc('2026-03-06T09:00:00Z'),
    });
    assert.equal(scheduleWithin(both, schedule), true);
    assert.equal(scheduleWithin(mornings, schedule), false);
  });

  test('the planner stops at the closing time and resumes at the next opening', () => {
    const fast = { messageIntervalMs: 60_000, longerIntervalAfter: 1_000, greaterIntervalMs: 600_000 };
    const window = { schedule, zone: SP };
    // Friday 17:58 São Paulo: two sends fit (17:58, 17:59), the third waits for Saturday 09:00.
    const times = planSendTimes(fast, utc('2026-03-06T20:58:00Z'), IDLE_LANE, 4, { window });
    assert.deepEqual(times, [
      utc('2026-03-06T20:58:00Z'),
      utc('2026-03-06T20:59:00Z'),
      utc('2026-03-07T12:00:00Z'),
      utc('2026-03-07T12:01:00Z'),
    ]);
    assert.deepEqual(findViolations(times, fast), []);
    assert.equal(
      estimateFinish(fast, IDLE_LANE, utc('2026-03-06T20:58:00Z'), 4, 10_000, { window }),
      utc('2026-03-07T12:01:00Z'),
    );
  });
});

describe('randomised gaps', () => {
  const ranged = {
    messageIntervalMs: 1_000,
    messageIntervalMaxMs: 3_000,
    longerIntervalAfter: 5,
    greaterIntervalMs: 10_000,
  };

  test('each gap is drawn in [min, max], never below the minimum, the same for the same campaign', () => {
    const first = planSendTimes(ranged, 0, IDLE_LANE, 200, { seed: 'campaign-a' });
    const again = planSendTimes(ranged, 0, IDLE_LANE, 200, { seed: 'campaign-a' });
    const other = planSendTimes(ranged, 0, IDLE_LANE, 200, { seed: 'campaign-b' });
    assert.deepEqual(first, again);
    assert.notDeepEqual(first, other);
    const gaps = first.slice(1).map((at, i) => at - first[i]!);
    for (const [i, gap] of gaps.entries()) {
      if ((i + 1) % 5 === 0) assert.equal(gap, 10_000, `gap ${i} ends a run`);
      else assert.ok(gap >= 1_000 && gap <= 3_000, `gap ${i} = ${gap}`);
    }
    assert.ok(new Set(gaps).size > 20, 'the gaps vary');
    assert.deepEqual(findViolations(first, ranged), []);
  });

  test('draws cover the range', () => {
    const draws = Array.from({ length: 5_000 }, (_, i) => drawGap('x', i, 0, 9));
    for (let v = 0; v <= 9; v++) assert.ok(draws.filter((d) => d === v).length > 350, `value ${v}`);
  });

  test('a campaign may widen the range but never lower the floor', () => {
    const company = { messageIntervalMs: 2_000, longerIntervalAfter: 5, greaterIntervalMs: 10_000 };
    assert.deepEqual(effectivePacing(company, { messageIntervalMs: 1_000, messageIntervalMaxMs: 4_000 }), {
      messageIntervalMs: 2_000,
      messageIntervalMaxMs: 4_000,
      longerIntervalAfter: 5,
      greaterIntervalMs: 10_000,
    });
  });
});

describe('daily caps and warm-up', () => {
  test('warm-up ramps day by day and never passes the configured cap', () => {
    const settings = { perDay: 300, warmUp: [50, 100, 200, 400] };
    assert.equal(capAt(settings, 0, 0), 50);
    assert.equal(capAt(settings, 0, DAY_MS + 1), 100);
    assert.equal(capAt(settings, 0, 2 * DAY_MS), 200);
    assert.equal(capAt(settings, 0, 3 * DAY_MS), 300);
    assert.equal(capAt(settings, 0, 30 * DAY_MS), 300);
    assert.equal(capAt({ perDay: null, warmUp: [] }, 0, 0), null);
  });

  test('a moving 24 h: the next send waits for the oldest to leave the window', () => {
    const ledger = new CapLedger(() => 3, [0, 1_000, 2_000]);
    assert.equal(ledger.firstSlot(5_000), DAY_MS);
    assert.equal(capFreesAt([{ at: 0 }, { at: 1_000 }, { at: 2_000 }], 3, 5_000), DAY_MS);
  });

  test('unique recipients: a phone already counted costs nothing; a full cap refuses a new one', () => {
    const recent = [
      { phone: '+1', at: 0 },
      { phone: '+2', at: 10 },
    ];
    assert.equal(capDecision(recent, 2, '+1', 100), 'already-counted');
    assert.equal(capDecision(recent, 2, '+3', 100), 'full');
    assert.equal(capDecision(recent, 3, '+3', 100), 'fits');
    assert.equal(capDecision(recent, 2, '+3', DAY_MS + 1), 'fits');
  });

  test('a company cap reads like a number’s: tiers as presets, full until the oldest recipient leaves', () => {
    assert.deepEqual(capSettingsFrom({ perDay: 'tier2k' }), { perDay: 2_000, warmUp: [] });
    assert.deepEqual(capSettingsFrom({ perDay: 'unlimited', warmUp: [10] }), { perDay: null, warmUp: [10] });
    assert.equal(capSettingsFrom(null), null);
    const recent = [{ at: 0 }, { at: 1_000 }, { at: 2_000 }];
    assert.deepEqual(capWaitAt(recent, 3, 5_000), { full: true, freesAt: DAY_MS });
    assert.deepEqual(capWaitAt(recent, 4, 5_000), { full: false });
    assert.deepEqual(capWaitAt(recent, null, 5_000), { full: false });
    assert.deepEqual(capWaitAt(recent, 3, DAY_MS + 1), { full: false }, 'the oldest has left the 24 h');
    assert.equal(capRoom(recent, 5, 5_000), 2);
    assert.equal(capRoom(recent, 2, 5_000), 0);
    assert.equal(capRoom(recent, null, 5_000), null);
  });

  test('the planner keeps every moving 24 h under the cap, warm-up included', () => {
    const pacing = { messageIntervalMs: 60_000, longerIntervalAfter: 1_000, greaterIntervalMs: 600_000 };
    const cap = (at: number) => capAt({ perDay: null, warmUp: [3, 5] }, 0, at);
    const times = planSendTimes(pacing, 0, IDLE_LANE, 9, { cap: { cap, recent: [] } });
    assert.deepEqual(times.slice(0, 4), [0, 60_000, 120_000, DAY_MS]);
    for (const at of times) {
      const live = times.filter((t) => t <= at && t > at - DAY_MS).length;
      assert.ok(live <= (cap(at) ?? Infinity), `at ${at}: ${live} in 24 h`);
    }
  });

  test('windows, caps and random gaps together', () => {
    const pacing = {
      messageIntervalMs: 60_000,
      messageIntervalMaxMs: 120_000,
      longerIntervalAfter: 4,
      greaterIntervalMs: 600_000,
    };
    const window = { schedule: compileSchedule(business), zone: SP };
    const cap = { cap: () => 20, recent: [] };
    const start = utc('2026-03-06T20:30:00Z');
    const times = planSendTimes(pacing, start, IDLE_LANE, 60, { window, cap, seed: 'c' });
    assert.deepEqual(findViolations(times, pacing), []);
    for (const at of times) {
      assert.ok(windowAt(window.schedule, SP, at).open, `${new Date(at).toISOString()} in a window`);
      assert.ok(times.filter((t) => t <= at && t > at - DAY_MS).length <= 20);
    }
    assert.deepEqual(planSendTimes(pacing, start, IDLE_LANE, 60, { window, cap, seed: 'c' }), times);
  });
});
