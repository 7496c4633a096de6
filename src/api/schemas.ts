import { z } from 'zod';
import { CAMPAIGN_STATUSES, SHIPPING_STATUSES } from '../domain/campaigns/campaign-status';
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

export const PacingInput = z.strictObject({
  messageInterval: seconds.describe('seconds between two sends on one number'),
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

export const CreateCompanyBody = z.strictObject({
  name: requiredName('name'),
  timezone: TimeZone.optional(),
  defaultRegion: z
    .string()
    .regex(/^[A-Z]{2}$/, 'must be an ISO 3166 country code such as BR')
    .optional(),
  pacing: PacingInput.partial().optional(),
});

const SandboxInput = z.strictObject({
  latencyMs: z.number().int().min(0).max(60_000).default(0),
  failureRate: z.number().min(0).max(1).default(0),
});

/** A WhatsApp Business Cloud API number (see docs/cloud-api.md for where each value comes from). */
const CloudApiFields = z.strictObject({
  phoneNumberId: z.string().regex(/^\d{5,30}$/, 'must be the phone number ID (digits) from the WhatsApp Manager'),
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

/** Strict like every body: a misspelt `cloudapi` block is a 400, not a sandbox number. */
export const CreateConnectionBody = z
  .strictObject({
    name: requiredName('name'),
    gateway: z.enum(['sandbox', 'cloud-api']).default('sandbox'),
    sandbox: SandboxInput.default({ latencyMs: 0, failureRate: 0 }),
    cloudApi: CloudApiInput.optional(),
  })
  .superRefine(needsCloudApi);

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

export const CreateCampaignBody = z.strictObject({
  name: requiredName('name'),
  connectionId: ObjectIdText.describe('the WhatsApp connection that sends'),
  listId: ObjectIdText.describe('the contact list to send to'),
  variants: z.array(z.string().trim().min(1).max(4_096)).min(1).max(5),
  mediaUrl: z.url().max(2_048).optional(),
  scheduledAt: z.iso.datetime({ offset: true }).optional(),
  pacing: PacingInput.partial().optional(),
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
  const result = {
    messageIntervalMs: ms(input.messageInterval),
    longerIntervalAfter: input.longerIntervalAfter,
    greaterIntervalMs: ms(input.greaterInterval),
  };
  return Object.fromEntries(Object.entries(result).filter(([, value]) => value !== undefined));
}

/** Changes a campaign that has not started (draft or scheduled); only the fields given change. */
export const UpdateCampaignBody = CreateCampaignBody.partial()
  .extend({ mediaUrl: z.url().max(2_048).nullable().optional() })
  .refine((body) => Object.keys(body).length > 0, 'give at least one field to change');

export const CompanyFields = z.strictObject({
  name: requiredName('name'),
  timezone: TimeZone,
  defaultRegion: z.string().regex(/^[A-Z]{2}$/, 'must be an ISO 3166 country code such as BR'),
  pacing: PacingInput.partial(),
});

/** Changes a company's name, region or pacing; pacing fields merge into the stored ones. */
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
