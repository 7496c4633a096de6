import { isDuplicateKeyError } from '../../mongo/insert-new';
import type { WhatsAppWebStore } from './web-store';

/**
 * Who holds a number's WhatsApp Web socket: a compare-and-set lease in MongoDB with an expiry,
 * renewed by the holder's heartbeat. WhatsApp drops a session opened twice, so exactly one process
 * opens it; when the holder dies its lease expires and another process takes the number over.
 */
export class WebLease {
  constructor(
    private readonly store: WhatsAppWebStore,
    readonly holder: string,
    private readonly ttlMs: number,
    private readonly now: () => number = Date.now,
  ) {}

  /** Takes the lease if it is free, expired or already ours; false when another live process holds it. */
  async acquire(connectionId: string): Promise<boolean> {
    const now = this.now();
    try {
      const lease = await this.store.Lease.findOneAndUpdate(
        { _id: connectionId, $or: [{ holder: this.holder }, { expiresAt: { $lt: new Date(now) } }] },
        { $set: { holder: this.holder, expiresAt: new Date(now + this.ttlMs) } },
        { upsert: true, returnDocument: 'after' },
      ).lean();
      return lease?.holder === this.holder;
    } catch (error) {
      // The upsert met a lease another process holds: not ours.
      if (isDuplicateKeyError(error)) return false;
      throw error;
    }
  }

  /** Extends our leases; returns the ones we still hold (a lease lost meanwhile is not in it). */
  async renew(connectionIds: string[]): Promise<Set<string>> {
    const held = new Set<string>();
    const expiresAt = new Date(this.now() + this.ttlMs);
    await Promise.all(
      connectionIds.map(async (connectionId) => {
        const renewed = await this.store.Lease.updateOne(
          { _id: connectionId, holder: this.holder },
          { $set: { expiresAt } },
        );
        if (renewed.matchedCount === 1) held.add(connectionId);
      }),
    );
    return held;
  }

  async release(connectionId: string): Promise<void> {
    await this.store.Lease.deleteOne({ _id: connectionId, holder: this.holder });
  }

  async holderOf(connectionId: string): Promise<string | null> {
    const lease = await this.store.Lease.findById(connectionId).lean();
    return lease && lease.expiresAt.getTime() > this.now() ? lease.holder : null;
  }
}
