import type { Types } from 'mongoose';
import type { SuppressionSource } from '../../domain/events/suppression-messages';
import type { OptOutSettings } from '../../domain/suppression/opt-out-keywords';

/** A phone put on a company's suppression list. */
export interface SuppressionEntry {
  companyId: string;
  /** E.164. */
  phone: string;
  source: SuppressionSource;
  keyword: string | null;
  connectionId: string | null;
  at: Date;
}

/**
 * A company's suppression list (one entry per company and phone, kept when lifted), as the
 * suppression service needs it; with the two reads an opt-out makes outside it (the company's
 * keywords and region, its contact with the phone).
 */
export interface SuppressionRepository {
  /**
   * Suppresses the phone unless it is suppressed already (a conditional upsert on the unique
   * (company, phone) key, so two concurrent opt-outs record one); whether this call changed it.
   */
  suppress(entry: SuppressionEntry): Promise<boolean>;
  /**
   * Lifts a suppressed phone (only one its own opt-out made when `onlyOptOut`); whether this call
   * lifted it.
   */
  lift(companyId: string, phone: string, at: Date, onlyOptOut: boolean): Promise<boolean>;
  isSuppressed(companyId: string, phone: string): Promise<boolean>;
  /** Those of `phones` on the company's list (one query for a batch). */
  suppressedAmong(companyId: string, phones: string[]): Promise<Set<string>>;
  /**
   * An import's round of writes: every phone suppressed (new ones added, lifted ones suppressed
   * again with source `import`, suppressed ones kept as they are); how many this round changed and
   * how many were suppressed already.
   */
  suppressAll(companyId: string, phones: string[], at: Date): Promise<{ suppressed: number; already: number }>;
  /** The id of the company's contact with this phone, if there is one. */
  contactWithPhone(companyId: string, phone: string): Promise<Types.ObjectId | null>;
  /** The company's opt-out keywords (absent: the defaults) and region, or null when there is no such company. */
  optOutSettingsOf(companyId: string): Promise<{ defaultRegion: string; optOut: OptOutSettings | null } | null>;
}
