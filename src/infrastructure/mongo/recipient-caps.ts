import { capDecision, capFreesAt, DAY_MS } from '../../domain/pacing/daily-cap';
import type { Models } from './models';

/** Where a reservation stands: the slot is held (or the phone was counted already), or the cap is full until then. */
export type CapReservation = { ok: true } | { ok: false; freesAt: number };

/**
 * Reserves a recipient under a daily cap, exactly across workers: read the scope's document, decide
 * with the domain rule, write the new recipient (and drop those older than 24 h) only if `version`
 * is still what was read; on a conflict, read again. A slot reserved by a send that then fails is
 * kept: the cap errs on the side of sending less, never more.
 */
export class RecipientCaps {
  constructor(private readonly models: Models) {}

  async reserve(scope: string, phone: string, limit: number | null, now: number): Promise<CapReservation> {
    if (limit === null) return { ok: true };
    const { RecipientCap } = this.models;
    for (let attempt = 0; attempt < 50; attempt++) {
      const doc = (await RecipientCap.findById(scope).lean()) ?? { _id: scope, recent: [], version: -1 };
      const decision = capDecision(doc.recent, limit, phone, now);
      if (decision === 'already-counted') return { ok: true };
      if (decision === 'full') return { ok: false, freesAt: capFreesAt(doc.recent, limit, now) };
      const recent = [...doc.recent.filter((entry) => entry.at > now - DAY_MS), { phone, at: now }];
      if (doc.version === -1) {
        try {
          await RecipientCap.create({ _id: scope, recent, version: 0 });
          return { ok: true };
        } catch {
          continue; // created meanwhile: read it again
        }
      }
      const result = await RecipientCap.updateOne(
        { _id: scope, version: doc.version },
        { $set: { recent }, $inc: { version: 1 } },
      );
      if (result.modifiedCount === 1) return { ok: true };
    }
    throw new Error(`daily cap ${scope}: could not reserve a slot (too much contention)`);
  }
}
