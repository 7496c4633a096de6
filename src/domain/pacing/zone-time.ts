/**
 * Wall-clock time in an IANA time zone with nothing but Intl: the zone's offset at an instant, and
 * the instant(s) a local wall time names. "Wall" values are local date-times encoded as if they were
 * UTC epoch ms (so wall arithmetic is plain addition, and DST is handled when going back to instants).
 */

const formatters = new Map<string, Intl.DateTimeFormat>();

function formatterFor(zone: string): Intl.DateTimeFormat {
  let formatter = formatters.get(zone);
  if (!formatter) {
    formatter = new Intl.DateTimeFormat('en-US', {
      timeZone: zone,
      hourCycle: 'h23',
      year: 'numeric',
      month: 'numeric',
      day: 'numeric',
      hour: 'numeric',
      minute: 'numeric',
      second: 'numeric',
    });
    formatters.set(zone, formatter);
  }
  return formatter;
}

/** True for a zone Intl knows (e.g. `America/Sao_Paulo`, `UTC`). */
export function isKnownZone(zone: string): boolean {
  try {
    formatterFor(zone);
    return true;
  } catch {
    return false;
  }
}

/** The zone's offset from UTC at instant `at` (ms; São Paulo: −3 h). */
export function zoneOffset(zone: string, at: number): number {
  const parts: Record<string, number> = {};
  for (const part of formatterFor(zone).formatToParts(at)) {
    if (part.type !== 'literal') parts[part.type] = Number(part.value);
  }
  const wall = Date.UTC(parts.year!, parts.month! - 1, parts.day!, parts.hour! % 24, parts.minute!, parts.second!);
  const wholeSeconds = at - (((at % 1000) + 1000) % 1000);
  return wall - wholeSeconds;
}

/** The local wall time at instant `at`. */
export function toWall(zone: string, at: number): number {
  return at + zoneOffset(zone, at);
}

const DAY = 86_400_000;

/**
 * The instants whose local wall time is `wall`: one normally, two in a fall-back hour (earlier
 * first), none in a spring-forward gap. Offsets change at most once within a day either side.
 */
export function instantsOf(zone: string, wall: number): number[] {
  const offsets = new Set([zoneOffset(zone, wall - DAY), zoneOffset(zone, wall + DAY), zoneOffset(zone, wall)]);
  const found = new Set<number>();
  for (const offset of offsets) {
    const candidate = wall - offset;
    if (toWall(zone, candidate) === wall) found.add(candidate);
  }
  return [...found].sort((a, b) => a - b);
}

/**
 * The first instant at or after `notBefore` whose wall time is `wall`; when the wall time does not
 * exist (skipped by a spring-forward change), the moment the clocks jump past it.
 */
export function instantOf(zone: string, wall: number, notBefore = Number.NEGATIVE_INFINITY): number {
  const candidates = instantsOf(zone, wall);
  const after = candidates.find((at) => at >= notBefore);
  if (after !== undefined) return after;
  if (candidates.length > 0) return candidates[candidates.length - 1]!;
  // A gap: before the jump the offset is `before`, after it `after` (> before). Find the jump.
  const before = zoneOffset(zone, wall - DAY);
  const afterOffset = zoneOffset(zone, wall + DAY);
  let lo = wall - afterOffset;
  let hi = wall - before;
  while (hi - lo > 1) {
    const mid = Math.floor((lo + hi) / 2);
    if (zoneOffset(zone, mid) === afterOffset) hi = mid;
    else lo = mid;
  }
  return hi;
}
