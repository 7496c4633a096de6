import { Types } from 'mongoose';
import type { SuppressionEntry, SuppressionRepository } from '../../src/application/suppression/suppression-repository';
import type { OptOutSettings } from '../../src/domain/suppression/opt-out-keywords';
import type { SuppressionDoc } from '../../src/infrastructure/mongo/models/suppression';

/** A suppression list in a Map keyed by (company, phone), as the unique MongoDB index keeps it; companies and contacts beside it. */
export class InMemorySuppressions implements SuppressionRepository {
  readonly entries = new Map<string, SuppressionDoc>();
  readonly companies = new Map<string, { defaultRegion: string; optOut: OptOutSettings | null }>();
  readonly contacts = new Map<string, Types.ObjectId>();
  /** Rounds of import writes seen (their sizes). */
  readonly rounds: number[] = [];

  private key(companyId: string, phone: string): string {
    return `${companyId} ${phone}`;
  }

  entry(companyId: string, phone: string): SuppressionDoc | undefined {
    return this.entries.get(this.key(companyId, phone));
  }

  addCompany(settings: { defaultRegion?: string; optOut?: OptOutSettings | null } = {}): string {
    const companyId = String(new Types.ObjectId());
    this.companies.set(companyId, { defaultRegion: settings.defaultRegion ?? 'BR', optOut: settings.optOut ?? null });
    return companyId;
  }

  addContact(companyId: string, phone: string): Types.ObjectId {
    const id = new Types.ObjectId();
    this.contacts.set(this.key(companyId, phone), id);
    return id;
  }

  async suppress(entry: SuppressionEntry): Promise<boolean> {
    const found = this.entry(entry.companyId, entry.phone);
    if (found?.suppressed) return false;
    this.entries.set(this.key(entry.companyId, entry.phone), {
      _id: found?._id ?? new Types.ObjectId(),
      companyId: new Types.ObjectId(entry.companyId),
      phone: entry.phone,
      suppressed: true,
      source: entry.source,
      keyword: entry.keyword,
      connectionId: entry.connectionId ? new Types.ObjectId(entry.connectionId) : null,
      suppressedAt: entry.at,
      liftedAt: null,
    });
    return true;
  }

  async lift(companyId: string, phone: string, at: Date, onlyOptOut: boolean): Promise<boolean> {
    const found = this.entry(companyId, phone);
    if (!found?.suppressed || (onlyOptOut && found.source !== 'opt-out')) return false;
    Object.assign(found, { suppressed: false, liftedAt: at });
    return true;
  }

  async isSuppressed(companyId: string, phone: string): Promise<boolean> {
    return this.entry(companyId, phone)?.suppressed === true;
  }

  async suppressedAmong(companyId: string, phones: string[]): Promise<Set<string>> {
    return new Set(phones.filter((phone) => this.entry(companyId, phone)?.suppressed === true));
  }

  async suppressAll(companyId: string, phones: string[], at: Date): Promise<{ suppressed: number; already: number }> {
    this.rounds.push(phones.length);
    let suppressed = 0;
    for (const phone of phones) {
      if (this.entry(companyId, phone)?.suppressed) continue;
      await this.suppress({ companyId, phone, source: 'import', keyword: null, connectionId: null, at });
      suppressed++;
    }
    return { suppressed, already: phones.length - suppressed };
  }

  async contactWithPhone(companyId: string, phone: string): Promise<Types.ObjectId | null> {
    return this.contacts.get(this.key(companyId, phone)) ?? null;
  }

  async optOutSettingsOf(companyId: string): Promise<{ defaultRegion: string; optOut: OptOutSettings | null } | null> {
    return this.companies.get(companyId) ?? null;
  }
}
