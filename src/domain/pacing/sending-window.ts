import { instantOf, toWall } from './zone-time';

/**
 * Sending windows: a weekly schedule in the company's time zone outside which nothing is sent.
 * Each entry opens on the given days at `start` and closes at `end` (local wall time, `HH:MM` or
 * `HH:MM:SS`; `24:00` is the end of the day). An `end` at or before `start` crosses midnight: it
 * closes the next day (`22:00`–`02:00`). An empty schedule (null) means always open.
 */
export const WEEKDAYS = ['mon', 'tue', 'wed', 'thu', 'fri', 'sat', 'sun'] as const;
export type Weekday = (typeof WEEKDAYS)[number];

export interface SendingWindow {
  days: Weekday[];
  start: string;
  end: string;
}

export type WeeklySchedule = SendingWindow[];

const WEEK = 7 * 86_400_000;
const DAY = 86_400_000;

/** [start, end) in ms since Monday 00:00 local; end may pass WEEK (wraps into next Monday). */
type Span = { start: number; end: number };

/** A schedule ready to answer "open at t?": sorted, non-overlapping spans within one week. */
export interface CompiledSchedule {
  spans: Span[];
}

const TIME = /^([01]\d|2[0-4]):([0-5]\d)(?::([0-5]\d))?$/;

/** ms since local midnight for `HH:MM[:SS]`, or null when malformed (24:00 is the only 24:xx). */
export function parseTimeOfDay(text: string): number | null {
  const match = TIME.exec(text);
  if (!match) return null;
  const [hours, minutes, seconds] = [Number(match[1]), Number(match[2]), Number(match[3] ?? 0)];
  if (hours === 24 && (minutes > 0 || seconds > 0)) return null;
  return ((hours * 60 + minutes) * 60 + seconds) * 1000;
}

function spansOf(window: SendingWindow): Span[] {
  const start = parseTimeOfDay(window.start)!;
  const end = parseTimeOfDay(window.end)!;
  const length = end > start ? end - start : end + DAY - start;
  return window.days.map((day) => {
    const at = WEEKDAYS.indexOf(day) * DAY + start;
    return { start: at, end: at + length };
  });
}

/** The spans folded into one week: a span passing the week's end is split at it. */
function folded(spans: Span[]): Span[] {
  const out: Span[] = [];
  for (const span of spans) {
    if (span.end <= WEEK) out.push(span);
    else out.push({ start: span.start, end: WEEK }, { start: 0, end: span.end - WEEK });
  }
  return out.sort((a, b) => a.start - b.start || a.end - b.end);
}

/** What is wrong with a schedule, one message per bad entry (path relative to the schedule). */
export function scheduleProblems(schedule: WeeklySchedule): Array<{ path: string; message: string }> {
  const problems: Array<{ path: string; message: string }> = [];
  const all: Array<Span & { index: number }> = [];
  schedule.forEach((window, index) => {
    const start = parseTimeOfDay(window.start);
    const end = parseTimeOfDay(window.end);
    if (start === null || start === DAY)
      problems.push({ path: `${index}.start`, message: 'a time of day HH:MM or HH:MM:SS before 24:00' });
    if (end === null) problems.push({ path: `${index}.end`, message: 'a time of day HH:MM or HH:MM:SS, up to 24:00' });
    if (start === null || end === null || start === DAY) return;
    if (start === end) problems.push({ path: `${index}.end`, message: 'an empty window: end equals start' });
    else if (window.days.length === 0) problems.push({ path: `${index}.days`, message: 'an empty window: no day' });
    else if (new Set(window.days).size !== window.days.length)
      problems.push({ path: `${index}.days`, message: 'a day named twice' });
    else for (const span of folded(spansOf(window))) all.push({ ...span, index });
  });
  all.sort((a, b) => a.start - b.start);
  for (let i = 1; i < all.length; i++) {
    const [previous, current] = [all[i - 1]!, all[i]!];
    if (current.start < previous.end) {
      problems.push({ path: `${current.index}`, message: `overlaps window ${previous.index}` });
      break;
    }
  }
  return problems;
}

/** Compiles a valid schedule (see scheduleProblems); adjacent spans merge into one. */
export function compileSchedule(schedule: WeeklySchedule): CompiledSchedule {
  return { spans: merged(folded(schedule.flatMap(spansOf))) };
}

function merged(spans: Span[]): Span[] {
  const out: Span[] = [];
  for (const span of spans) {
    const last = out[out.length - 1];
    if (last && span.start <= last.end) last.end = Math.max(last.end, span.end);
    else out.push({ ...span });
  }
  return out;
}

/** Open only when both are open (a campaign narrows its company's schedule). */
export function intersectSchedules(a: CompiledSchedule, b: CompiledSchedule): CompiledSchedule {
  const spans: Span[] = [];
  for (const x of a.spans) {
    for (const y of b.spans) {
      const start = Math.max(x.start, y.start);
      const end = Math.min(x.end, y.end);
      if (end > start) spans.push({ start, end });
    }
  }
  return { spans: merged(spans.sort((p, q) => p.start - q.start)) };
}

