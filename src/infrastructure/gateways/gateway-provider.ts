import { LRUCache } from 'lru-cache';
import { type Connection, isValidObjectId } from 'mongoose';
import { effectiveThroughput } from '../../domain/connections/throughput';
import { capAt } from '../../domain/pacing/daily-cap';
import type { PacingSettings } from '../../domain/pacing/pacing-settings';
import { effectiveWindow, type WeeklySchedule } from '../../domain/pacing/sending-window';
import type { WhatsAppGateway } from '../../domain/whatsapp/gateway';
import type { Models } from '../mongo/models';
import type { CompanyDoc } from '../mongo/models/company';
import type { ConnectionDoc, ConnectionStatus } from '../mongo/models/connection';
import { CloudApiGateway, type CloudApiOptions } from './cloud-api/cloud-api-gateway';
import { SandboxGateway } from './sandbox/sandbox-gateway';
import { sandboxStore } from './sandbox/sandbox-store';
import { whatsappWebStore } from './whatsapp-web/web-store';
import { WhatsAppWebGateway, type WhatsAppWebOptions } from './whatsapp-web/whatsapp-web-gateway';

export interface ConnectionGateway {
  gateway: WhatsAppGateway;
  companyId: string;
  /** The company's pacing: the floor for every campaign on this number. */
  companyPacing: PacingSettings;
  /** The company's sending windows and the zone they are read in (the campaign may narrow them). */
  companyWindows: { timezone: string; sendingWindows: WeeklySchedule | null };
  /** The number's daily cap at `at` (warm-up included); null: none. Read at every call. */
  capAt(at: number): number | null;
  /** The company's daily cap at `at`, over all its numbers (warm-up from the company's creation); null: none. */
  companyCapAt(at: number): number | null;
  /** `halted`: the provider stopped this number; nothing is sent until an operator reconnects it. */
  status: ConnectionStatus;
  /** Messages per second the number's provider accepts (Cloud API 80 by default); null: none, the pacing alone. */
  throughputPerSec: number | null;
}

export interface GatewayProvider {
  /**
   * The number's gateway and settings. `companyId`, when the caller knows the number's company (a
   * message of the company's campaign says it), lets the company be read at once with the number
   * rather than after it; a number of another company is read as if it were not given.
   */
  forConnection(connectionId: string, companyId?: string): Promise<ConnectionGateway>;
}

export class UnknownConnectionError extends Error {
  override name = 'UnknownConnectionError';
}

export const DEFAULT_CLOUD_API_OPTIONS: CloudApiOptions = {
  timeoutMs: 15_000,
  laneCoolDownMs: 60_000,
  contactRetryMs: 60_000,
};

/**
 * Builds the gateway of each WhatsApp connection from its stored settings. The connection is read
 * at every call (one small lookup by id) so a halt, a new token or a switch of gateway applies to
 * the very next send; the company's pacing is re-read every `cacheMs`.
 */
export function createGatewayProvider(
  models: Models,
  mongo: Connection,
  cacheMs = 5_000,
  cloudApi: CloudApiOptions = DEFAULT_CLOUD_API_OPTIONS,
  /** The WhatsApp Web sockets this process holds (dispatch workers); without it, sends are retried elsewhere. */
  whatsappWeb: WhatsAppWebOptions | null = null,
): GatewayProvider {
  const build = (connection: ConnectionDoc, company: CompanyDoc): WhatsAppGateway => {
    if (connection.gateway === 'cloud-api') {
      if (!connection.cloudApi)
        throw new UnknownConnectionError(
          `connection ${String(connection._id)} is cloud-api but has no cloudApi settings`,
        );
      return new CloudApiGateway(connection.cloudApi, cloudApi);
    }
    if (connection.gateway === 'whatsapp-web')
      return new WhatsAppWebGateway(whatsappWebStore(mongo), String(connection._id), whatsappWeb);
    const window = effectiveWindow(company.timezone, company.sendingWindows);
    const behaviour = {
      ...connection.sandbox,
      throughputPerSec: effectiveThroughput('sandbox', connection.throughputPerSec),
    };
    return new SandboxGateway(sandboxStore(mongo), String(connection._id), company.pacing, behaviour, window, {
      number: capOf(connection),
      company: { companyId: String(company._id), capAt: companyCapOf(company) },
    });
  };
  // Entries leave once stale (they would be rebuilt anyway): a dispatch worker serving thousands of
  // lanes kept one gateway, connection and company copy per lane it ever served (docs/benchmarks.md, "Lanes").
  const cache = new LRUCache<string, { at: number; fingerprint: string; value: ConnectionGateway }>({
    ttl: Math.max(1, cacheMs),
    ttlAutopurge: true,
  });
  return {
    async forConnection(connectionId, companyId) {
      const cached = cache.get(connectionId);
      const stale = !cached || Date.now() - cached.at >= cacheMs;
      const [connection, hinted] = await Promise.all([
        models.Connection.findById(connectionId).lean() as Promise<ConnectionDoc | null>,
        // Not cached: the company is read beside the number (a first send waits for both).
        stale && companyId && isValidObjectId(companyId) ? models.Company.findById(companyId).lean() : null,
      ]);
      if (!connection) throw new UnknownConnectionError(`connection ${connectionId} does not exist`);
      const status = connection.status ?? 'connected';
      const fingerprint = JSON.stringify([
        connection.gateway,
        connection.sandbox,
        connection.cloudApi,
        connection.dailyCap,
        connection.throughputPerSec,
      ]);
      if (cached && !stale && cached.fingerprint === fingerprint)
        return { ...cached.value, status, capAt: capOf(connection) };
      const company =
        hinted && String(hinted._id) === String(connection.companyId)
          ? hinted
          : await models.Company.findById(connection.companyId).lean();
      if (!company) throw new UnknownConnectionError(`company of connection ${connectionId} does not exist`);
      const value = {
        gateway: build(connection, company as CompanyDoc),
        companyId: String(company._id),
        companyPacing: company.pacing,
        companyWindows: { timezone: company.timezone, sendingWindows: company.sendingWindows ?? null },
        capAt: capOf(connection),
        companyCapAt: companyCapOf(company as CompanyDoc),
        status,
        throughputPerSec: effectiveThroughput(connection.gateway, connection.throughputPerSec),
      };
      cache.set(connectionId, { at: Date.now(), fingerprint, value });
      return value;
    },
  };
}

function capOf(connection: ConnectionDoc): (at: number) => number | null {
  const settings = connection.dailyCap;
  return (at) => (settings ? capAt(settings, connection.createdAt.getTime(), at) : null);
}

function companyCapOf(company: CompanyDoc): (at: number) => number | null {
  const settings = company.dailyCap;
  return (at) => (settings ? capAt(settings, company.createdAt.getTime(), at) : null);
}
