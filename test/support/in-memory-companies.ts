import { Types } from 'mongoose';
import type { ApiKeyStore, CompanyRecord, CompanyRepository } from '../../src/application/companies/company-repository';
import type { ApiKeyDoc } from '../../src/infrastructure/mongo/models/api-key';
import type { CompanyDoc } from '../../src/infrastructure/mongo/models/company';

/** A copy a caller may keep (its embedded settings copied too). */
const copyOf = (company: CompanyDoc): CompanyDoc => ({ ...company, pacing: { ...company.pacing } });

/** Companies in a Map (defaults as the MongoDB schema gives them). */
export class InMemoryCompanyRepository implements CompanyRepository {
  readonly byId = new Map<string, CompanyDoc>();

  constructor(private readonly now: () => number = Date.now) {}

  async create(fields: CompanyRecord): Promise<CompanyDoc> {
    const company: CompanyDoc = {
      _id: new Types.ObjectId(),
      timezone: 'America/Sao_Paulo',
      defaultRegion: 'BR',
      createdAt: new Date(this.now()),
      ...fields,
    };
    this.byId.set(String(company._id), company);
    return copyOf(company);
  }

  async findById(id: string): Promise<CompanyDoc | null> {
    const found = this.byId.get(id);
    return found ? copyOf(found) : null;
  }

  async exists(id: string): Promise<boolean> {
    return this.byId.has(id);
  }

  async update(id: string, set: Record<string, unknown>): Promise<CompanyDoc | null> {
    const found = this.byId.get(id);
    if (!found) return null;
    for (const [path, value] of Object.entries(set)) {
      // Dotted paths (`pacing.messageIntervalMs`) set one field of an embedded document, as $set does.
      const keys = path.split('.');
      let target = found as unknown as Record<string, unknown>;
      for (const key of keys.slice(0, -1)) target = target[key] as Record<string, unknown>;
      target[keys.at(-1)!] = value;
    }
    return copyOf(found);
  }
}

/** API keys in a Map by hash. */
export class InMemoryApiKeyStore implements ApiKeyStore {
  readonly byHash = new Map<string, ApiKeyDoc>();

  async create(record: Pick<ApiKeyDoc, '_id' | 'label' | 'preview'> & { companyId: string }): Promise<ApiKeyDoc> {
    const stored: ApiKeyDoc = {
      ...record,
      companyId: new Types.ObjectId(record.companyId),
      keyId: new Types.ObjectId().toHexString(),
      createdAt: new Date(),
    };
    this.byHash.set(stored._id, stored);
    return { ...stored };
  }

  async hashOf(companyId: string, keyId: string): Promise<string | null> {
    for (const key of this.byHash.values())
      if (key.keyId === keyId && String(key.companyId) === companyId) return key._id;
    return null;
  }

  async remove(hash: string): Promise<void> {
    this.byHash.delete(hash);
  }
}
