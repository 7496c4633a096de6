import { z } from 'zod';
import { CAMPAIGN_STATUSES } from '../domain/campaigns/campaign-status';
import { SHIPPING_STATUSES } from '../domain/campaigns/shipping-status';
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

const DailyCapView = nullable(
  z.object({ perDay: nullable(z.number().int()), warmUp: z.array(z.number().int()) }),
).describe('unique recipients per moving 24 h (null perDay: unlimited) and the warm-up ramp');

export const CompanyView = z.object({
  id: Id,
  name: z.string(),
  timezone: z.string(),
  defaultRegion: z.string(),
  pacing: Pacing,
  dailyCap: DailyCapView,
  optOut: z.object({ keywords: z.array(z.string()), optInKeywords: z.array(z.string()) }),
  autoPause: z.object({
    enabled: z.boolean(),
    failureRate: z.number(),
    window: z.number().int(),
    consecutive: z.number().int(),
  }),
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
  dailyCap: DailyCapView,
  throughputPerSec: nullable(z.number().int()).describe(
    'messages per second the provider accepts from this number (cloud-api 80 by default); null: none (the pacing alone)',
  ),
  cloudApi: nullable(
    z.object({
      phoneNumberId: z.string(),
      wabaId: nullable(z.string()),
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
export const PairingView = z.object({
  connectionId: Id,
  status: z.enum(CONNECTION_STATUSES).describe('`pairing` until the phone links the number, then `connected`'),
  qr: nullable(z.string()).describe('the current QR’s text; WhatsApp rotates it about every 20 s'),
  qrSvg: nullable(z.string()).describe('the current QR drawn as an SVG document'),
  qrAt: nullable(Timestamp),
  qrRotations: z.number().int().describe('QRs shown so far for this pairing'),
  phone: nullable(z.string()).describe('the phone a pairing code was asked for (digits)'),
  code: nullable(z.string()).describe(
    'the pairing code to type on that phone (WhatsApp › Linked devices › Link with phone number)',
  ),
  codeAt: nullable(Timestamp),
  error: nullable(z.string()),
  page: z.string().describe('the page that shows the QR live (add &key=<API key> to its fragment)'),
});
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
  suppressed: z.number().int().optional().describe('members not planned: their phone is on the suppression list'),
});

const TemplateUse = z.object({
  name: z.string(),
  language: z.string(),
  category: z.string(),
  components: z.record(z.string(), z.record(z.string(), z.string())).describe('header, body, buttons → slot → value'),
  headerMediaUrl: nullable(z.string()),
  fallbacks: nullable(z.record(z.string(), z.string())).describe(
    'per placeholder, the constant sent to a contact whose value is empty',
  ),
});
const AutoPaused = nullable(
  z.object({ reason: z.string(), at: Timestamp }).describe('why the campaign paused itself on failures'),
);

export const CampaignView = z.object({
  id: Id,
  name: z.string(),
  status: z.enum(CAMPAIGN_STATUSES),
  pausedReason: nullable(z.string()).describe('why Disparo paused it (the provider refused its template)'),
  connectionId: Id,
  connectionIds: z.array(Id).describe('every number it sends from (connectionId first)'),
  listId: Id,
  variants: z.array(z.string()),
  template: nullable(TemplateUse).describe('the approved template it sends instead of variants'),
  mediaUrl: nullable(z.string()),
  pacing: nullable(Pacing),
  scheduledAt: nullable(Timestamp),
  counters: Counters,
  autoPaused: AutoPaused,
  createdAt: Timestamp,
  startedAt: nullable(Timestamp),
  completedAt: nullable(Timestamp),
});
export const CampaignList = pageOf(CampaignView);

export const CampaignProgress = z.object({
  campaignId: Id,
  status: z.enum(CAMPAIGN_STATUSES),
  pausedReason: nullable(z.string()),
  template: nullable(z.object({ name: z.string(), language: z.string() })),
  counters: Counters,
  pending: z.number().int().describe('planned contacts not yet sent, failed or cancelled'),
  sentPerMinute: z.number(),
  autoPaused: AutoPaused,
  deliveredRate: nullable(z.number()).describe(
    'share (0–1) of the sent messages reported delivered; null before the first send',
  ),
  readRate: nullable(z.number()).describe('share (0–1) of the sent messages reported read'),
  estimatedFinishAt: nullable(Timestamp).describe(
    'from the pacing rule, the sending windows and the number’s lane; null unless running',
  ),
  waitingFor: nullable(z.enum(['window', 'cap'])).describe(
    'window: running but its sending windows are closed; cap: the company’s daily cap, or every one of its numbers’ caps, is full',
  ),
  nextOpeningAt: nullable(Timestamp).describe('when its sending windows open next (while waitingFor is window)'),
  capFreesAt: nullable(Timestamp).describe('when a daily cap frees a slot (while waitingFor is cap)'),
  connectionIds: z.array(Id).describe('every number the campaign sends from'),
  throughputPerSec: nullable(z.number().int()).describe(
    'messages per second its (first) number’s provider accepts; null: none (the pacing alone). The estimate never assumes faster',
  ),
});

export const ShippingView = z.object({
  id: Id,
  contactId: Id,
  phone: z.string(),
  text: z.string().describe('what the contact reads (a template’s body with its parameters filled)'),
  template: nullable(
    z.object({ name: z.string(), language: z.string(), components: z.array(z.record(z.string(), z.unknown())) }),
  ).describe('the template exactly as sent to the provider'),
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

export const TemplateView = z.object({
  name: z.string(),
  language: z.string(),
  category: z.string(),
  status: z.string().describe('APPROVED, PENDING, REJECTED, PAUSED, DISABLED, …: only APPROVED ones can be sent'),
  parameterFormat: z.enum(['POSITIONAL', 'NAMED']),
  components: z.array(z.record(z.string(), z.unknown())).describe('as the provider describes them'),
  slots: z.array(z.string()).describe('what a campaign must fill: body.1, header.1, buttons.0 …'),
  headerMedia: nullable(z.string()).describe('image, video or document: the campaign gives template.headerMediaUrl'),
});
export const TemplateCatalogueView = z.object({
  connectionId: Id,
  fetchedAt: nullable(Timestamp),
  lastError: nullable(z.string()).describe('why the last refresh failed; the templates are the ones read before'),
  items: z.array(TemplateView),
});
