import type { Page } from '../application/queries/paging';
import { connectionIdsOf } from '../application/queries/read-models';
import type { TemplateCatalogue } from '../application/templates/template-catalogue';
import { DEFAULT_AUTO_PAUSE } from '../domain/campaigns/failure-threshold';
import { effectiveThroughput } from '../domain/connections/throughput';
import type { PacingSettings } from '../domain/pacing/pacing-settings';
import { DEFAULT_OPT_OUT } from '../domain/suppression/opt-out-keywords';
import { templateShape } from '../domain/whatsapp/templates';
import type { EventRecord } from '../infrastructure/mongo/event-log';
import type { ApiKeyDoc } from '../infrastructure/mongo/models/api-key';
import type { CampaignDoc } from '../infrastructure/mongo/models/campaign';
import type { CompanyDoc } from '../infrastructure/mongo/models/company';
import type { ConnectionDoc } from '../infrastructure/mongo/models/connection';
import type { ContactDoc } from '../infrastructure/mongo/models/contact';
import type { ContactListDoc } from '../infrastructure/mongo/models/contact-list';
import type { ShippingDoc } from '../infrastructure/mongo/models/shipping';
import type { SuppressionDoc } from '../infrastructure/mongo/models/suppression';

/** Resources as the API shows them: string ids, seconds for intervals, no internal fields. */
export function pacingView(pacing: Partial<PacingSettings>) {
  return {
    messageInterval:
      pacing.messageIntervalMs === undefined
        ? undefined
        : pacing.messageIntervalMaxMs
          ? { min: pacing.messageIntervalMs / 1000, max: pacing.messageIntervalMaxMs / 1000 }
          : pacing.messageIntervalMs / 1000,
    longerIntervalAfter: pacing.longerIntervalAfter,
    greaterInterval: pacing.greaterIntervalMs === undefined ? undefined : pacing.greaterIntervalMs / 1000,
  };
}

export function companyView(company: CompanyDoc) {
  return {
    id: String(company._id),
    name: company.name,
    timezone: company.timezone,
    defaultRegion: company.defaultRegion,
    pacing: pacingView(company.pacing),
    sendingWindows: company.sendingWindows ?? null,
    dailyCap: company.dailyCap ?? null,
    optOut: company.optOut ?? DEFAULT_OPT_OUT,
    autoPause: company.autoPause ?? DEFAULT_AUTO_PAUSE,
    createdAt: company.createdAt,
  };
}

/** The last characters of a secret, enough to tell which one is stored. */
function secretHint(secret: string | null | undefined): string | null {
  return secret ? `…${secret.slice(-4)}` : null;
}

/** Never shows the access token, app secret or verify token: only their last four characters. */
export function connectionView(connection: ConnectionDoc) {
  const id = String(connection._id);
  const cloud = connection.cloudApi;
  return {
    id,
    name: connection.name,
    gateway: connection.gateway,
    status: connection.status,
    haltedReason: connection.haltedReason ?? null,
    haltedAt: connection.haltedAt ?? null,
    sandbox: connection.sandbox,
    dailyCap: connection.dailyCap ?? null,
    throughputPerSec: effectiveThroughput(connection.gateway, connection.throughputPerSec),
    cloudApi: cloud
      ? {
          phoneNumberId: cloud.phoneNumberId,
          wabaId: cloud.wabaId ?? null,
          apiVersion: cloud.apiVersion,
          baseUrl: cloud.baseUrl,
          accessToken: secretHint(cloud.accessToken),
          appSecret: secretHint(cloud.appSecret),
          verifyToken: secretHint(cloud.verifyToken),
          webhookPath: `/webhooks/whatsapp/${id}`,
        }
      : null,
    createdAt: connection.createdAt,
  };
}

