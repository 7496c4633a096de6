import { z } from 'zod';
import { CAMPAIGN_STATUSES } from '../domain/campaigns/campaign-status';
import { SHIPPING_STATUSES } from '../domain/campaigns/shipping-status';
import { hasThroughput, MAX_THROUGHPUT_PER_SEC, throughputProblem } from '../domain/connections/throughput';
import { scheduleProblems, WEEKDAYS } from '../domain/pacing/sending-window';
import { firstControlCharacter } from '../domain/text/control-characters';

/**
 * A name or label people read (companies, numbers, lists, campaigns, keys, contacts): no control
 * characters, which printed raw would drive the reader's terminal. The message names the field.
 */
export function nameText(field: string, max = 200, min = 0) {
  return z
    .string()
    .trim()
    .min(min)
    .max(max)
    .superRefine((text, context) => {
      const found = firstControlCharacter(text);
      if (found)
        context.addIssue({ code: 'custom', message: `${field} must not contain control characters (${found})` });
    });
}

/** A required name: at least one character once trimmed. */
const requiredName = (field: string, max = 200) => nameText(field, max, 1);

/** What a custom field's name may be (the same rule as a CSV column's). */
const FIELD_NAME_RULE = 'field names are letters, digits, _ . - (starting with a letter or _), at most 64 characters';

export const ObjectIdText = z.string().regex(/^[a-f0-9]{24}$/, 'must be a 24-character hex id');

/** Path parameters: ids are checked here, so a malformed one answers 400 naming `path.id`. */
export const IdParams = z.strictObject({ id: ObjectIdText });

/** The API speaks seconds (fractions allowed, millisecond precision, for tests and demos). */
const seconds = z
  .number()
  .positive()
  .max(86_400)
  .refine((value) => Math.round(value * 1000) >= 1, 'must be at least 0.001 s');

/** A gap drawn per send inside [min, max] seconds (reproducibly per campaign), never below min. */
const SecondsRange = z
  .strictObject({ min: seconds, max: seconds })
  .refine((range) => range.min <= range.max, { path: ['min'], message: 'the minimum exceeds the maximum' });

export const PacingInput = z.strictObject({
  messageInterval: z
    .union([seconds, SecondsRange])
    .describe('seconds between two sends on one number, or a range {min, max} each gap is drawn in'),
  longerIntervalAfter: z.number().int().min(1).max(100_000).describe('after this many sends in a row, one longer gap'),
  greaterInterval: seconds.describe('the longer gap, seconds'),
});

/** An IANA time zone the runtime knows (Intl rejects any other). */
const TimeZone = z
  .string()
  .min(1)
  .max(64)
  .refine((zone) => {
    try {
      new Intl.DateTimeFormat('en', { timeZone: zone });
      return true;
    } catch {
      return false;
    }
  }, 'must be an IANA time zone such as America/Sao_Paulo');

const TimeOfDay = z
  .string()
  .regex(/^([01]\d|2[0-4]):[0-5]\d(:[0-5]\d)?$/, 'a local time HH:MM or HH:MM:SS (24:00 ends the day)');

/**
 * A weekly schedule of sending windows in the company's time zone: nothing is sent outside it.
 * An `end` at or before `start` crosses midnight into the next day. No two windows may overlap.
 */
export const SendingWindowsInput = z
  .array(
    z.strictObject({
      days: z.array(z.enum(WEEKDAYS)).min(1).max(7).describe('the days it opens (mon … sun)'),
      start: TimeOfDay.describe('opens at this local time'),
      end: TimeOfDay.describe('closes at this local time (at or before start: the next day)'),
    }),
  )
  .min(1)
  .max(50)
  .superRefine((windows, context) => {
    for (const problem of scheduleProblems(windows))
      context.addIssue({ code: 'custom', path: problem.path.split('.').map(pathPart), message: problem.message });
  });

const pathPart = (part: string) => (/^\d+$/.test(part) ? Number(part) : part);

