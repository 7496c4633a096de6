import { Schema, type Types } from 'mongoose';
import type { CatalogTemplate } from '../../../domain/whatsapp/templates';

/**
 * The message templates of one connection's business account, as last read from the provider:
 * one document per connection (read by `_id`), replaced whole at every refresh.
 */
export interface TemplateCatalogueDoc {
  /** The connection's id. */
  _id: Types.ObjectId;
  companyId: Types.ObjectId;
  templates: CatalogTemplate[];
  /** When the provider last answered; null until it has (the catalogue is then stale at once). */
  fetchedAt: Date | null;
  /** Why the last refresh failed (the previous templates are kept), or null. */
  lastError: string | null;
  lastErrorAt: Date | null;
}

export const TemplateCatalogueSchema = new Schema<TemplateCatalogueDoc>(
  {
    _id: { type: Schema.Types.ObjectId, required: true },
    companyId: { type: Schema.Types.ObjectId, required: true },
    // Stored as the provider described them (Mixed: Meta's component shapes vary).
    templates: { type: Schema.Types.Mixed, default: () => [] },
    fetchedAt: { type: Date, default: null },
    lastError: { type: String, default: null },
    lastErrorAt: { type: Date, default: null },
  },
  { collection: 'template_catalogues', versionKey: false },
);
