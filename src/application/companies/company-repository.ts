import type { ApiKeyDoc } from '../../infrastructure/mongo/models/api-key';
import type { CompanyDoc } from '../../infrastructure/mongo/models/company';

/** What a company is stored with when it registers (the rest takes the defaults). */
export type CompanyRecord = Pick<CompanyDoc, 'name' | 'pacing'> &
  Partial<Pick<CompanyDoc, 'timezone' | 'defaultRegion'>> & { sendingWindows: CompanyDoc['sendingWindows'] };

/** The companies' store, as the company service needs it. */
export interface CompanyRepository {
  create(fields: CompanyRecord): Promise<CompanyDoc>;
  findById(id: string): Promise<CompanyDoc | null>;
  exists(id: string): Promise<boolean>;
  /** Sets `set` (dotted paths allowed); the company after, or null when there is none. */
  update(id: string, set: Record<string, unknown>): Promise<CompanyDoc | null>;
}

/** API keys, stored as the hash of the plain key. */
export interface ApiKeyStore {
  create(record: Pick<ApiKeyDoc, '_id' | 'label' | 'preview'> & { companyId: string }): Promise<ApiKeyDoc>;
  /** The hash of the company's key with that public id, or null. */
  hashOf(companyId: string, keyId: string): Promise<string | null>;
  remove(hash: string): Promise<void>;
}