export const CreateCompanyBody = z.strictObject({
  name: requiredName('name'),
  timezone: TimeZone.optional(),
  defaultRegion: z
    .string()
    .regex(/^[A-Z]{2}$/, 'must be an ISO 3166 country code such as BR')
    .optional(),
  pacing: PacingInput.partial().optional(),
  sendingWindows: SendingWindowsInput.nullable().optional().describe('null or absent: always open'),
});

const SandboxInput = z.strictObject({
  latencyMs: z.number().int().min(0).max(60_000).default(0),
  failureRate: z.number().min(0).max(1).default(0),
});

/** A WhatsApp Business Cloud API number (see docs/cloud-api.md for where each value comes from). */
const CloudApiFields = z.strictObject({
  phoneNumberId: z.string().regex(/^\d{5,30}$/, 'must be the phone number ID (digits) from the WhatsApp Manager'),
  wabaId: z
    .string()
    .regex(/^\d{5,30}$/, 'must be the WhatsApp Business Account ID (digits) from the WhatsApp Manager')
    .nullish()
    .describe('the business account that owns the number: its message templates are read from it'),
  accessToken: z.string().trim().min(20).max(4_096),
  apiVersion: z.string().regex(/^v\d+\.\d+$/, 'must look like v23.0'),
  baseUrl: z.url({ protocol: /^https?$/ }).max(2_048),
  appSecret: z.string().trim().min(8).max(256),
  verifyToken: z.string().trim().min(8).max(256),
});

export const CloudApiInput = CloudApiFields.extend({
  apiVersion: CloudApiFields.shape.apiVersion.default('v23.0'),
  baseUrl: CloudApiFields.shape.baseUrl.default('https://graph.facebook.com'),
});

const needsCloudApi = (body: { gateway?: string; cloudApi?: unknown }, context: z.RefinementCtx) => {
  if (body.gateway === 'cloud-api' && !body.cloudApi)
    context.addIssue({ code: 'custom', path: ['cloudApi'], message: 'is required when gateway is cloud-api' });
};

/**
 * A number's daily cap: unique recipients per moving 24 h (a number, or one of WhatsApp's tiers),
 * and a warm-up ramp, the cap on day 0, 1, 2, … since the number was created.
 */
export const DailyCapInput = z.strictObject({
  perDay: z
    .union([z.number().int().min(1).max(10_000_000), z.enum(['tier250', 'tier2k', 'tier10k', 'tier100k', 'unlimited'])])
    .describe('recipients per moving 24 h, or a messaging-limit tier'),
  warmUp: z
    .array(z.number().int().min(1).max(10_000_000))
    .max(365)
    .default([])
    .describe('cap per day since the number was created, e.g. [50, 100, 200, 400]'),
});

/** A number's provider throughput (see src/domain/connections/throughput.ts); which gateways take one is checked against the gateway. */
const ThroughputInput = z
  .number()
  .int()
  .min(1)
  .max(MAX_THROUGHPUT_PER_SEC)
  .nullable()
  .describe(
    'messages per second the provider accepts from this number (cloud-api: 80 by default, 1000 after Meta’s upgrade; sandbox: simulated, none by default; not allowed on whatsapp-web). null: the gateway’s default',
  );

const throughputFitsGateway = (
  body: { gateway?: string; throughputPerSec?: number | null },
  context: z.RefinementCtx,
) => {
  // The range is the field's own check; here only whether the gateway takes one at all.
  if (body.gateway && typeof body.throughputPerSec === 'number' && !hasThroughput(body.gateway))
    context.addIssue({
      code: 'custom',
      path: ['throughputPerSec'],
      message: throughputProblem(body.gateway, body.throughputPerSec)!,
    });
};

const noCloudApiOnWeb = (body: { gateway?: string; cloudApi?: unknown }, context: z.RefinementCtx) => {
  if (body.gateway === 'whatsapp-web' && body.cloudApi)
    context.addIssue({ code: 'custom', path: ['cloudApi'], message: 'is not allowed when gateway is whatsapp-web' });
};

/**
 * `whatsapp-web` links a number as a WhatsApp Web device: it is created in `pairing`, and its QR
 * (or a pairing code) is at GET /v1/connections/:id/pairing until the phone links it.
 */
