import { z } from 'zod';
import { CAMPAIGN_STATUSES, SHIPPING_STATUSES } from '../domain/campaigns/campaign-status';
import { CONNECTION_STATUSES, GATEWAY_KINDS } from '../infrastructure/mongo/models/connection';

/**
 * What the API answers, as schemas: they document the responses in the OpenAPI document and the
 * contract tests check real answers against them.
 */
const Id = z.string().regex(/^[a-f0-9]{24}$/);
const Timestamp = z.iso.datetime();
const nullable = <T extends z.ZodType>(schema: T) => schema.nullable();

export const Problem = z.object({
  type: z.string(),
  title: z.string(),
  status: z.number().int(),
  detail: z.string().optional(),
  errors: z
    .array(z.object({ field: z.string().describe('e.g. body.pacing.messageInterval'), message: z.string() }))
    .optional(),
});

const Pacing = z.object({
  messageInterval: z.number().optional(),
  longerIntervalAfter: z.number().optional(),
  greaterInterval: z.number().optional(),
});

const pageOf = <T extends z.ZodType>(item: T) => z.object({ items: z.array(item), nextCursor: nullable(Id) });

export const CompanyView = z.object({
  id: Id,
  name: z.string(),
  timezone: z.string(),
  defaultRegion: z.string(),
  pacing: Pacing,
  createdAt: Timestamp,
});
export const CompanyList = pageOf(CompanyView);

export const ApiKeyView = z.object({
  id: Id,
  label: z.string(),
  preview: z.string().describe('the first characters of the key'),
  createdAt: Timestamp,
});
export const ApiKeyList = z.object({ items: z.array(ApiKeyView) });
export const CreatedApiKey = ApiKeyView.extend({
  apiKey: z.string().describe('the plain key: shown this once, stored only as its hash'),
});
export const CreatedCompany = z.object({
  company: CompanyView,
  apiKey: z.string().describe('the company’s first API key, shown this once'),
});

export const ConnectionView = z.object({
  id: Id,
  name: z.string(),
  gateway: z.enum(GATEWAY_KINDS),
  status: z.enum(CONNECTION_STATUSES),
  haltedReason: nullable(z.string()),
  haltedAt: nullable(Timestamp),
  sandbox: z.object({ latencyMs: z.number(), failureRate: z.number() }),
  cloudApi: nullable(
    z.object({
      phoneNumberId: z.string(),
      apiVersion: z.string(),
      baseUrl: z.string(),
      accessToken: nullable(z.string()),
      appSecret: nullable(z.string()),
      verifyToken: nullable(z.string()),
      webhookPath: z.string(),
    }),
  ),
  createdAt: Timestamp,
});
export const ConnectionList = pageOf(ConnectionView);
export const ConnectionStatusView = z.object({
  id: Id,
  status: z.enum(CONNECTION_STATUSES),
  haltedReason: nullable(z.string()),
  lane: z.object({
    lastSentAt: nullable(Timestamp),
    runLength: z.number().int().describe('sends in the current run'),
    coolDownUntil: nullable(Timestamp),
  }),
  activeCampaigns: z.number().int().describe('campaigns of this number that are scheduled, queued, running or paused'),
  lastSync: nullable(
    z.object({ id: z.string(), status: z.string(), startedAt: Timestamp, finishedAt: nullable(Timestamp) }),
  ),
});

export const ContactView = z.object({
  id: Id,
  phone: z.string().describe('E.164'),
  name: nullable(z.string()),
  fields: z.record(z.string(), z.string()),
  listIds: z.array(Id),
  valid: z.boolean(),
  onWhatsApp: nullable(z.boolean()),
  updatedAt: Timestamp,
});
export const ContactList = pageOf(ContactView);

export const ListView = z.object({ id: Id, name: z.string(), createdAt: Timestamp });
export const ListWithMembers = ListView.extend({ members: z.number().int() });
export const ListPage = pageOf(ListView);

const Counters = z.object({
  audience: z.number().int(),
  prepared: z.number().int(),
  sent: z.number().int(),
  failed: z.number().int(),
  cancelled: z.number().int(),
  skipped: z.number().int(),
  missing: z.number().int(),
  delivered: z.number().int().optional(),
  read: z.number().int().optional(),
  undelivered: z.number().int().optional(),
});

export const CampaignView = z.object({
  id: Id,
  name: z.string(),
  status: z.enum(CAMPAIGN_STATUSES),
  connectionId: Id,
  listId: Id,
  variants: z.array(z.string()),
  mediaUrl: nullable(z.string()),
  pacing: nullable(Pacing),
  scheduledAt: nullable(Timestamp),
  counters: Counters,
  createdAt: Timestamp,
  startedAt: nullable(Timestamp),
  completedAt: nullable(Timestamp),
});
export const CampaignList = pageOf(CampaignView);

export const CampaignProgress = z.object({
  campaignId: Id,
  status: z.enum(CAMPAIGN_STATUSES),
  counters: Counters,
  pending: z.number().int().describe('planned contacts not yet sent, failed or cancelled'),
  sentPerMinute: z.number(),
  estimatedFinishAt: nullable(Timestamp).describe('from the pacing rule and the number’s lane; null unless running'),
});

export const ShippingView = z.object({
  id: Id,
  contactId: Id,
  phone: z.string(),
  text: z.string(),
  status: z.enum(SHIPPING_STATUSES),
  plannedAt: Timestamp,
  sentAt: nullable(Timestamp),
  attempts: z.number().int(),
  lastError: nullable(z.string()),
  providerMessageId: nullable(z.string()),
  deliveryStatus: nullable(z.string()),
  deliveredAt: nullable(Timestamp),
  readAt: nullable(Timestamp),
  failedReason: nullable(z.string()),
});
export const ShippingList = pageOf(ShippingView);

export const EventView = z.object({
  eventId: z.string(),
  type: z.string(),
  occurredAt: Timestamp,
  correlationId: z.string(),
  causationId: nullable(z.string()),
  campaignId: nullable(z.string()),
  contactId: nullable(z.string()),
  replayed: z.boolean(),
  payload: z.record(z.string(), z.unknown()),
});
export const EventPage = z.object({ items: z.array(EventView), nextCursor: z.string().nullable() });
