import type { Page } from '../application/queries/paging';
import type { PacingSettings } from '../domain/pacing/pacing-settings';
import type { EventRecord } from '../infrastructure/mongo/event-log';
import type { ApiKeyDoc } from '../infrastructure/mongo/models/api-key';
import type { CampaignDoc } from '../infrastructure/mongo/models/campaign';
import type { CompanyDoc } from '../infrastructure/mongo/models/company';
import type { ConnectionDoc } from '../infrastructure/mongo/models/connection';
import type { ContactDoc } from '../infrastructure/mongo/models/contact';
import type { ContactListDoc } from '../infrastructure/mongo/models/contact-list';
import type { ShippingDoc } from '../infrastructure/mongo/models/shipping';

/** Resources as the API shows them: string ids, seconds for intervals, no internal fields. */
export function pacingView(pacing: Partial<PacingSettings>) {
  return {
    messageInterval: pacing.messageIntervalMs === undefined ? undefined : pacing.messageIntervalMs / 1000,
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
    cloudApi: cloud
      ? {
          phoneNumberId: cloud.phoneNumberId,
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
    connectionId: String(campaign.connectionId),
    listId: String(campaign.listId),
    variants: campaign.variants,
    mediaUrl: campaign.mediaUrl,
    pacing: campaign.pacing ? pacingView(campaign.pacing) : null,
    scheduledAt: campaign.scheduledAt,
    counters: campaign.counters,
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
