import { Types } from 'mongoose';
import type {
  StoredCatalogue,
  TemplateCatalogueRepository,
  TemplateNumbers,
} from '../../application/templates/template-catalogue-repository';
import type { CatalogTemplate } from '../../domain/whatsapp/templates';
import type { Models } from './models';

/** Template catalogues in MongoDB (`template_catalogues`, one document per connection, by `_id`). */
export class MongoTemplateCatalogues implements TemplateCatalogueRepository {
  constructor(private readonly models: Pick<Models, 'TemplateCatalogue'>) {}

  async find(connectionId: string): Promise<StoredCatalogue | null> {
    const stored = await this.models.TemplateCatalogue.findById(connectionId).lean();
    if (!stored) return null;
    return { connectionId, templates: stored.templates, fetchedAt: stored.fetchedAt, lastError: stored.lastError };
  }

  async storeRead(connectionId: string, companyId: string, templates: CatalogTemplate[], fetchedAt: Date) {
    await this.models.TemplateCatalogue.updateOne(
      { _id: new Types.ObjectId(connectionId) },
      { $set: { companyId: new Types.ObjectId(companyId), templates, fetchedAt, lastError: null, lastErrorAt: null } },
      { upsert: true },
    );
  }

  async storeFailure(connectionId: string, companyId: string, error: string, at: Date) {
    await this.models.TemplateCatalogue.updateOne(
      { _id: new Types.ObjectId(connectionId) },
      {
        $set: { lastError: error, lastErrorAt: at },
        $setOnInsert: { companyId: new Types.ObjectId(companyId), templates: [], fetchedAt: null },
      },
      { upsert: true },
    );
  }

  async markStale(connectionId: string) {
    await this.models.TemplateCatalogue.updateOne({ _id: connectionId }, { $set: { fetchedAt: new Date(0) } });
  }

  async fetchedAtOf(connectionIds: string[]): Promise<Map<string, Date | null>> {
    const stored = await this.models.TemplateCatalogue.find(
      { _id: { $in: connectionIds.map((id) => new Types.ObjectId(id)) } },
      { fetchedAt: 1 },
    ).lean();
    return new Map(stored.map((catalogue) => [String(catalogue._id), catalogue.fetchedAt ?? null]));
  }
}

/** Connected numbers that can have templates, from the connections in MongoDB. */
export class MongoTemplateNumbers implements TemplateNumbers {
  constructor(private readonly models: Pick<Models, 'Connection'>) {}

  async withTemplates(): Promise<string[]> {
    const connections = await this.models.Connection.find(
      { status: 'connected' },
      { _id: 1, gateway: 1, cloudApi: 1 },
    ).lean();
    return connections
      .filter((connection) => connection.gateway !== 'cloud-api' || connection.cloudApi?.wabaId)
      .map((connection) => String(connection._id));
  }
}