/** True when `inner` is open only when `outer` is (a campaign's window inside its company's). */
export function scheduleWithin(inner: CompiledSchedule, outer: CompiledSchedule): boolean {
  const total = (s: CompiledSchedule) => s.spans.reduce((sum, span) => sum + span.end - span.start, 0);
  return total(intersectSchedules(inner, outer)) === total(inner);
}

export type WindowState = { open: true; closesAt: number } | { open: false; opensAt: number | null };

/** Local ms since Monday 00:00 of a wall time (epoch 1970-01-01 was a Thursday). */
function msOfWeek(wall: number): number {
  return (((wall + 3 * DAY) % WEEK) + WEEK) % WEEK;
}

/**
 * Whether the schedule is open at instant `at` in `zone`, and until when (or when it next opens:
 * null if it never does). Local times are converted back to instants through the zone, so a
 * window keeps its wall-clock times across daylight-saving changes; an opening skipped by a
 * spring-forward change opens when the clocks jump, and a repeated hour counts by the wall clock.
 */
export function windowAt(schedule: CompiledSchedule, zone: string, at: number): WindowState {
  const { spans } = schedule;
  if (spans.length === 0) return { open: false, opensAt: null };
  if (spans.length === 1 && spans[0]!.start === 0 && spans[0]!.end === WEEK)
    return { open: true, closesAt: Number.POSITIVE_INFINITY };
  const wall = toWall(zone, at);
  const position = msOfWeek(wall);
  const index = spans.findIndex((span) => position >= span.start && position < span.end);
  if (index >= 0) {
    let closing = spans[index]!.end;
    // A span reaching the week's end continues into one starting at Monday 00:00.
    if (closing === WEEK && spans[0]!.start === 0) closing = WEEK + spans[0]!.end;
    return { open: true, closesAt: instantOf(zone, wall + (closing - position), at + 1) };
  }
  const next = spans.find((span) => span.start > position);
  const opening = next ? next.start : spans[0]!.start + WEEK;
  return { open: false, opensAt: instantOf(zone, wall + (opening - position), at) };
}

/** The first instant at or after `at` when the schedule is open (null: never). */
export function firstOpenAt(schedule: CompiledSchedule, zone: string, at: number): number | null {
  const state = windowAt(schedule, zone, at);
  if (state.open) return at;
  if (state.opensAt === null) return null;
  // A jump can land inside a window or just past one: check where the opening really is.
  const again = windowAt(schedule, zone, state.opensAt);
  return again.open ? state.opensAt : firstOpenAtBounded(schedule, zone, again.opensAt, 16);
}

function firstOpenAtBounded(schedule: CompiledSchedule, zone: string, at: number | null, left: number): number | null {
  if (at === null || left === 0) return at;
  const state = windowAt(schedule, zone, at);
  return state.open ? at : firstOpenAtBounded(schedule, zone, state.opensAt, left - 1);
}

/** Open all week (no schedule). */
export const ALWAYS_OPEN: CompiledSchedule = { spans: [{ start: 0, end: WEEK }] };

/** The windows a campaign sends in, with the zone they are read in. */
export interface ZonedSchedule {
  schedule: CompiledSchedule;
  zone: string;
}

/**
 * The windows a campaign's sends honour: the company's, narrowed by the campaign's own (null:
 * always open). A campaign schedule that no longer meets the company's at all (the company changed
 * its windows since) is ignored rather than never sending: the company's windows always hold.
 */
export function effectiveWindow(
  zone: string,
  company: WeeklySchedule | null | undefined,
  campaign?: WeeklySchedule | null,
): ZonedSchedule | null {
  const own = campaign && campaign.length > 0 ? compileSchedule(campaign) : null;
  const base = company && company.length > 0 ? compileSchedule(company) : null;
  if (!base && !own) return null;
  if (!base) return { schedule: own!, zone };
  if (!own) return { schedule: base, zone };
  const both = intersectSchedules(base, own);
  return { schedule: both.spans.length > 0 ? both : base, zone };
}

/**
 * The first moment at or after `at` a send may start: the window is open and stays open at least
 * `marginMs` more (a send started a moment before the closing time must not reach the provider
 * after it). Null: the windows never open.
 */
export function firstSendableAt(window: ZonedSchedule, at: number, marginMs: number): number | null {
  let t = at;
  for (let guard = 0; guard < 32; guard++) {
    const state = windowAt(window.schedule, window.zone, t);
    if (state.open && state.closesAt - t > marginMs) return t;
    const next = state.open ? windowAt(window.schedule, window.zone, state.closesAt) : state;
    if (next.open) return state.open ? state.closesAt : t;
    if (next.opensAt === null) return null;
    t = next.opensAt;
  }
  return null;
}

/** What a running campaign waits for at `now`: its window to open (and when), or nothing. */
export function windowWaitAt(
  window: ZonedSchedule | null,
  now: number,
): { waitingFor: 'window' | null; nextOpeningAt: number | null } {
  if (!window) return { waitingFor: null, nextOpeningAt: null };
  const state = windowAt(window.schedule, window.zone, now);
  return state.open
    ? { waitingFor: null, nextOpeningAt: null }
    : { waitingFor: 'window', nextOpeningAt: state.opensAt };
}
