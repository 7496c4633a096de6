import { Types } from 'mongoose';
import { type AutoPauseSettings, DEFAULT_AUTO_PAUSE } from '../../domain/campaigns/failure-threshold';
import { AppError } from '../../domain/errors';
import type { CapSettings } from '../../domain/pacing/daily-cap';
import { DEFAULT_PACING, type PacingSettings } from '../../domain/pacing/pacing-settings';
import type { WeeklySchedule } from '../../domain/pacing/sending-window';
import { DEFAULT_OPT_OUT, type OptOutSettings, overlappingKeywords } from '../../domain/suppression/opt-out-keywords';
import type { ApiKeyDoc } from '../../infrastructure/mongo/models/api-key';
import type { CompanyDoc } from '../../infrastructure/mongo/models/company';
import { hashApiKey, newApiKey } from './api-keys';
import type { ApiKeyStore, CompanyRepository } from './company-repository';

export interface NewCompany {
  name: string;
  timezone?: string;
  defaultRegion?: string;
  pacing?: Partial<PacingSettings>;
  sendingWindows?: WeeklySchedule | null;
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

export interface CompanyServiceDeps {
  companies: CompanyRepository;
  apiKeys: ApiKeyStore;
}

/**
 * Owns a company's changes and its API keys: registered (with its first key), settings changed,
 * keys issued and revoked. Plain keys are returned once; only their hashes are stored.
 */
export class CompanyService {
  constructor(private readonly deps: CompanyServiceDeps) {}

  /**
   * Creates a company and its first API key (`POST /v1/companies`, `disparo company create`, the
   * demo): the plain key is returned once, to be shown to its owner.
   */
  async register(input: NewCompany, label = 'default'): Promise<{ company: CompanyDoc; apiKey: string }> {
    const company = await this.deps.companies.create({
      name: input.name,
      ...(input.timezone ? { timezone: input.timezone } : {}),
      ...(input.defaultRegion ? { defaultRegion: input.defaultRegion } : {}),
      pacing: { ...DEFAULT_PACING, ...input.pacing },
      sendingWindows: input.sendingWindows ?? null,
    });
    const { apiKey } = await this.newKey(String(company._id), label);
    return { company, apiKey };
  }

  /** Changes only the fields given; not-found for an unknown company. */
  async update(companyId: string, changes: CompanyChanges): Promise<CompanyDoc> {
    const { companies } = this.deps;
    if (!Types.ObjectId.isValid(companyId)) throw AppError.notFound('company');
    const pacing = Object.entries(changes.pacing ?? {}).map(([key, value]) => [`pacing.${key}`, value]);
    const current = changes.optOut || changes.autoPause ? await companies.findById(companyId) : null;
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
      Object.keys(set).length > 0 ? await companies.update(companyId, set) : await companies.findById(companyId);
    if (!updated) throw AppError.notFound('company');
    return updated;
  }

  /** Issues another key for an existing company: the stored record, and the plain key to show this once. */
  async issueKey(companyId: string, label: string): Promise<{ record: ApiKeyDoc; apiKey: string }> {
    if (!Types.ObjectId.isValid(companyId) || !(await this.deps.companies.exists(companyId)))
      throw AppError.notFound('company');
    return this.newKey(companyId, label);
  }

  /** Revokes one of the company's keys (by its public id); the hash it had, to forget it from caches. */
  async revokeKey(companyId: string, keyId: string): Promise<string> {
    const hash = await this.deps.apiKeys.hashOf(companyId, keyId);
    if (!hash) throw AppError.notFound('API key');
    await this.deps.apiKeys.remove(hash);
    return hash;
  }

  private async newKey(companyId: string, label: string): Promise<{ record: ApiKeyDoc; apiKey: string }> {
    const apiKey = newApiKey();
    const record = await this.deps.apiKeys.create({
      _id: hashApiKey(apiKey),
      companyId,
      label,
      preview: apiKey.slice(0, 8),
    });
    return { record, apiKey };
  }
}
