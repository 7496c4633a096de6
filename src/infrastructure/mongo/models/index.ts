import type { Connection, Model } from 'mongoose';
import { type ApiKeyDoc, ApiKeySchema } from './api-key';
import { type CampaignDoc, CampaignSchema } from './campaign';
import { type CompanyDoc, CompanySchema } from './company';
import { type ConnectionDoc, ConnectionSchema } from './connection';
import { type ContactDoc, ContactSchema } from './contact';
import { type ContactImportDoc, ContactImportSchema, type ContactSyncDoc, ContactSyncSchema } from './contact-jobs';
import { type ContactListDoc, ContactListSchema } from './contact-list';
import { type LaneDoc, LaneSchema } from './lane';
import { type RecipientCapDoc, RecipientCapSchema } from './recipient-cap';
import { type ShippingDoc, ShippingSchema } from './shipping';
import { type SuppressionDoc, SuppressionSchema } from './suppression';
import { type TemplateCatalogueDoc, TemplateCatalogueSchema } from './template-catalogue';

export interface Models {
  Company: Model<CompanyDoc>;
  ApiKey: Model<ApiKeyDoc>;
  Connection: Model<ConnectionDoc>;
  Contact: Model<ContactDoc>;
  ContactList: Model<ContactListDoc>;
  Campaign: Model<CampaignDoc>;
  Shipping: Model<ShippingDoc>;
  Lane: Model<LaneDoc>;
  ContactSync: Model<ContactSyncDoc>;
  ContactImport: Model<ContactImportDoc>;
  TemplateCatalogue: Model<TemplateCatalogueDoc>;
  Suppression: Model<SuppressionDoc>;
  RecipientCap: Model<RecipientCapDoc>;
}

const cache = new WeakMap<Connection, Models>();

/** The models bound to one connection (tests open one connection per database). */
export function modelsOf(connection: Connection): Models {
  let models = cache.get(connection);
  if (!models) {
    models = {
      Company: connection.model<CompanyDoc>('Company', CompanySchema),
      ApiKey: connection.model<ApiKeyDoc>('ApiKey', ApiKeySchema),
      Connection: connection.model<ConnectionDoc>('Connection', ConnectionSchema),
      Contact: connection.model<ContactDoc>('Contact', ContactSchema),
      ContactList: connection.model<ContactListDoc>('ContactList', ContactListSchema),
      Campaign: connection.model<CampaignDoc>('Campaign', CampaignSchema),
      Shipping: connection.model<ShippingDoc>('Shipping', ShippingSchema),
      Lane: connection.model<LaneDoc>('Lane', LaneSchema),
      ContactSync: connection.model<ContactSyncDoc>('ContactSync', ContactSyncSchema),
      ContactImport: connection.model<ContactImportDoc>('ContactImport', ContactImportSchema),
      TemplateCatalogue: connection.model<TemplateCatalogueDoc>('TemplateCatalogue', TemplateCatalogueSchema),
      Suppression: connection.model<SuppressionDoc>('Suppression', SuppressionSchema),
      RecipientCap: connection.model<RecipientCapDoc>('RecipientCap', RecipientCapSchema),
    };
    cache.set(connection, models);
  }
  return models;
}

/** Creates the indexes (unique ones are invariants, so this runs at every start). */
export async function ensureIndexes(models: Models): Promise<void> {
  await Promise.all(
    Object.values(models).map(async (model: Model<unknown>) => {
      try {
        await model.init();
      } catch {
        // Mongoose keeps the first init's promise, a rejected one too: build the indexes again
        // (a failure now is the caller's to see).
        await model.createIndexes();
      }
    }),
  );
}
