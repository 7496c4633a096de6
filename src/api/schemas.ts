import { z } from 'zod';
import { SHIPPING_STATUSES } from '../domain/campaigns/campaign-status';

/** The API speaks seconds (fractions allowed, millisecond precision, for tests and demos). */
const seconds = z.number().positive().max(86_400).refine((value) => Math.round(value * 1000) >= 1, 'must be at least 0.001 s');

export const PacingInput = z.object({
  messageInterval: seconds.describe('seconds between two sends on one number'),
  longerIntervalAfter: z.number().int().min(1).max(100_000).describe('after this many sends in a row, one longer gap'),
  greaterInterval: seconds.describe('the longer gap, seconds'),
});

export const CreateCompanyBody = z.object({
  name: z.string().trim().min(1).max(200),
  timezone: z.string().min(1).max(64).optional(),
  defaultRegion: z.string().regex(/^[A-Z]{2}$/, 'must be an ISO 3166 country code such as BR').optional(),
  pacing: PacingInput.partial().optional(),
});

const SandboxInput = z.object({
  latencyMs: z.number().int().min(0).max(60_000).default(0),
  failureRate: z.number().min(0).max(1).default(0),
});

/** A WhatsApp Business Cloud API number (see docs/cloud-api.md for where each value comes from). */
const CloudApiFields = z.object({
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
  if (body.gateway === 'cloud-api' && !body.cloudApi) context.addIssue({ code: 'custom', path: ['cloudApi'], message: 'is required when gateway is cloud-api' });
};

export const CreateConnectionBody = z
  .object({
    name: z.string().trim().min(1).max(200),
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
    name: z.string().trim().min(1).max(200).optional(),
    gateway: z.enum(['sandbox', 'cloud-api']).optional(),
    sandbox: SandboxInput.partial().optional(),
    /** No defaults here: only the fields given replace the stored ones. */
    cloudApi: CloudApiFields.partial().optional(),
    status: z.enum(['connected']).optional(),
  })
  .strict();

export const CreateListBody = z.object({ name: z.string().trim().min(1).max(200) });

const FieldValue = z.union([z.string().max(1_000), z.number(), z.boolean()]);

export const AddContactsBody = z.object({
  contacts: z
    .array(
      z.object({
        phone: z.string().min(1).max(40),
        name: z.string().max(200).optional(),
        fields: z.record(z.string().regex(/^[A-Za-z_][A-Za-z0-9_.-]{0,63}$/, 'field names are letters, digits, _ . -'), FieldValue).optional(),
      }),
    )
    .min(1)
    .max(10_000),
});

export const CreateCampaignBody = z.object({
  name: z.string().trim().min(1).max(200),
  connectionId: z.string().regex(/^[a-f0-9]{24}$/, 'must be a connection id'),
  listId: z.string().regex(/^[a-f0-9]{24}$/, 'must be a contact list id'),
  variants: z.array(z.string().trim().min(1).max(4_096)).min(1).max(5),
  mediaUrl: z.url().max(2_048).optional(),
  scheduledAt: z.iso.datetime({ offset: true }).optional(),
  pacing: PacingInput.partial().optional(),
});

export const ScheduleBody = z.object({ scheduledAt: z.iso.datetime({ offset: true }) });

export const ShippingsQuery = z.object({
  status: z.enum(SHIPPING_STATUSES).optional(),
  page: z.coerce.number().int().min(1).max(100_000).default(1),
  pageSize: z.coerce.number().int().min(1).max(200).default(50),
});

export function pacingToMs(input: Partial<z.infer<typeof PacingInput>> | undefined) {
  if (!input) return undefined;
  const ms = (value: number | undefined) => (value === undefined ? undefined : Math.round(value * 1000));
  const result = { messageIntervalMs: ms(input.messageInterval), longerIntervalAfter: input.longerIntervalAfter, greaterIntervalMs: ms(input.greaterInterval) };
  return Object.fromEntries(Object.entries(result).filter(([, value]) => value !== undefined));
}
