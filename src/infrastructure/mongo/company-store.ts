import type { ApiKeyStore, CompanyRecord, CompanyRepository } from '../../application/companies/company-repository';
import type { Models } from './models';
import type { ApiKeyDoc } from './models/api-key';
import type { CompanyDoc } from './models/company';

/** Companies in MongoDB. */
export class MongoCompanyRepository implements CompanyRepository {
  constructor(private readonly models: Pick<Models, 'Company'>) {}

  async create(fields: CompanyRecord): Promise<CompanyDoc> {
    return (await this.models.Company.create(fields)).toObject() as CompanyDoc;
  }

  async findById(id: string): Promise<CompanyDoc | null> {
    return (await this.models.Company.findById(id).lean()) as CompanyDoc | null;
  }

  async exists(id: string): Promise<boolean> {
    return Boolean(await this.models.Company.exists({ _id: id }));
  }

  async update(id: string, set: Record<string, unknown>): Promise<CompanyDoc | null> {
    return (await this.models.Company.findOneAndUpdate(
      { _id: id },
      { $set: set },
      { returnDocument: 'after' },
    ).lean()) as CompanyDoc | null;
  }
}

/** API keys in MongoDB, by their hash. */
export class MongoApiKeyStore implements ApiKeyStore {
  constructor(private readonly models: Pick<Models, 'ApiKey'>) {}

  async create(record: Pick<ApiKeyDoc, '_id' | 'label' | 'preview'> & { companyId: string }): Promise<ApiKeyDoc> {
    return (await this.models.ApiKey.create(record)).toObject() as ApiKeyDoc;
  }

  async hashOf(companyId: string, keyId: string): Promise<string | null> {
    return (await this.models.ApiKey.findOne({ keyId, companyId }, { _id: 1 }).lean())?._id ?? null;
  }

  async remove(hash: string): Promise<void> {
    await this.models.ApiKey.deleteOne({ _id: hash });
  }
}