export function campaignView(campaign: CampaignDoc) {
  return {
    id: String(campaign._id),
    name: campaign.name,
    status: campaign.status,
    pausedReason: campaign.pausedReason ?? null,
    connectionId: String(campaign.connectionId),
    connectionIds: connectionIdsOf(campaign),
    listId: String(campaign.listId),
    variants: campaign.variants,
    template: campaign.template
      ? {
          name: campaign.template.name,
          language: campaign.template.language,
          category: campaign.template.category,
          components: campaign.template.components,
          headerMediaUrl: campaign.template.headerMediaUrl ?? null,
          fallbacks: campaign.template.fallbacks ?? null,
        }
      : null,
    mediaUrl: campaign.mediaUrl,
    pacing: campaign.pacing ? pacingView(campaign.pacing) : null,
    sendingWindows: campaign.sendingWindows ?? null,
    scheduledAt: campaign.scheduledAt,
    counters: campaign.counters,
    autoPaused: campaign.autoPaused ?? null,
    createdAt: campaign.createdAt,
    startedAt: campaign.startedAt,
    completedAt: campaign.completedAt,
  };
}

export function shippingView(shipping: ShippingDoc) {
  return {
    id: String(shipping._id),
    contactId: String(shipping.contactId),
    phone: shipping.phone,
    text: shipping.text,
    template: shipping.template ? { ...shipping.template, components: shipping.template.components ?? [] } : null,
    status: shipping.status,
    plannedAt: shipping.plannedAt,
    sentAt: shipping.sentAt,
    attempts: shipping.attempts,
    lastError: shipping.lastError,
    providerMessageId: shipping.providerMessageId,
    deliveryStatus: shipping.deliveryStatus ?? null,
    deliveredAt: shipping.deliveredAt ?? null,
    readAt: shipping.readAt ?? null,
    failedReason: shipping.failedReason ?? null,
  };
}

export function eventView(record: EventRecord) {
  return {
    eventId: record._id,
    type: record.type,
    occurredAt: record.occurredAt,
    correlationId: record.correlationId,
    causationId: record.causationId,
    campaignId: record.campaignId ?? null,
    contactId: record.contactId ?? null,
    replayed: record.replayed,
    payload: record.payload,
  };
}

/** A key as listed: its public id, label and first characters; never the key or its hash. */
export function apiKeyView(key: ApiKeyDoc) {
  return { id: key.keyId, label: key.label, preview: key.preview, createdAt: key.createdAt };
}

export function contactView(contact: ContactDoc) {
  return {
    id: String(contact._id),
    phone: contact.phone,
    name: contact.name ?? null,
    fields: contact.fields ?? {},
    listIds: (contact.listIds ?? []).map(String),
    valid: contact.valid,
    onWhatsApp: contact.onWhatsApp ?? null,
    updatedAt: contact.updatedAt,
  };
}

export function listView(list: ContactListDoc) {
  return { id: String(list._id), name: list.name, createdAt: list.createdAt };
}

/** A page of stored records as a page of their views. */
export function pageView<T, V>(page: Page<T>, view: (doc: T) => V): { items: V[]; nextCursor: string | null } {
  return { items: page.items.map(view), nextCursor: page.nextCursor };
}

/** A connection's templates, each with the slots a campaign must fill. */
export function templateCatalogueView(catalogue: TemplateCatalogue) {
  return {
    connectionId: catalogue.connectionId,
    fetchedAt: catalogue.fetchedAt && catalogue.fetchedAt.getTime() > 0 ? catalogue.fetchedAt : null,
    lastError: catalogue.lastError,
    items: catalogue.templates.map((template) => {
      const shape = templateShape(template);
      return {
        ...template,
        slots: shape.slots.map((slot) => `${slot.section}.${slot.key}`),
        headerMedia: shape.headerMedia,
      };
    }),
  };
}

export function suppressionView(entry: SuppressionDoc) {
  return {
    phone: entry.phone,
    source: entry.source,
    keyword: entry.keyword ?? null,
    connectionId: entry.connectionId ? String(entry.connectionId) : null,
    suppressedAt: entry.suppressedAt,
  };
}
