import type { Connection } from 'mongoose';
import type { PacingSettings } from '../../domain/pacing/pacing-settings';
import type { WhatsAppGateway } from '../../domain/whatsapp/gateway';
import type { Models } from '../mongo/models';
import { SandboxGateway } from './sandbox/sandbox-gateway';
import { sandboxStore } from './sandbox/sandbox-store';

export interface ConnectionGateway {
  gateway: WhatsAppGateway;
  companyId: string;
  /** The company's pacing: the floor for every campaign on this number. */
  companyPacing: PacingSettings;
}

export interface GatewayProvider {
  forConnection(connectionId: string): Promise<ConnectionGateway>;
}

export class UnknownConnectionError extends Error {
  override name = 'UnknownConnectionError';
}

/** Builds the gateway of each WhatsApp connection from its stored settings (re-read every few seconds). */
export function createGatewayProvider(models: Models, mongo: Connection, cacheMs = 5_000): GatewayProvider {
  const cache = new Map<string, { at: number; value: ConnectionGateway }>();
  return {
    async forConnection(connectionId) {
      const cached = cache.get(connectionId);
      if (cached && Date.now() - cached.at < cacheMs) return cached.value;
      const connection = await models.Connection.findById(connectionId).lean();
      if (!connection) throw new UnknownConnectionError(`connection ${connectionId} does not exist`);
      const company = await models.Company.findById(connection.companyId).lean();
      if (!company) throw new UnknownConnectionError(`company of connection ${connectionId} does not exist`);
      const gateway = new SandboxGateway(sandboxStore(mongo), connectionId, company.pacing, connection.sandbox);
      const value = { gateway, companyId: String(company._id), companyPacing: company.pacing };
      cache.set(connectionId, { at: Date.now(), value });
      return value;
    },
  };
}
