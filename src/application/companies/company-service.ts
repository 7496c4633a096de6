import { type AutoPauseSettings, DEFAULT_AUTO_PAUSE } from '../../domain/campaigns/failure-threshold';
import { AppError } from '../../domain/errors';
import type { CapSettings } from '../../domain/pacing/daily-cap';
import type { PacingSettings } from '../../domain/pacing/pacing-settings';
import type { WeeklySchedule } from '../../domain/pacing/sending-window';
import { DEFAULT_OPT_OUT, type OptOutSettings, overlappingKeywords } from '../../domain/suppression/opt-out-keywords';
import type { ApiKeyDoc } from '../../infrastructure/mongo/models/api-key';
import type { CompanyDoc } from '../../infrastructure/mongo/models/company';
import { issueApiKey } from '../api-keys';
import { type NewCompany, registerCompany } from '../company-registration';
import type { PipelineDeps } from '../pipeline-deps';

/**
 * Owns a company's changes and its API keys: registered (with its first key), settings changed,
 * keys issued and revoked. Plain keys are returned once; only their hashes are stored.
 */

type Deps = Pick<PipelineDeps, 'models'>;

/** Creates a company and its first API key (used by the API, the CLI and the demo). */
export function createCompany(
  deps: Deps,
  input: NewCompany,
  label?: string,
): Promise<{ company: CompanyDoc; apiKey: string }> {
  return registerCompany(deps.models, input, label);
}

/** The settings a company may change; pacing fields merge into the stored ones. */
export interface CompanyChanges {
  name?: string;
  timezone?: string;
  defaultRegion?: string;
  pacing?: Partial<PacingSettings>;
  /** Null: always open. */
  sendingWindows?: WeeklySchedule | null;
  /** Merged into the stored (or default) keywords. */
  optOut?: Partial<OptOutSettings>;
  /** Merged into the stored (or default) thresholds. */
  autoPause?: Partial<AutoPauseSettings>;
  /** The company-wide daily cap (null: none). */
  dailyCap?: CapSettings | null;
}

/** Changes only the fields given; not-found for an unknown company. */
export async function updateCompany(deps: Deps, companyId: string, changes: CompanyChanges): Promise<CompanyDoc> {
  const { Company } = deps.models;
  const pacing = Object.entries(changes.pacing ?? {}).map(([key, value]) => [`pacing.${key}`, value]);
  const current = changes.optOut || changes.autoPause ? await Company.findById(companyId).lean() : null;
  if ((changes.optOut || changes.autoPause) && !current) throw AppError.notFound('company');
  const optOut = changes.optOut ? { ...DEFAULT_OPT_OUT, ...current?.optOut, ...changes.optOut } : undefined;
  const overlap = optOut ? overlappingKeywords(optOut) : [];
  if (overlap.length > 0)
    throw AppError.invalid('the request body is invalid', [
      { field: 'body.optOut', message: `a keyword cannot both opt out and opt in: ${overlap.join(', ')}` },
    ]);
  const autoPause = changes.autoPause ? { ...DEFAULT_AUTO_PAUSE, ...current?.autoPause, ...changes.autoPause } : null;
  const set = {
    ...(optOut ? { optOut } : {}),
    ...(autoPause ? { autoPause } : {}),
    ...(changes.name ? { name: changes.name } : {}),
    ...(changes.timezone ? { timezone: changes.timezone } : {}),
    ...(changes.defaultRegion ? { defaultRegion: changes.defaultRegion } : {}),
    ...(changes.sendingWindows !== undefined ? { sendingWindows: changes.sendingWindows } : {}),
    ...(changes.dailyCap !== undefined ? { dailyCap: changes.dailyCap } : {}),
    ...Object.fromEntries(pacing),
  };
  const updated =
    Object.keys(set).length > 0
      ? await Company.findOneAndUpdate({ _id: companyId }, { $set: set }, { returnDocument: 'after' }).lean()
      : await Company.findById(companyId).lean();
  if (!updated) throw AppError.notFound('company');
  return updated as CompanyDoc;
}

/** Issues another key for an existing company: the stored record, and the plain key to show this once. */
export async function issueCompanyApiKey(
  deps: Deps,
  companyId: string,
  label: string,
): Promise<{ record: ApiKeyDoc; apiKey: string }> {
  const exists = await deps.models.Company.exists({ _id: companyId });
  if (!exists) throw AppError.notFound('company');
  return issueApiKey(deps.models, companyId, label);
}

/** Revokes one of the company's keys (by its public id); the hash it had, to forget it from caches. */
export async function revokeApiKey(deps: Deps, companyId: string, keyId: string): Promise<string> {
  const { ApiKey } = deps.models;
  const key = await ApiKey.findOne({ keyId, companyId }, { _id: 1 }).lean();
  if (!key) throw AppError.notFound('API key');
  await ApiKey.deleteOne({ _id: key._id });
  return key._id;
}
