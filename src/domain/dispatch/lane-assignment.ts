/**
 * Which dispatch workers hold which lanes: rendezvous (highest-random-weight) hashing. Every worker
 * ranks the live workers for a lane by hash(worker, lane) and agrees on the result without talking
 * to the others; the first is the lane's owner (its consumer registers first, so the broker makes it
 * the active one), the next `standbys` subscribe behind it and take over the moment it dies. A
 * worker joining or leaving moves only the lanes it wins or held: about 1/n of them.
 */
export type LaneRole = 'owner' | 'standby' | 'none';

/** The live workers, best first, for one lane. */
export function rankWorkers(laneId: string, workers: readonly string[]): string[] {
  return workers
    .map((worker) => ({ worker, weight: hash32(`${worker}\u0000${laneId}`) }))
    .sort((a, b) => b.weight - a.weight || (a.worker < b.worker ? -1 : 1))
    .map((entry) => entry.worker);
}

export function roleOf(laneId: string, worker: string, workers: readonly string[], standbys: number): LaneRole {
  const position = rankWorkers(laneId, workers).indexOf(worker);
  if (position === 0) return 'owner';
  if (position > 0 && position <= standbys) return 'standby';
  return 'none';
}

/** The owner of each lane among `workers`. */
export function ownersOf(laneIds: readonly string[], workers: readonly string[]): Map<string, string> {
  return new Map(laneIds.map((lane) => [lane, rankWorkers(lane, workers)[0] ?? '']));
}

/** 32-bit FNV-1a, then murmur3's finaliser so that near-identical keys spread evenly. */
export function hash32(text: string): number {
  let hash = 0x811c9dc5;
  for (let i = 0; i < text.length; i++) {
    hash ^= text.charCodeAt(i);
    hash = Math.imul(hash, 0x01000193);
  }
  hash ^= hash >>> 16;
  hash = Math.imul(hash, 0x85ebca6b);
  hash ^= hash >>> 13;
  hash = Math.imul(hash, 0xc2b2ae35);
  hash ^= hash >>> 16;
  return hash >>> 0;
}
