import { Types } from 'mongoose';
import type { SuppressionEntry, SuppressionRepository } from '../../application/suppression/suppression-repository';
import type { OptOutSettings } from '../../domain/suppression/opt-out-keywords';
import { isDuplicateKeyError } from './insert-new';
import type { Models } from './models';
import type { SuppressionDoc } from './models/suppression';

/** The suppression list in MongoDB (`suppressions`, unique per company and phone). */
export class MongoSuppressionRepository implements SuppressionRepository {
  constructor(private readonly models: Pick<Models, 'Suppression' | 'Contact' | 'Company'>) {}

  async suppress(entry: SuppressionEntry): Promise<boolean> {
    try {
      await this.models.Suppression.findOneAndUpdate(
        { companyId: new Types.ObjectId(entry.companyId), phone: entry.phone, suppressed: { $ne: true } },
        {
          $set: {
            suppressed: true,
            source: entry.source,
            keyword: entry.keyword,
            connectionId: entry.connectionId ? new Types.ObjectId(entry.connectionId) : null,
            suppressedAt: entry.at,
            liftedAt: null,
          },
        },
        { upsert: true },
      );
      return true;
    } catch (error) {
      // The upsert collided with the phone's document, which is therefore suppressed already.
      if (isDuplicateKeyError(error)) return false;
      throw error;
    }
  }

  async lift(companyId: string, phone: string, at: Date, onlyOptOut: boolean): Promise<boolean> {
    const lifted = await this.models.Suppression.findOneAndUpdate(
      {
        companyId: new Types.ObjectId(companyId),
        phone,
        suppressed: true,
        ...(onlyOptOut ? { source: 'opt-out' } : {}),
      },
      { $set: { suppressed: false, liftedAt: at } },
    ).lean();
    return lifted !== null;
  }

  async isSuppressed(companyId: string, phone: string): Promise<boolean> {
    const found = await this.models.Suppression.findOne(
      { companyId: new Types.ObjectId(companyId), phone },
      { suppressed: 1 },
    ).lean();
    return found?.suppressed === true;
  }

  async suppressedAmong(companyId: string, phones: string[]): Promise<Set<string>> {
    if (phones.length === 0) return new Set();
    const found = await this.models.Suppression.find(
      { companyId: new Types.ObjectId(companyId), phone: { $in: phones }, suppressed: true },
      { phone: 1 },
    ).lean();
    return new Set(found.map((each) => each.phone));
  }

  async suppressAll(companyId: string, phones: string[], at: Date): Promise<{ suppressed: number; already: number }> {
    const { Suppression } = this.models;
    const company = new Types.ObjectId(companyId);
    const existing = await Suppression.find(
      { companyId: company, phone: { $in: phones } },
      { phone: 1, suppressed: 1 },
    ).lean();
    const known = new Map(existing.map((entry) => [entry.phone, entry]));
    const lifted = existing.filter((entry) => !entry.suppressed).map((entry) => entry._id);
    const fresh: SuppressionDoc[] = phones
      .filter((phone) => !known.has(phone))
      .map((phone) => ({
        _id: new Types.ObjectId(),
        companyId: company,
        phone,
        suppressed: true,
        source: 'import',
        keyword: null,
        connectionId: null,
        suppressedAt: at,
        liftedAt: null,
      }));
    let inserted = fresh.length;
    if (fresh.length > 0) {
      try {
        await Suppression.collection.insertMany(fresh, { ordered: false });
      } catch (error) {
        // An opt-out of one of these phones landed meanwhile: it stands (and is suppressed).
        if (!isDuplicateKeyError(error)) throw error;
        inserted = (error as { result?: { insertedCount?: number } }).result?.insertedCount ?? 0;
      }
    }
    let resuppressed = 0;
    if (lifted.length > 0) {
      const result = await Suppression.updateMany(
        { _id: { $in: lifted }, suppressed: false },
        {
          $set: {
            suppressed: true,
            source: 'import',
            keyword: null,
            connectionId: null,
            suppressedAt: at,
            liftedAt: null,
          },
        },
      );
      resuppressed = result.modifiedCount;
    }
    return { suppressed: inserted + resuppressed, already: phones.length - inserted - resuppressed };
  }

  async contactWithPhone(companyId: string, phone: string): Promise<Types.ObjectId | null> {
    const contact = await this.models.Contact.findOne(
      { companyId: new Types.ObjectId(companyId), phone },
      { _id: 1 },
    ).lean();
    return contact?._id ?? null;
  }

  async optOutSettingsOf(companyId: string): Promise<{ defaultRegion: string; optOut: OptOutSettings | null } | null> {
    const company = await this.models.Company.findById(companyId, { defaultRegion: 1, optOut: 1 }).lean();
    if (!company) return null;
    return { defaultRegion: company.defaultRegion ?? 'BR', optOut: company.optOut ?? null };
  }
}
