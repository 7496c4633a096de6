import type { Types } from 'mongoose';
import type { IncomingContact } from '../../domain/contacts/contact-changes';

/** A contact sync run as it is recorded when it starts (keyed by the triggering event's id). */
export interface SyncRunStart {
  syncId: string;
  companyId: Types.ObjectId;
  connectionId: Types.ObjectId;
  /** The triggering event's type. */
  trigger: string;
  startedAt: Date;
}

/** Where a run stands: the provider's cursor of the next page to read, and how many pages it has stored. */
export interface SyncRunState {
  status: 'running' | 'completed';
  cursor: string | null;
  pages: number;
}

/** What one page of a run added to its counts. */
export interface SyncPageCounts {
  seen: number;
  created: number;
  updated: number;
  unchanged: number;
  invalid: number;
  notOnWhatsApp: number;
}

/** A completed run's totals. */
export type SyncTotals = { pages: number } & Omit<SyncPageCounts, 'unchanged'>;

/** Writes batches of one company's synced contacts, unique by phone (concurrent writers never duplicate one). */
export interface SyncContactWriter {
  /** The ids of the contacts it created, how many existing ones changed and how many were already as given. */
  write(contacts: IncomingContact[], at: Date): Promise<{ created: string[]; updated: number; unchanged: number }>;
}

/**
 * Contact sync runs (running → completed, page by page) and the contact writes they make. A page is
 * stored by compare-and-set on where the run stood, so two copies of one run (a redelivery while the
 * first still works) never both count a page.
 */
export interface ContactSyncRuns {
  /** Records the run as running unless it exists already (a redelivery resumes it): the run as stored. */
  start(run: SyncRunStart): Promise<SyncRunState | null>;
  /** Moves the run past a page, only if it still stands at (`cursor`, `pages`); whether it did. */
  advance(
    syncId: string,
    from: { cursor: string | null; pages: number },
    next: string | null,
    counts: SyncPageCounts,
  ): Promise<boolean>;
  /** Marks a running run completed: its totals, or null when it was not running (another copy completed it). */
  complete(syncId: string, at: Date): Promise<SyncTotals | null>;
  writerFor(companyId: Types.ObjectId): SyncContactWriter;
}