/** Strict like every body: a misspelt `cloudapi` block is a 400, not a sandbox number. */
export const CreateConnectionBody = z
  .strictObject({
    name: requiredName('name'),
    gateway: z.enum(['sandbox', 'cloud-api', 'whatsapp-web']).default('sandbox'),
    sandbox: SandboxInput.default({ latencyMs: 0, failureRate: 0 }),
    cloudApi: CloudApiInput.optional(),
    throughputPerSec: ThroughputInput.optional(),
  })
  .superRefine(needsCloudApi)
  .superRefine(noCloudApiOnWeb)
  .superRefine(throughputFitsGateway);

/** Link with a code typed on the phone instead of scanning the QR: the number that will link. */
export const PairingCodeBody = z.strictObject({
  phone: z
    .string()
    .min(1)
    .max(40)
    .describe('the phone that links, with country code (E.164 or as written in the company’s region)'),
});

/**
 * Changes a connection: its name, its gateway (switching sandbox ↔ cloud-api), its settings
 * (cloudApi fields are merged into the stored ones, so a new token alone is enough), or
 * `status: "connected"` to lift a halt once its cause is fixed.
 */
export const UpdateConnectionBody = z
  .object({
    name: requiredName('name').optional(),
    gateway: z.enum(['sandbox', 'cloud-api']).optional(),
    sandbox: SandboxInput.partial().optional(),
    /** No defaults here: only the fields given replace the stored ones. */
    cloudApi: CloudApiFields.partial().optional(),
    status: z.enum(['connected']).optional(),
    dailyCap: DailyCapInput.nullable().optional().describe('null: no cap'),
    throughputPerSec: ThroughputInput.optional(),
  })
  .strict();

export const CreateListBody = z.strictObject({ name: requiredName('name') });

const FieldValue = z.union([z.string().max(1_000), z.number(), z.boolean()]);

export const AddContactsBody = z.strictObject({
  contacts: z
    .array(
      z.strictObject({
        phone: z.string().min(1).max(40),
        name: nameText('name').optional(),
        fields: z.record(z.string().regex(/^[A-Za-z_][A-Za-z0-9_.-]{0,63}$/, FIELD_NAME_RULE), FieldValue).optional(),
      }),
    )
    .min(1)
    .max(10_000),
});

/** Values of one template section: parameter name (`1`, `first_name`) or button index → constant or `{placeholder}` text. */
const SlotValues = z
  .record(
    z.string().regex(/^[A-Za-z0-9_]{1,64}$/, 'a parameter name ("1" for {{1}}, "first_name") or a button index'),
    z.string().max(1_024),
  )
  .refine((values) => Object.keys(values).length <= 50, 'at most 50 parameters');

/**
 * A pre-approved WhatsApp template and how each of its parameters is filled (see docs/cloud-api.md),
 * checked against the catalogue of every number the campaign sends from.
 */
export const TemplateInput = z.strictObject({
  name: z
    .string()
    .regex(/^[a-z0-9_]{1,512}$/, 'template names are lower-case letters, digits and _')
    .describe('as in GET /v1/connections/{id}/templates'),
  language: z
    .string()
    .regex(/^[a-z]{2,3}(_[A-Za-z]{2,4})?$/, 'must be a language code such as pt_BR or en_US')
    .describe('the approved translation to send'),
  components: z
    .strictObject({
      header: SlotValues.optional().describe('a text header’s parameters'),
      body: SlotValues.optional().describe('the body’s parameters: {"1": "{name}", "2": "São Paulo"}'),
      buttons: SlotValues.optional().describe(
        'by button index: the end of a URL button, the code of a copy-code button',
      ),
    })
    .default({})
    .describe(
      'each value is a constant or text with contact placeholders such as {name} or {city}; a contact for whom a value comes out empty is not sent: its shipping fails with TEMPLATE_PARAMETER_EMPTY',
    ),
  headerMediaUrl: z
    .url({ protocol: /^https?$/ })
    .max(2_048)
    .optional()
    .describe('the link of an image, video or document header'),
  fallbacks: z
    .record(
      z.string().regex(/^[A-Za-z_][A-Za-z0-9_.-]{0,63}$/, 'a placeholder name used in components, such as city'),
      z
        .string()
        .max(1_024)
        .refine((value) => value.trim() !== '', 'a fallback cannot be empty'),
    )
    .refine((values) => Object.keys(values).length <= 50, 'at most 50 fallbacks')
    .optional()
    .describe(
      'per placeholder, a constant sent to a contact whose value is empty ({"city": "sua cidade"}); without one, that contact fails with TEMPLATE_PARAMETER_EMPTY',
    ),
});

