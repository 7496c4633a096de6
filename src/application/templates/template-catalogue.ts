import { GatewayError } from '../../domain/whatsapp/gateway';
import type { CatalogTemplate } from '../../domain/whatsapp/templates';
import type { GatewayProvider } from '../../infrastructure/gateways/gateway-provider';
import type { Models } from '../../infrastructure/mongo/models';
import { MongoTemplateCatalogues, MongoTemplateNumbers } from '../../infrastructure/mongo/template-catalogue-store';
import type { Logger } from '../../infrastructure/observability/logger';
import type {
  StoredCatalogue,
  TemplateCatalogueRepository,
  TemplateNumbers,
  TemplateSource,
} from './template-catalogue-repository';

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

export interface TemplateCatalogueServiceDeps {
  catalogues: TemplateCatalogueRepository;
  /** Where templates are read from; absent in a process that only marks catalogues stale. */
  source?: TemplateSource;
  /** The numbers the periodic refresh goes through; absent where it does not run. */
  numbers?: TemplateNumbers;
  logger: Logger;
  now(): number;
  /** A catalogue older than this is read again from the provider before it is used. */
  maxAgeMs: number;
}

/**
 * Owns the numbers' template catalogues: read from the provider and stored (replacing the previous
 * templates), a failed read recorded next to the templates read before, marked stale when the
 * provider refused a template, refreshed periodically when old.
 */
export class TemplateCatalogueService {
  constructor(private readonly deps: TemplateCatalogueServiceDeps) {}

  /** Reads the connection's templates from its provider and stores them, replacing the previous ones. */
  async refresh(connectionId: string): Promise<TemplateCatalogue> {
    if (!this.deps.source) throw new Error('this template catalogue service cannot read from a provider');
    const { gateway, companyId } = await this.deps.source.forConnection(connectionId);
    let templates: CatalogTemplate[];
    try {
      if (!gateway.listTemplates)
        throw new GatewayError('permanent', `${gateway.kind} has no templates`, 'UNSUPPORTED');
      templates = await gateway.listTemplates();
    } catch (error) {
      const code = error instanceof GatewayError ? error.code : null;
      const message = (error as Error).message ?? String(error);
      const recorded = `${code ? `${code}: ` : ''}${message}`.slice(0, 500);
      await this.deps.catalogues.storeFailure(connectionId, companyId, recorded, new Date(this.deps.now()));
      throw new TemplatesUnavailableError(`the connection's templates could not be read: ${message}`, code);
    }
    const fetchedAt = new Date(this.deps.now());
    await this.deps.catalogues.storeRead(connectionId, companyId, templates, fetchedAt);
    this.deps.logger.info('message templates refreshed', { connectionId, companyId, templates: templates.length });
    return { connectionId, templates, fetchedAt, lastError: null, justRead: true };
  }

  /**
   * The connection's catalogue: the stored one while fresh, else read again from the provider. When
   * the provider cannot be reached the stored one (however old) is used; with none stored, it throws.
   */
  async current(connectionId: string): Promise<TemplateCatalogue> {
    const stored = await this.deps.catalogues.find(connectionId);
    const fresh = stored?.fetchedAt && this.deps.now() - stored.fetchedAt.getTime() < this.deps.maxAgeMs;
    if (stored && fresh) return catalogueOf(stored);
    try {
      return await this.refresh(connectionId);
    } catch (error) {
      if (!(error instanceof TemplatesUnavailableError) || !stored?.fetchedAt) throw error;
      this.deps.logger.warn('message templates could not be refreshed; using the stored ones', {
        connectionId,
        fetchedAt: stored.fetchedAt.toISOString(),
        error: error.message,
      });
      return { ...catalogueOf(stored), lastError: error.message };
    }
  }

  /** The provider said a template changed (paused, disabled, deleted): the next use reads the catalogue again. */
  markStale(connectionId: string): Promise<void> {
    return this.deps.catalogues.markStale(connectionId);
  }

  /**
   * The scheduler's periodic refresh: every number that can have templates whose catalogue is older
   * than the maximum age. One failure is logged and the others go on.
   */
  async refreshStale(): Promise<{ refreshed: number; failed: number }> {
    if (!this.deps.numbers) throw new Error('this template catalogue service has no numbers to refresh');
    const candidates = await this.deps.numbers.withTemplates();
    if (candidates.length === 0) return { refreshed: 0, failed: 0 };
    const fetchedAt = await this.deps.catalogues.fetchedAtOf(candidates);
    let refreshed = 0;
    let failed = 0;
    for (const connectionId of candidates) {
      if (this.deps.now() - (fetchedAt.get(connectionId)?.getTime() ?? 0) < this.deps.maxAgeMs) continue;
      try {
        await this.refresh(connectionId);
        refreshed++;
      } catch (error) {
        failed++;
        this.deps.logger.warn('message templates could not be refreshed', {
          connectionId,
          error: (error as Error).message,
        });
      }
    }
    return { refreshed, failed };
  }
}

function catalogueOf(stored: StoredCatalogue): TemplateCatalogue {
  const { connectionId, templates, fetchedAt, lastError } = stored;
  return { connectionId, templates, fetchedAt, lastError };
}

/** The catalogue service on this process's MongoDB and gateways. */
export function templateCataloguesOf(deps: TemplateDeps): TemplateCatalogueService {
  return new TemplateCatalogueService({
    catalogues: new MongoTemplateCatalogues(deps.models),
    source: deps.gateways,
    numbers: new MongoTemplateNumbers(deps.models),
    logger: deps.logger,
    now: () => deps.now(),
    maxAgeMs: deps.templateMaxAgeMs,
  });
}

/** Reads the connection's templates from its provider and stores them (TemplateCatalogueService.refresh). */
export function refreshTemplates(deps: TemplateDeps, connectionId: string): Promise<TemplateCatalogue> {
  return templateCataloguesOf(deps).refresh(connectionId);
}

/** The connection's catalogue, read again when old (TemplateCatalogueService.current). */
export function templateCatalogue(deps: TemplateDeps, connectionId: string): Promise<TemplateCatalogue> {
  return templateCataloguesOf(deps).current(connectionId);
}

/** The next use of the connection's catalogue reads it again (TemplateCatalogueService.markStale). */
export function markTemplatesStale(
  deps: Pick<TemplateDeps, 'models' | 'logger' | 'now'>,
  connectionId: string,
): Promise<void> {
  const catalogues = new TemplateCatalogueService({
    catalogues: new MongoTemplateCatalogues(deps.models),
    logger: deps.logger,
    now: () => deps.now(),
    maxAgeMs: 0,
  });
  return catalogues.markStale(connectionId);
}

/** The scheduler's periodic refresh (TemplateCatalogueService.refreshStale). */
export function refreshStaleCatalogues(deps: TemplateDeps): Promise<{ refreshed: number; failed: number }> {
  return templateCataloguesOf(deps).refreshStale();
}
