/**
 * A small in-process cache whose entries expire after `ttlMs` (0: nothing is kept), bounded to
 * `maxEntries` (the oldest goes first). It spares the database the same lookups on every request.
 */
export class TtlCache<V> {
  private readonly entries = new Map<string, { value: V; until: number }>();

  constructor(
    private readonly ttlMs: number,
    private readonly maxEntries = 10_000,
    private readonly now: () => number = Date.now,
  ) {}

  async get(key: string, load: () => Promise<V>): Promise<V> {
    const hit = this.entries.get(key);
    if (hit && hit.until > this.now()) return hit.value;
    const value = await load();
    if (this.ttlMs > 0) this.set(key, value);
    return value;
  }

  delete(key: string): void {
    this.entries.delete(key);
  }

  private set(key: string, value: V): void {
    this.entries.delete(key);
    if (this.entries.size >= this.maxEntries) this.entries.delete(this.entries.keys().next().value!);
    this.entries.set(key, { value, until: this.now() + this.ttlMs });
  }
}
