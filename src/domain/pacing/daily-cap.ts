/**
 * Daily caps: how many unique recipients a number (or a company) may start conversations with in
 * a moving 24 h, as WhatsApp's messaging limits count them. The presets are the Cloud API's
 * tiers; a new number's cap ramps up day by day (warm-up) until it reaches its configured cap.
 */
export const DAY_MS = 86_400_000;

/** WhatsApp's messaging-limit tiers (null: unlimited). */
export const CAP_TIERS = { tier250: 250, tier2k: 2_000, tier10k: 10_000, tier100k: 100_000, unlimited: null } as const;
export type CapTier = keyof typeof CAP_TIERS;

export interface CapSettings {
  /** Unique recipients per moving 24 h; null: no cap. */
  perDay: number | null;
  /**
   * Warm-up: the cap on day 0, 1, 2, … since the number's start (its creation); after the last
   * entry the last entry holds (capped by `perDay`). Empty: no warm-up.
   */
  warmUp: number[];
}

export const NO_CAP: CapSettings = { perDay: null, warmUp: [] };

/** The stored form of a cap as users give it: a tier becomes its number (null: unlimited). */
export function capSettingsFrom(input: { perDay: number | CapTier; warmUp?: number[] } | null): CapSettings | null {
  if (!input) return null;
  const perDay = typeof input.perDay === 'number' ? input.perDay : CAP_TIERS[input.perDay];
  return { perDay, warmUp: input.warmUp ?? [] };
}

/** Where a cap scope stands at `at`: full (and when a slot frees) or with room. */
export function capWaitAt(
  recent: ReadonlyArray<{ at: number }>,
  limit: number | null,
  at: number,
): { full: false } | { full: true; freesAt: number } {
  if (limit === null) return { full: false };
  const live = recent.filter((entry) => entry.at > at - DAY_MS).length;
  return live < limit ? { full: false } : { full: true, freesAt: capFreesAt(recent, limit, at) };
}

/** How many more unique recipients a scope may take now (null: no cap). */
export function capRoom(recent: ReadonlyArray<{ at: number }>, limit: number | null, at: number): number | null {
  if (limit === null) return null;
  return Math.max(0, limit - recent.filter((entry) => entry.at > at - DAY_MS).length);
}

/** The cap in force at `at` for a number that started at `since` (null: none). */
export function capAt(settings: CapSettings, since: number, at: number): number | null {
  const ramp = settings.warmUp;
  if (ramp.length === 0) return settings.perDay;
  const day = Math.max(0, Math.floor((at - since) / DAY_MS));
  const warm = ramp[Math.min(day, ramp.length - 1)]!;
  return settings.perDay === null ? warm : Math.min(warm, settings.perDay);
}

/**
 * The sends of the last 24 h on one number, as a planner sees them (ascending epoch ms): where the
 * next send fits under the cap. A send at e counts at t while e > t − 24 h.
 */
export class CapLedger {
  private readonly times: number[];
  private head = 0;

  constructor(
    private readonly cap: (at: number) => number | null,
    recent: readonly number[] = [],
  ) {
    this.times = [...recent].sort((a, b) => a - b);
  }

  /** The earliest moment at or after `at` when one more send fits under the cap. */
  firstSlot(at: number): number {
    let t = at;
    for (let guard = 0; guard < 64; guard++) {
      const limit = this.cap(t);
      if (limit === null) return t;
      this.expire(t);
      const live = this.times.length - this.head;
      if (live < limit) return t;
      // The (live − limit + 1) oldest must leave the window for one more to fit.
      t = this.times[this.head + live - limit]! + DAY_MS;
    }
    return t;
  }

  record(at: number): void {
    this.times.push(at);
  }

  private expire(t: number): void {
    while (this.head < this.times.length && this.times[this.head]! <= t - DAY_MS) this.head++;
    if (this.head > 4_096 && this.head * 2 > this.times.length) {
      this.times.splice(0, this.head);
      this.head = 0;
    }
  }
}

/** What a cap document answers for a send to `phone` at `at`: counted already, fits, or full. */
export function capDecision(
  recent: ReadonlyArray<{ phone: string; at: number }>,
  limit: number | null,
  phone: string,
  at: number,
): 'already-counted' | 'fits' | 'full' {
  const live = recent.filter((entry) => entry.at > at - DAY_MS);
  if (live.some((entry) => entry.phone === phone)) return 'already-counted';
  if (limit === null || live.length < limit) return 'fits';
  return 'full';
}

/** When a full cap frees a slot: the oldest recipient still counted leaves the window. */
export function capFreesAt(recent: ReadonlyArray<{ at: number }>, limit: number, at: number): number {
  const live = recent
    .filter((entry) => entry.at > at - DAY_MS)
    .map((entry) => entry.at)
    .sort((a, b) => a - b);
  if (live.length < limit) return at;
  return live[live.length - limit]! + DAY_MS;
}
