import { capDecision, capFreesAt, DAY_MS } from '../../domain/pacing/daily-cap';

/** Where a reservation stands: the slot is held (or the phone was counted already), or the cap is full until then. */
export type CapReservation = { ok: true; added: boolean } | { ok: false; freesAt: number };

/** One cap a send must fit under: the number's (`connection:<id>`) or the company's (`company:<id>`). */
export interface CapScope {
  scope: string;
  limit: number | null;
}

/**
 * A recipient a scope counts. `shared`: another send counted on this entry (the phone was already
 * counted), so the reservation that wrote it may no longer give it back when another scope is full.
 */
export interface CapEntry {
  phone: string;
  at: number;
  shared?: boolean;
}

/** A scope's recipients as stored, with the version its compare-and-set checks. */
export interface CapDocument {
  recent: CapEntry[];
  version: number;
}

/** The scopes' recipients, changed only by compare-and-set on `version` (so two workers never both take the last slot). */
export interface CapStore {
  read(scope: string): Promise<CapDocument | null>;
  /** Creates the scope with these recipients at version 0; false when it could not (created meanwhile). */
  create(scope: string, recent: CapEntry[]): Promise<boolean>;
  /** Replaces the recipients and bumps the version, only if it is still `version`; whether it did. */
  replace(scope: string, version: number, recent: CapEntry[]): Promise<boolean>;
}

/** Reservations against the daily caps, as dispatch needs them. */
export interface CapReservationPort {
  reserveAll(scopes: readonly CapScope[], phone: string, now: number): Promise<CapReservation & { scope?: string }>;
}

/** Rounds of read-decide-write before a reservation gives up (each lost round means another worker wrote). */
const MAX_ATTEMPTS = 50;

/**
 * Reserves a recipient under a daily cap, exactly across workers: read the scope's document, decide
 * with the domain rule, write the new recipient (and drop those older than 24 h) only if `version`
 * is still what was read; on a conflict, read again. A slot reserved by a send that then fails is
 * kept: the cap errs on the side of sending less, never more.
 */
export class CapReservations implements CapReservationPort {
  constructor(private readonly store: CapStore) {}

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
    for (let attempt = 0; attempt < MAX_ATTEMPTS; attempt++) {
      const doc = await this.store.read(scope);
      if (!doc) return;
      // Only the entry this reservation wrote, and only if no other send counted on it since.
      const recent = doc.recent.filter((entry) => !(entry.phone === phone && entry.at === at && !entry.shared));
      if (recent.length === doc.recent.length) return;
      if (await this.store.replace(scope, doc.version, recent)) return;
    }
    throw new Error(`daily cap ${scope}: could not release a slot (too much contention)`);
  }

  async reserve(scope: string, phone: string, limit: number | null, now: number): Promise<CapReservation> {
    if (limit === null) return { ok: true, added: false };
    for (let attempt = 0; attempt < MAX_ATTEMPTS; attempt++) {
      const doc = (await this.store.read(scope)) ?? { recent: [], version: -1 };
      const decision = capDecision(doc.recent, limit, phone, now);
      if (decision === 'already-counted') {
        // Mark the entry shared, so a reservation that wrote it and is undone keeps it (this send counts on it).
        const live = doc.recent.find((entry) => entry.phone === phone && entry.at > now - DAY_MS)!;
        if (live.shared || doc.version === -1) return { ok: true, added: false };
        const recent = doc.recent.map((entry) => (entry === live ? { ...entry, shared: true } : entry));
        if (await this.store.replace(scope, doc.version, recent)) return { ok: true, added: false };
        continue;
      }
      if (decision === 'full') return { ok: false, freesAt: capFreesAt(doc.recent, limit, now) };
      const recent = [...doc.recent.filter((entry) => entry.at > now - DAY_MS), { phone, at: now }];
      if (doc.version === -1) {
        if (await this.store.create(scope, recent)) return { ok: true, added: true };
        continue; // created meanwhile: read it again
      }
      if (await this.store.replace(scope, doc.version, recent)) return { ok: true, added: true };
    }
    throw new Error(`daily cap ${scope}: could not reserve a slot (too much contention)`);
  }
}