const CampaignFields = z.strictObject({
  name: requiredName('name'),
  connectionId: ObjectIdText.optional().describe('the WhatsApp connection that sends (or give connectionIds)'),
  connectionIds: z
    .array(ObjectIdText)
    .min(1)
    .max(20)
    .optional()
    .describe(
      'several of the company’s connections: contacts are spread over them by what each may still send under its cap',
    ),
  listId: ObjectIdText.describe('the contact list to send to'),
  variants: z
    .array(z.string().trim().min(1).max(4_096))
    .min(1)
    .max(5)
    .optional()
    .describe('free-text messages (one picked per contact); or give a template instead'),
  template: TemplateInput.optional().describe(
    'send an approved template instead of variants (it must be APPROVED in that language on every number: a 400 names the one lacking it, connectionIds.N)',
  ),
  mediaUrl: z.url().max(2_048).optional(),
  scheduledAt: z.iso.datetime({ offset: true }).optional(),
  pacing: PacingInput.partial().optional(),
  sendingWindows: SendingWindowsInput.nullable()
    .optional()
    .describe('narrows the company’s windows for this campaign (sends only when both are open)'),
});

/** One number (`connectionId`) or several (`connectionIds`, each once), not both. */
function checkConnections(body: { connectionId?: string; connectionIds?: string[] }, context: z.RefinementCtx) {
  if (body.connectionId !== undefined && body.connectionIds !== undefined)
    context.addIssue({
      code: 'custom',
      path: ['connectionIds'],
      message: 'give connectionId or connectionIds, not both',
    });
  const seen = new Set<string>();
  for (const [i, id] of (body.connectionIds ?? []).entries()) {
    if (seen.has(id)) context.addIssue({ code: 'custom', path: ['connectionIds', i], message: 'named twice' });
    seen.add(id);
  }
}

/** A campaign sends variants (free text) or a template, never both; from one number or several. */
export const CreateCampaignBody = CampaignFields.superRefine((body, context) => {
  if (body.connectionId === undefined && body.connectionIds === undefined)
    context.addIssue({ code: 'custom', path: ['connectionId'], message: 'give connectionId or connectionIds' });
  checkConnections(body, context);
  if (!body.variants && !body.template)
    context.addIssue({ code: 'custom', path: ['variants'], message: 'give variants (free text) or a template' });
  if (body.variants && body.template)
    context.addIssue({
      code: 'custom',
      path: ['template'],
      message: 'a campaign sends variants or a template, not both',
    });
  if (body.template && body.mediaUrl)
    context.addIssue({
      code: 'custom',
      path: ['mediaUrl'],
      message: 'a template campaign’s media is its header: use template.headerMediaUrl',
    });
});

export const ScheduleBody = z.strictObject({ scheduledAt: z.iso.datetime({ offset: true }) });

/** A page of a list, newest first: `limit` items after `cursor` (the last id of the previous page). */
export const PageQuery = z.strictObject({
  limit: z.coerce.number().int().min(1).max(200).default(50).describe('items per page, 1–200'),
  cursor: ObjectIdText.optional().describe('nextCursor of the previous page'),
});

export const ShippingsQuery = PageQuery.extend({ status: z.enum(SHIPPING_STATUSES).optional() });

export const CampaignsQuery = PageQuery.extend({ status: z.enum(CAMPAIGN_STATUSES).optional() });

export const ContactsQuery = PageQuery.extend({
  search: z.string().trim().min(1).max(100).optional().describe('part of the name (any case) or of the phone digits'),
  listId: ObjectIdText.optional().describe('only members of this list'),
});

