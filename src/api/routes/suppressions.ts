import { z } from 'zod';
import { CsvHeaderError } from '../../application/contacts/csv-import';
import { readsOf } from '../../application/service-registry';
import { receiveInboundMessage } from '../../application/suppression/inbound-message';
import { importSuppressions, liftSuppression, suppressPhone } from '../../application/suppression/suppression-list';
import { normalisePhone } from '../../domain/contacts/phone';
import { SUPPRESSION_SOURCES } from '../../domain/events/suppression-messages';
import { type ApiContext, causeOf } from '../api-context';
import { companyOf } from '../auth';
import type { ApiRouter } from '../operation';
import { pageView, suppressionView } from '../presenters';
import { HttpProblem } from '../problem';
import { IdParams, PageQuery } from '../schemas';

const TAG = 'Suppressions';
const CSV_TYPES = ['text/csv', 'application/csv', 'text/plain'];

const PhoneText = z.string().trim().min(1).max(40);
const SuppressBody = z.strictObject({ phone: PhoneText.describe('normalised to E.164 with the company’s region') });
const PhoneParams = z.strictObject({
  phone: z
    .string()
    .regex(/^\+?\d{6,20}$/, 'must be a phone: digits with the country code, optionally after +')
    .describe('E.164, e.g. +5511998765432 (URL-encode the +, or leave it out)'),
});
const InboundBody = z.strictObject({
  from: PhoneText.describe('the sender, as a phone number'),
  text: z.string().max(4_096).describe('the message; an opt-out or opt-in keyword acts on the sender'),
});

const SuppressionView = z.object({
  phone: z.string(),
  source: z.enum(SUPPRESSION_SOURCES),
  keyword: z.string().nullable(),
  connectionId: z.string().nullable(),
  suppressedAt: z.iso.datetime(),
});
const SuppressionPage = z.object({ items: z.array(SuppressionView), nextCursor: z.string().nullable() });
const InboundOutcome = z.object({
  action: z.enum(['opted-out', 'opted-in', 'none']),
  phone: z.string().nullable(),
  changed: z.boolean().optional(),
  cancelledShippings: z.number().int().optional(),
});
const ImportReport = z.object({
  rowsRead: z.number().int(),
  suppressed: z.number().int(),
  alreadySuppressed: z.number().int(),
  rejected: z.number().int(),
  errors: z.array(z.object({ line: z.number().int(), reason: z.string() })),
  errorsTruncated: z.boolean(),
});

/**
 * The company's suppression list (phones no campaign of it sends to), its CSV import, and the
 * sandbox's simulated inbound message — which reaches the same application entry point as the
 * Cloud API webhook's messages.
 */
export function suppressionRoutes(api: ApiRouter, { pipeline }: ApiContext): void {
  const reads = readsOf(pipeline);

  const e164 = async (companyId: string, raw: string, field: string) => {
    const phone = normalisePhone(raw, await reads.companyRegion(companyId));
    if (!phone.valid)
      throw new HttpProblem(400, 'Bad Request', 'the phone is not a valid number', [{ field, message: phone.reason }]);
    return phone.e164;
  };

  api.define(
    {
      method: 'get',
      path: '/v1/suppressions',
      tag: TAG,
      access: 'company',
      summary: 'The suppression list: phones no campaign of the company sends to, newest first',
      query: PageQuery,
      responses: { 200: { description: 'a page of suppressed phones', schema: SuppressionPage } },
    },
    async (ctx, { query }) => {
      ctx.body = pageView(await reads.suppressions(companyOf(ctx), query), suppressionView);
    },
  );

  api.define(
    {
      method: 'post',
      path: '/v1/suppressions',
      tag: TAG,
      access: 'company',
      summary: 'Suppress a phone: its messages not yet sent are cancelled, no campaign sends to it again',
      body: SuppressBody,
      responses: {
        201: {
          description: 'suppressed (changed false: it was already)',
          schema: z.object({ phone: z.string(), changed: z.boolean(), cancelledShippings: z.number().int() }),
        },
      },
    },
    async (ctx, { body }) => {
      const companyId = companyOf(ctx);
      const phone = await e164(companyId, body.phone, 'body.phone');
      const result = await suppressPhone(pipeline, causeOf(ctx), {
        companyId,
        phone,
        source: 'api',
        keyword: null,
        connectionId: null,
        at: new Date(pipeline.now()),
      });
      ctx.status = 201;
      ctx.body = { phone, ...result };
    },
  );

  api.define(
    {
      method: 'delete',
      path: '/v1/suppressions/:phone',
      tag: TAG,
      access: 'company',
      summary: 'Lift a suppression (whatever its source): later campaigns send to the phone again',
      params: PhoneParams,
      responses: { 204: 'lifted', 404: 'the phone is not suppressed' },
    },
    async (ctx, { params }) => {
      const companyId = companyOf(ctx);
      const phone = await e164(
        companyId,
        params.phone.startsWith('+') ? params.phone : `+${params.phone}`,
        'path.phone',
      );
      const lifted = await liftSuppression(pipeline, causeOf(ctx), {
        companyId,
        phone,
        source: 'api',
        keyword: null,
        connectionId: null,
        at: new Date(pipeline.now()),
      });
      if (!lifted) throw new HttpProblem(404, 'Not Found', 'the phone is not suppressed');
      ctx.status = 204;
    },
  );

  api.define(
    {
      method: 'post',
      path: '/v1/suppressions/imports',
      tag: TAG,
      access: 'company',
      summary: 'Import a CSV of phones into the suppression list (streamed; a phone column, other columns ignored)',
      rawBodyType: 'text/csv',
      responses: {
        201: { description: 'the import report', schema: ImportReport },
        400: 'no phone column',
        415: 'the body is not CSV',
      },
    },
    async (ctx) => {
      const companyId = companyOf(ctx);
      if (!ctx.request.is(CSV_TYPES))
        throw new HttpProblem(415, 'Unsupported Media Type', 'send the CSV as the body with Content-Type: text/csv');
      const defaultRegion = await reads.companyRegion(companyId);
      try {
        const report = await importSuppressions(pipeline, { companyId, defaultRegion }, ctx.req);
        ctx.status = 201;
        ctx.body = report;
      } catch (error) {
        if (error instanceof CsvHeaderError) throw new HttpProblem(400, 'Bad Request', error.message);
        throw error;
      }
    },
  );

  api.define(
    {
      method: 'post',
      path: '/v1/connections/:id/sandbox/inbound',
      tag: 'Connections',
      access: 'company',
      summary: 'Simulate a message a contact sends to a sandbox number (opt-out and opt-in keywords act on it)',
      params: IdParams,
      body: InboundBody,
      responses: {
        200: { description: 'what the message did', schema: InboundOutcome },
        404: 'no such connection (or another company’s)',
        409: 'not a sandbox connection',
      },
    },
    async (ctx, { params, body }) => {
      const companyId = companyOf(ctx);
      const connection = await reads.connection(companyId, params.id, { gateway: 1 });
      if (connection.gateway !== 'sandbox')
        throw new HttpProblem(409, 'Conflict', 'only sandbox connections take simulated inbound messages');
      ctx.body = await receiveInboundMessage(
        pipeline,
        {
          companyId,
          connectionId: params.id,
          from: body.from,
          text: body.text,
          at: new Date(pipeline.now()),
          source: 'sandbox',
        },
        causeOf(ctx),
      );
    },
  );
}
