import { Types } from 'mongoose';
import { GatewayError } from '../domain/whatsapp/gateway';
import type { CatalogTemplate } from '../domain/whatsapp/templates';
import type { GatewayProvider } from '../infrastructure/gateways/gateway-provider';
import type { Models } from '../infrastructure/mongo/models';
import type { Logger } from '../infrastructure/observability/logger';

/** What reading a connection's template catalogue needs. */
export interface TemplateDeps {
  models: Models;
  gateways: GatewayProvider;
  logger: Logger;
  now(): number;
  /** A catalogue older than this is read again from the provider before it is used. */
  templateMaxAgeMs: number;
}

export interface TemplateCatalogue {
  connectionId: string;
  templates: CatalogTemplate[];
  fetchedAt: Date | null;
  /** Why the last refresh failed (the templates shown are the ones read before), or null. */
  lastError: string | null;
  /** Read from the provider by this very call (not from the database). */
  justRead?: boolean;
}

/**
 * The provider could not be asked (no business account id, provider down, token refused) and no
 * earlier catalogue is stored. `code` is the gateway's (NO_WABA_ID, 190, TIMEOUT, …).
 */
export class TemplatesUnavailableError extends Error {
  override name = 'TemplatesUnavailableError';
  constructor(
    message: string,
    readonly code: string | null,
    /** On a campaign with several numbers, which one (`connectionIds.1`); absent: the campaign's one number. */
    readonly field?: string,
  ) {
    super(message);
  }
}

/** Reads the connection's templates from its provider and stores them, replacing the previous ones. */
export async function refreshTemplates(deps: TemplateDeps, connectionId: string): Promise<TemplateCatalogue> {
  const { TemplateCatalogue } = deps.models;
  const { gateway, companyId } = await deps.gateways.forConnection(connectionId);
  const _id = new Types.ObjectId(connectionId);
  let templates: CatalogTemplate[];
  try {
    if (!gateway.listTemplates) throw new GatewayError('permanent', `${gateway.kind} has no templates`, 'UNSUPPORTED');
    templates = await gateway.listTemplates();
  } catch (error) {
    const code = error instanceof GatewayError ? error.code : null;
    const message = (error as Error).message ?? String(error);
    await TemplateCatalogue.updateOne(
      { _id },
      {
        $set: { lastError: `${code ? `${code}: ` : ''}${message}`.slice(0, 500), lastErrorAt: new Date(deps.now()) },
        $setOnInsert: { companyId: new Types.ObjectId(companyId), templates: [], fetchedAt: null },
      },
      { upsert: true },
    );
    throw new TemplatesUnavailableError(`the connection's templates could not be read: ${message}`, code);
  }
  const fetchedAt = new Date(deps.now());
  await TemplateCatalogue.updateOne(
    { _id },
    {
      $set: {
        companyId: new Types.ObjectId(companyId),
        templates,
        fetchedAt,
        lastError: null,
        lastErrorAt: null,
      },
    },
    { upsert: true },
  );
  deps.logger.info('message templates refreshed', { connectionId, companyId, templates: templates.length });
  return { connectionId, templates, fetchedAt, lastError: null, justRead: true };
}

/**
 * The connection's catalogue: the stored one while fresh, else read again from the provider. When
 * the provider cannot be reached the stored one (however old) is used; with none stored, it throws.
 */
export async function templateCatalogue(deps: TemplateDeps, connectionId: string): Promise<TemplateCatalogue> {
  const stored = await deps.models.TemplateCatalogue.findById(connectionId).lean();
  const fresh = stored?.fetchedAt && deps.now() - stored.fetchedAt.getTime() < deps.templateMaxAgeMs;
  if (stored && fresh) return catalogueOf(connectionId, stored);
  try {
    return await refreshTemplates(deps, connectionId);
  } catch (error) {
    if (!(error instanceof TemplatesUnavailableError) || !stored?.fetchedAt) throw error;
    deps.logger.warn('message templates could not be refreshed; using the stored ones', {
      connectionId,
      fetchedAt: stored.fetchedAt.toISOString(),
      error: error.message,
    });
    return { ...catalogueOf(connectionId, stored), lastError: error.message };
  }
}

function catalogueOf(
  connectionId: string,
  stored: { templates: CatalogTemplate[]; fetchedAt: Date | null; lastError: string | null },
): TemplateCatalogue {
  return { connectionId, templates: stored.templates, fetchedAt: stored.fetchedAt, lastError: stored.lastError };
}

/** The provider said a template changed (paused, disabled, deleted): the next use reads the catalogue again. */
export async function markTemplatesStale(deps: Pick<TemplateDeps, 'models'>, connectionId: string): Promise<void> {
  await deps.models.TemplateCatalogue.updateOne({ _id: connectionId }, { $set: { fetchedAt: new Date(0) } });
}

/**
 * The scheduler's periodic refresh: every connected number whose catalogue is older than the
 * maximum age (a Cloud API number only once it has a business account id). One failure is logged
 * and the others go on.
 */
export async function refreshStaleCatalogues(deps: TemplateDeps): Promise<{ refreshed: number; failed: number }> {
  const connections = await deps.models.Connection.find(
    { status: 'connected' },
    { _id: 1, gateway: 1, cloudApi: 1 },
  ).lean();
  const candidates = connections.filter(
    (connection) => connection.gateway !== 'cloud-api' || connection.cloudApi?.wabaId,
  );
  if (candidates.length === 0) return { refreshed: 0, failed: 0 };
  const stored = await deps.models.TemplateCatalogue.find(
    { _id: { $in: candidates.map((connection) => connection._id) } },
    { fetchedAt: 1 },
  ).lean();
  const fetchedAt = new Map(stored.map((catalogue) => [String(catalogue._id), catalogue.fetchedAt?.getTime() ?? 0]));
  let refreshed = 0;
  let failed = 0;
  for (const connection of candidates) {
    const id = String(connection._id);
    if (deps.now() - (fetchedAt.get(id) ?? 0) < deps.templateMaxAgeMs) continue;
    try {
      await refreshTemplates(deps, id);
      refreshed++;
    } catch (error) {
      failed++;
      deps.logger.warn('message templates could not be refreshed', {
        connectionId: id,
        error: (error as Error).message,
      });
    }
  }
  return { refreshed, failed };
}