export function pacingToMs(input: Partial<z.infer<typeof PacingInput>> | undefined) {
  if (!input) return undefined;
  const ms = (value: number | undefined) => (value === undefined ? undefined : Math.round(value * 1000));
  const interval = input.messageInterval;
  const range = typeof interval === 'object' ? interval : null;
  const result = {
    messageIntervalMs: ms(typeof interval === 'number' ? interval : range?.min),
    // A plain number clears a range given before.
    messageIntervalMaxMs: interval === undefined ? undefined : range ? ms(range.max) : null,
    longerIntervalAfter: input.longerIntervalAfter,
    greaterIntervalMs: ms(input.greaterInterval),
  };
  return Object.fromEntries(Object.entries(result).filter(([, value]) => value !== undefined));
}

/** Changes a campaign that has not started (draft or scheduled); only the fields given change. */
export const UpdateCampaignBody = CampaignFields.partial()
  .extend({ mediaUrl: z.url().max(2_048).nullable().optional() })
  .refine((body) => Object.keys(body).length > 0, 'give at least one field to change')
  .superRefine((body, context) => {
    checkConnections(body, context);
    if (body.variants && body.template)
      context.addIssue({
        code: 'custom',
        path: ['template'],
        message: 'a campaign sends variants or a template, not both',
      });
  });

const Keyword = z
  .string()
  .trim()
  .min(1)
  .max(40)
  .regex(/^[\p{L}\p{N} ]+$/u, 'letters, digits and spaces only');
const Keywords = z.array(Keyword).min(1).max(20);

/** The company's opt-out and opt-in keywords (matched ignoring case and accents); no word in both. */
export const OptOutInput = z
  .strictObject({
    keywords: Keywords.describe('answers that opt a contact out (default SAIR, PARAR, CANCELAR, STOP, DESCADASTRAR)'),
    optInKeywords: Keywords.describe('answers that undo an opt-out (default VOLTAR, START)'),
  })
  .partial();

/** When a running campaign pauses itself on failures. */
export const AutoPauseInput = z
  .strictObject({
    enabled: z.boolean(),
    failureRate: z.number().gt(0).max(1).describe('pause when this share of the last `window` sends failed (0–1]'),
    window: z.number().int().min(5).max(1_000).describe('how many recent sends the share is taken over'),
    consecutive: z.number().int().min(1).max(1_000).describe('or after this many failures in a row'),
  })
  .partial();

export const CompanyFields = z.strictObject({
  name: requiredName('name'),
  timezone: TimeZone,
  defaultRegion: z.string().regex(/^[A-Z]{2}$/, 'must be an ISO 3166 country code such as BR'),
  pacing: PacingInput.partial(),
  sendingWindows: SendingWindowsInput.nullable().describe('null: always open'),
  dailyCap: DailyCapInput.nullable().describe(
    'unique recipients per moving 24 h over all the company’s numbers (warm-up counted from the company’s creation); null: no cap',
  ),
  optOut: OptOutInput,
  autoPause: AutoPauseInput,
});

/** Changes a company's name, region, pacing, opt-out keywords or auto-pause; nested fields merge into the stored ones. */
export const UpdateCompanyBody = CompanyFields.partial().refine(
  (body) => Object.keys(body).length > 0,
  'give at least one field to change',
);

export const CreateApiKeyBody = z.strictObject({ label: requiredName('label', 100).default('default') });

export const ApiKeyParams = z.strictObject({ keyId: ObjectIdText });

export const CompanyIdParams = z.strictObject({ id: ObjectIdText });

export const UpdateContactBody = z
  .strictObject({
    phone: z.string().min(1).max(40),
    name: nameText('name').nullable(),
    fields: z.record(
      z.string().regex(/^[A-Za-z_][A-Za-z0-9_.-]{0,63}$/, FIELD_NAME_RULE),
      z.union([z.string().max(1_000), z.number(), z.boolean()]),
    ),
  })
  .partial()
  .refine((body) => Object.keys(body).length > 0, 'give at least one field to change');
