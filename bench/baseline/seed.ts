import { Types } from 'mongoose';
import type { PacingSettings } from '../../src/domain/pacing/pacing-settings';
import type { Models } from '../../src/infrastructure/mongo/models';
import { seedContacts } from '../support/disparo-prepare';

export interface BaselineCompany {
  companyId: string;
  connectionIds: string[];
  listId: string;
}

/**
 * A company of the baseline (its documents written with the driver: the seed's API is not part of
 * the comparison), its sandbox connections and `contacts` contacts in one list.
 */
export async function seedBaselineCompany(
  models: Models,
  options: { pacing: PacingSettings; connections: number; contacts: number; sandboxLatencyMs: number },
): Promise<BaselineCompany & { seedPerSec: number }> {
  const company = await models.Company.create({ name: 'Loja Baseline', pacing: options.pacing });
  const connectionIds: string[] = [];
  for (let i = 0; i < options.connections; i++) {
    const connection = await models.Connection.create({
      companyId: company._id,
      name: `Número ${i + 1}`,
      sandbox: { latencyMs: options.sandboxLatencyMs, failureRate: 0 },
    });
    connectionIds.push(String(connection._id));
  }
  const listId = String(new Types.ObjectId());
  const seedPerSec =
    options.contacts > 0 ? await seedContacts(models, String(company._id), listId, options.contacts) : 0;
  return { companyId: String(company._id), connectionIds, listId, seedPerSec };
}

/** A campaign to the company's list on one connection: scheduled when `scheduledAt` is given, else a draft. */
export async function createBaselineCampaign(
  models: Models,
  company: BaselineCompany,
  options: { connectionId: string; variants: string[]; scheduledAt?: Date },
): Promise<string> {
  const campaign = await models.Campaign.create({
    companyId: company.companyId,
    name: 'Promoção',
    connectionId: options.connectionId,
    listId: company.listId,
    variants: options.variants,
    scheduledAt: options.scheduledAt ?? null,
    status: options.scheduledAt ? 'scheduled' : 'draft',
  });
  return String(campaign._id);
}
