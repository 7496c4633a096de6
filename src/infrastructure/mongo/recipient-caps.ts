import { capDecision, capFreesAt, DAY_MS } from '../../domain/pacing/daily-cap';
import type { Models } from './models';

/** Where a reservation stands: the slot is held (or the phone was counted already), or the cap is full until then. */
export type CapReservation = { ok: true; added: boolean } | { ok: false; freesAt: number };

/** One cap a send must fit under: the number's (`connection:<id>`) or the company's (`company:<id>`). */
export interface CapScope {
  scope: string;
  limit: number | null;
}

/**
 * Reserves a recipient under a daily cap, exactly across workers: read the scope's document, decide
 * with the domain rule, write the new recipient (and drop those older than 24 h) only if `version`
 * is still what was read; on a conflict, read again. A slot reserved by a send that then fails is
 * kept: the cap errs on the side of sending less, never more.
 */
export class RecipientCaps {
  constructor(private readonly models: Pick<Models, 'RecipientCap'>) {}

  /**
   * Reserves the recipient under every scope, in order; if one is full, the slots this call took
   * in the earlier ones are given back (never one taken that a full scope did not allow), and the
   * answer is when the full one frees a slot.
   */
  async reserveAll(
    scopes: readonly CapScope[],
    phone: string,
    now: number,
  ): Promise<CapReservation & { scope?: string }> {
    const taken: string[] = [];
    for (const { scope, limit } of scopes) {
      const reservation = await this.reserve(scope, phone, limit, now);
      if (!reservation.ok) {
        for (const done of taken) await this.release(done, phone, now);
        return { ...reservation, scope };
      }
      if (reservation.added) taken.push(scope);
    }
    return { ok: true, added: taken.length > 0 };
  }

  /** Gives back a slot this worker reserved at `at` (the entry it wrote), with the same compare-and-set. */
  async release(scope: string, phone: string, at: number): Promise<void> {
    const { RecipientCap } = this.models;
    for (let attempt = 0; attempt < 50; attempt++) {
      const doc = await RecipientCap.findById(scope).lean();
      if (!doc) return;
      // Only the entry this reservation wrote, and only if no other send counted on it since.
      const recent = doc.recent.filter((entry) => !(entry.phone === phone && entry.at === at && !entry.shared));
      if (recent.length === doc.recent.length) return;
      const result = await RecipientCap.updateOne(
        { _id: scope, version: doc.version },
        { $set: { recent }, $inc: { version: 1 } },
      );
      if (result.modifiedCount === 1) return;
    }
    throw new Error(`daily cap ${scope}: could not release a slot (too much contention)`);
  }

  /** The recipients a scope counts (for progress and planning): empty when it has none. */
  async recent(scope: string): Promise<Array<{ phone: string; at: number }>> {
    return (await this.models.RecipientCap.findById(scope, { recent: 1 }).lean())?.recent ?? [];
  }

  async reserve(scope: string, phone: string, limit: number | null, now: number): Promise<CapReservation> {
    if (limit === null) return { ok: true, added: false };
    const { RecipientCap } = this.models;
    for (let attempt = 0; attempt < 50; attempt++) {
      const doc = (await RecipientCap.findById(scope).lean()) ?? { _id: scope, recent: [], version: -1 };
      const decision = capDecision(doc.recent, limit, phone, now);
      if (decision === 'already-counted') {
        // Mark the entry shared, so a reservation that wrote it and is undone keeps it (this send counts on it).
        const live = doc.recent.find((entry) => entry.phone === phone && entry.at > now - DAY_MS)!;
        if (live.shared || doc.version === -1) return { ok: true, added: false };
        const recent = doc.recent.map((entry) => (entry === live ? { ...entry, shared: true } : entry));
        const marked = await RecipientCap.updateOne(
          { _id: scope, version: doc.version },
          { $set: { recent }, $inc: { version: 1 } },
        );
        if (marked.modifiedCount === 1) return { ok: true, added: false };
        continue;
      }
      if (decision === 'full') return { ok: false, freesAt: capFreesAt(doc.recent, limit, now) };
      const recent = [...doc.recent.filter((entry) => entry.at > now - DAY_MS), { phone, at: now }];
      if (doc.version === -1) {
        try {
          await RecipientCap.create({ _id: scope, recent, version: 0 });
          return { ok: true, added: true };
        } catch {
          continue; // created meanwhile: read it again
        }
      }
      const result = await RecipientCap.updateOne(
        { _id: scope, version: doc.version },
        { $set: { recent }, $inc: { version: 1 } },
      );
      if (result.modifiedCount === 1) return { ok: true, added: true };
    }
    throw new Error(`daily cap ${scope}: could not reserve a slot (too much contention)`);
  }
}
