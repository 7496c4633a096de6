import type { CapDocument, CapEntry, CapStore } from '../../src/application/shippings/cap-reservations';

/**
 * Cap documents in a Map, with MongoDB's compare-and-set on `version`. `beforeWrite` runs before each
 * create or replace: a test plays another worker there (writes first, so this write loses its round).
 */
export class InMemoryCapStore implements CapStore {
  readonly docs = new Map<string, CapDocument>();
  beforeWrite: ((scope: string) => Promise<void> | void) | null = null;
  writes = 0;

  async read(scope: string): Promise<CapDocument | null> {
    const doc = this.docs.get(scope);
    return doc ? { version: doc.version, recent: doc.recent.map((entry) => ({ ...entry })) } : null;
  }

  async create(scope: string, recent: CapEntry[]): Promise<boolean> {
    await this.beforeWrite?.(scope);
    if (this.docs.has(scope)) return false;
    this.docs.set(scope, { version: 0, recent: recent.map((entry) => ({ ...entry })) });
    this.writes++;
    return true;
  }

  async replace(scope: string, version: number, recent: CapEntry[]): Promise<boolean> {
    await this.beforeWrite?.(scope);
    const doc = this.docs.get(scope);
    if (!doc || doc.version !== version) return false;
    this.docs.set(scope, { version: version + 1, recent: recent.map((entry) => ({ ...entry })) });
    this.writes++;
    return true;
  }

  /** The phones a scope counts, oldest first. */
  phones(scope: string): string[] {
    return (this.docs.get(scope)?.recent ?? []).map((entry) => entry.phone);
  }
}
