import type { CatalogTemplate } from '../../domain/whatsapp/templates';

/** A number's catalogue as stored: the templates last read from its provider. */
export interface StoredCatalogue {
  connectionId: string;
  templates: CatalogTemplate[];
  /** When the provider last answered; null until it has (the catalogue is then stale at once). */
  fetchedAt: Date | null;
  /** Why the last refresh failed (the templates are the ones read before), or null. */
  lastError: string | null;
}

/** The numbers' template catalogues, one per connection, as the catalogue service needs them. */
export interface TemplateCatalogueRepository {
  find(connectionId: string): Promise<StoredCatalogue | null>;
  /** A successful read: replaces the templates and clears the last error. */
  storeRead(connectionId: string, companyId: string, templates: CatalogTemplate[], fetchedAt: Date): Promise<void>;
  /** A failed read: keeps the templates (none when there were none) and records why. */
  storeFailure(connectionId: string, companyId: string, error: string, at: Date): Promise<void>;
  /** Makes the catalogue stale: its next use reads it again. */
  markStale(connectionId: string): Promise<void>;
  /** When each of these catalogues was last read (absent: never). */
  fetchedAtOf(connectionIds: string[]): Promise<Map<string, Date | null>>;
}

/** The numbers whose catalogues the periodic refresh keeps fresh. */
export interface TemplateNumbers {
  /** Connected numbers that can have templates (a Cloud API number only once it has a business account id). */
  withTemplates(): Promise<string[]>;
}

/** Where a number's templates are read from: its gateway (the gateway provider fits). */
export interface TemplateSource {
  forConnection(connectionId: string): Promise<{
    gateway: { readonly kind: string; listTemplates?(): Promise<CatalogTemplate[]> };
    companyId: string;
  }>;
}
