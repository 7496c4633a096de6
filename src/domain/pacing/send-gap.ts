/**
 * Randomised gaps: when `messageInterval` is a range, each gap between two sends of a campaign is
 * drawn inside [min, max] — never below the minimum (the pacing rule, the dispatch check and the
 * sandbox's judge all use the minimum). The draw is reproducible: a PRNG seeded from the campaign
 * id and the send's index, so planning again (after a crash, in a test, in a replay) gives the same
 * times.
 */

/** FNV-1a, 32 bits: a stable number from the seed text. */
function hash(text: string): number {
  let h = 0x811c9dc5;
  for (let i = 0; i < text.length; i++) {
    h ^= text.charCodeAt(i);
    h = Math.imul(h, 0x01000193) >>> 0;
  }
  return h;
}

/** A uniform number in [0, 1) for (seed, index): splitmix32 over the seed's hash and the index. */
export function uniform(seed: string, index: number): number {
  let z = (hash(seed) + Math.imul(index + 1, 0x9e3779b9)) >>> 0;
  z = Math.imul(z ^ (z >>> 16), 0x85ebca6b) >>> 0;
  z = Math.imul(z ^ (z >>> 13), 0xc2b2ae35) >>> 0;
  z = (z ^ (z >>> 16)) >>> 0;
  return z / 2 ** 32;
}

/** The gap before send `index` of the campaign `seed`, in [minMs, maxMs] (integer ms). */
export function drawGap(seed: string, index: number, minMs: number, maxMs: number): number {
  if (maxMs <= minMs) return minMs;
  return minMs + Math.floor(uniform(seed, index) * (maxMs - minMs + 1));
}
