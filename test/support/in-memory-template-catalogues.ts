import type {
  StoredCatalogue,
  TemplateCatalogueRepository,
  TemplateNumbers,
  TemplateSource,
} from '../../src/application/templates/template-catalogue-repository';
import type { GatewayError } from '../../src/domain/whatsapp/gateway';
import type { CatalogTemplate } from '../../src/domain/whatsapp/templates';

type Stored = StoredCatalogue & { companyId: string; lastErrorAt: Date | null };

/** Template catalogues in a Map, as the MongoDB adapter stores them (copies in and out). */
export class InMemoryTemplateCatalogues implements TemplateCatalogueRepository {
  readonly byId = new Map<string, Stored>();

  async find(connectionId: string): Promise<StoredCatalogue | null> {
    const found = this.byId.get(connectionId);
    if (!found) return null;
    const { templates, fetchedAt, lastError } = found;
    return { connectionId, templates: structuredClone(templates), fetchedAt, lastError };
  }

  async storeRead(connectionId: string, companyId: string, templates: CatalogTemplate[], fetchedAt: Date) {
    this.byId.set(connectionId, {
      connectionId,
      companyId,
      templates: structuredClone(templates),
      fetchedAt,
      lastError: null,
      lastErrorAt: null,
    });
  }

  async storeFailure(connectionId: string, companyId: string, error: string, at: Date) {
    const found = this.byId.get(connectionId);
    if (found) Object.assign(found, { lastError: error, lastErrorAt: at });
    else
      this.byId.set(connectionId, {
        connectionId,
        companyId,
        templates: [],
        fetchedAt: null,
        lastError: error,
        lastErrorAt: at,
      });
  }

  async markStale(connectionId: string) {
    const found = this.byId.get(connectionId);
    if (found) found.fetchedAt = new Date(0);
  }

  async fetchedAtOf(connectionIds: string[]): Promise<Map<string, Date | null>> {
    const read = new Map<string, Date | null>();
    for (const id of connectionIds) {
      const found = this.byId.get(id);
      if (found) read.set(id, found.fetchedAt);
    }
    return read;
  }
}

/** The numbers that can have templates: a list the test sets. */
export class FixedTemplateNumbers implements TemplateNumbers {
  constructor(readonly ids: string[] = []) {}
  async withTemplates(): Promise<string[]> {
    return [...this.ids];
  }
}

/**
 * The provider edge: each number's business account catalogue, which a test changes or takes down
 * (`failWith`: the next reads throw that GatewayError). Counts the reads.
 */
export class FakeTemplateProviders implements TemplateSource {
  readonly catalogues = new Map<string, CatalogTemplate[]>();
  readonly reads = new Map<string, number>();
  failWith: GatewayError | null = null;

  constructor(readonly companyId: string) {}

  async forConnection(connectionId: string) {
    const catalogue = this.catalogues.get(connectionId);
    return {
      companyId: this.companyId,
      gateway: {
        kind: catalogue ? 'cloud-api' : 'whatsapp-web',
        ...(catalogue
          ? {
              listTemplates: async () => {
                this.reads.set(connectionId, (this.reads.get(connectionId) ?? 0) + 1);
                if (this.failWith) throw this.failWith;
                return structuredClone(catalogue);
              },
            }
          : {}),
      },
    };
  }
}
