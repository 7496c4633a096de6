import type { ApiKeyDoc } from '../../infrastructure/mongo/models/api-key';
import type { CompanyDoc } from '../../infrastructure/mongo/models/company';
import type { PipelineDeps } from '../pipeline-deps';
import { companiesOf } from '../service-registry';
import type { CompanyChanges, NewCompany } from './company-accounts';

/**
 * The names entry points call for a company's changes and its API keys, each one call of
 * CompanyService (company-accounts.ts), which owns them.
 */

export type { CompanyChanges, NewCompany } from './company-accounts';

type Deps = Pick<PipelineDeps, 'models'>;

/** Creates a company and its first API key (used by the API, the CLI and the demo). */
export function createCompany(
  deps: Deps,
  input: NewCompany,
  label?: string,
): Promise<{ company: CompanyDoc; apiKey: string }> {
  return companiesOf(deps).register(input, label);
}

/** Changes only the fields given; not-found for an unknown company. */
export function updateCompany(deps: Deps, companyId: string, changes: CompanyChanges): Promise<CompanyDoc> {
  return companiesOf(deps).update(companyId, changes);
}

/** Issues another key for an existing company: the stored record, and the plain key to show this once. */
export function issueCompanyApiKey(
  deps: Deps,
  companyId: string,
  label: string,
): Promise<{ record: ApiKeyDoc; apiKey: string }> {
  return companiesOf(deps).issueKey(companyId, label);
}

/** Revokes one of the company's keys (by its public id); the hash it had, to forget it from caches. */
export function revokeApiKey(deps: Deps, companyId: string, keyId: string): Promise<string> {
  return companiesOf(deps).revokeKey(companyId, keyId);
}
