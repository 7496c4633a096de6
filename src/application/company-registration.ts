import { DEFAULT_PACING, type PacingSettings } from '../domain/pacing/pacing-settings';
import type { WeeklySchedule } from '../domain/pacing/sending-window';
import type { Models } from '../infrastructure/mongo/models';
import type { CompanyDoc } from '../infrastructure/mongo/models/company';
import { issueApiKey } from './api-keys';

export interface NewCompany {
  name: string;
  timezone?: string;
  defaultRegion?: string;
  pacing?: Partial<PacingSettings>;
  sendingWindows?: WeeklySchedule | null;
}

/**
 * Creates a company and its first API key. The plain key is returned once, to be shown to its
 * owner; only its hash is stored. Used by `POST /v1/companies`, `disparo company create` and the demo.
 */
export async function registerCompany(
  models: Pick<Models, 'Company' | 'ApiKey'>,
  input: NewCompany,
  label = 'default',
): Promise<{ company: CompanyDoc; apiKey: string }> {
  const company = await models.Company.create({
    name: input.name,
    ...(input.timezone ? { timezone: input.timezone } : {}),
    ...(input.defaultRegion ? { defaultRegion: input.defaultRegion } : {}),
    pacing: { ...DEFAULT_PACING, ...input.pacing },
    sendingWindows: input.sendingWindows ?? null,
  });
  const { apiKey } = await issueApiKey(models, String(company._id), label);
  return { company: company.toObject(), apiKey };
}
