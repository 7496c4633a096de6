import { LRUCache } from 'lru-cache';

/**
 * A lookup remembered for `ttlMs` (0: nothing is kept) to spare the database the same reads on every
 * request; at most `max` keys, the least recently used go first. Concurrent loads of one key share
 * one read, and a failed load (an unknown key, say) is not remembered.
 */
export interface ApiCache<V> {
  get(key: string, load: () => Promise<V>): Promise<V>;
  delete(key: string): void;
}

export function apiCache<V>(ttlMs: number, max = 10_000, clock?: { now(): number }): ApiCache<V> {
  // Values are boxed: lru-cache keeps no null, and "no such company" is worth remembering too.
  const entries = new LRUCache<string, { value: V }, () => Promise<V>>({
    max,
    ttl: ttlMs,
    ttlResolution: 0,
    ...(clock ? { perf: clock } : {}),
    fetchMethod: async (_key, _stale, { context }) => ({ value: await context() }),
  });
  return {
    async get(key, load) {
      if (ttlMs === 0) return load();
      const entry = await entries.fetch(key, { context: load });
      return entry!.value;
    },
    delete(key) {
      entries.delete(key);
    },
  };
}
