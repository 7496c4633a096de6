import type { Connection } from 'mongoose';
import { createGatewayProvider, type GatewayProvider } from '../../src/infrastructure/gateways/gateway-provider';
import type { Models } from '../../src/infrastructure/mongo/models';
import type { BaselineQueues } from './queues';

/** What a campaign's PrepareContact jobs need of it (read once per worker: it does not change while it sends). */
export interface CampaignInfo {
  companyId: string;
  connectionId: string;
  variants: string[];
  mediaUrl: string | null;
}

/**
 * Everything the baseline's job handlers use. Documents have Disparo's shapes (same collections,
 * same sizes) in a database of the baseline's own; sends go through the same sandbox gateway.
 */
export interface BaselineContext {
  models: Models;
  queues: BaselineQueues;
  gateways: GatewayProvider;
  campaign(campaignId: string): Promise<CampaignInfo | null>;
}

export function createContext(models: Models, mongo: Connection, queues: BaselineQueues): BaselineContext {
  const campaigns = new Map<string, Promise<CampaignInfo | null>>();
  const load = async (campaignId: string): Promise<CampaignInfo | null> => {
    const doc = await models.Campaign.findById(campaignId, {
      companyId: 1,
      connectionId: 1,
      variants: 1,
      mediaUrl: 1,
    }).lean();
    if (!doc) return null;
    return {
      companyId: String(doc.companyId),
      connectionId: String(doc.connectionId),
      variants: doc.variants,
      mediaUrl: doc.mediaUrl,
    };
  };
  return {
    models,
    queues,
    gateways: createGatewayProvider(models, mongo),
    campaign(campaignId) {
      let found = campaigns.get(campaignId);
      if (!found) {
        found = load(campaignId);
        campaigns.set(campaignId, found);
      }
      return found;
    },
  };
}
