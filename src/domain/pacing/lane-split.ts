/**
 * Spreading a campaign's contacts over several numbers (lanes): how many each number gets, and
 * which contact goes to which, both deterministic so processing again after a crash (or moving a
 * halted number's contacts twice) gives the same answer.
 */

/**
 * How many of `audience` contacts each lane gets, weighted by what each number may still send
 * under its cap now (`room`, null: no cap). Contacts are shared as evenly as the rooms allow (a
 * number with little room gets at most its room and the others take the rest). When the rooms
 * together are too small, the contacts left over (they wait for the caps) are shared in proportion
 * to each number's cap per day (`perDay`), so each waits about as long.
 */
export function splitAudience(
  audience: number,
  room: ReadonlyArray<number | null>,
  perDay: ReadonlyArray<number | null> = room,
): number[] {
  const lanes = room.length;
  if (lanes === 0) throw new Error('a campaign needs at least one number');
  const counts = new Array<number>(lanes).fill(0);
  // Water-filling: every lane with room left takes an equal share, capped by its room, until none is left.
  let left = audience;
  for (;;) {
    const open = counts.map((_, i) => i).filter((i) => room[i] === null || counts[i]! < room[i]!);
    if (left === 0 || open.length === 0) break;
    const share = Math.floor(left / open.length);
    if (share === 0) {
      // Fewer contacts than open lanes: one each, first lanes first.
      for (const i of open.slice(0, left)) counts[i]!++;
      left = 0;
      break;
    }
    for (const i of open) {
      const take = room[i] === null ? share : Math.min(share, room[i]! - counts[i]!);
      counts[i]! += take;
      left -= take;
    }
  }
  if (left > 0) {
    const weights = perDay.map((cap) => Math.max(1, cap ?? 1));
    for (const [i, extra] of shares(left, weights).entries()) counts[i]! += extra;
  }
  return counts;
}

/** `total` split in proportion to `weights` (largest remainders; ties to the first lanes). */
function shares(total: number, weights: readonly number[]): number[] {
  const sum = weights.reduce((a, b) => a + b, 0);
  const exact = weights.map((weight) => (total * weight) / sum);
  const whole = exact.map(Math.floor);
  let rest = total - whole.reduce((a, b) => a + b, 0);
  const order = exact.map((value, i) => ({ i, fraction: value - whole[i]! })).sort((a, b) => b.fraction - a.fraction);
  for (const { i } of order) {
    if (rest === 0) break;
    whole[i]!++;
    rest--;
  }
  return whole;
}

/**
 * Deals contacts to lanes one by one so each lane gets exactly its count, interleaved (smooth
 * weighted round robin: the lanes' shares stay even along the way, so every number starts at once
 * and finishes about together).
 */
export class LaneDealer {
  private readonly current: number[];
  private readonly left: number[];
  private readonly total: number;

  constructor(private readonly counts: readonly number[]) {
    this.current = counts.map(() => 0);
    this.left = [...counts];
    this.total = counts.reduce((a, b) => a + b, 0);
  }

  /** The lane of the next contact; throws once every count is dealt. */
  next(): number {
    let best = -1;
    for (let i = 0; i < this.counts.length; i++) {
      if (this.left[i] === 0) continue;
      this.current[i]! += this.counts[i]!;
      if (best === -1 || this.current[i]! > this.current[best]!) best = i;
    }
    if (best === -1) throw new Error('every lane has its contacts');
    this.current[best]! -= this.total;
    this.left[best]!--;
    return best;
  }
}
