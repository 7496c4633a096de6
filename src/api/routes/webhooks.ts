import { z } from 'zod';
import { readsOf } from '../../application/service-registry';
import { applyDeliveryStatus, type StatusOutcome } from '../../application/shippings/delivery-status';
import { receiveInboundMessage } from '../../application/suppression/inbound-message';
import { DELIVERY_STATUSES } from '../../domain/whatsapp/delivery-status';
import { isValidWebhookSignature, sameSecretText } from '../../domain/whatsapp/webhook-signature';
import type { ApiContext } from '../api-context';
import type { ApiRouter } from '../operation';
import { HttpProblem } from '../problem';
import { ObjectIdText } from '../schemas';
import { fieldErrors } from '../validation';

/** A message a contact sent: text, or the text of a quick-reply button ("STOP" buttons of marketing templates). */
const InboundMessage = z.object({
  from: z.string().regex(/^\d{6,20}$/, 'the sender’s WhatsApp id (digits with the country code)'),
  id: z.string().min(1).max(256),
  timestamp: z.union([z.string(), z.number()]).optional(),
  type: z.string().max(64),
  text: z.object({ body: z.string().max(65_536) }).optional(),
  button: z.object({ text: z.string().max(1_024).optional(), payload: z.string().max(1_024).optional() }).optional(),
});

/** The part of Meta's webhook payload Disparo reads: message statuses and incoming messages. */
const WebhookPayload = z.object({
  object: z.string().optional(),
  entry: z
    .array(
      z.object({
        changes: z
          .array(
            z.object({
              field: z.string().optional(),
              value: z
                .object({
                  statuses: z
                    .array(
                      z.object({
                        id: z.string().min(1).max(256),
                        status: z.string(),
                        timestamp: z.union([z.string(), z.number()]).optional(),
                        errors: z
                          .array(
                            z.object({
                              code: z.number().optional(),
                              title: z.string().optional(),
                              message: z.string().optional(),
                            }),
                          )
                          .optional(),
                      }),
                    )
                    .optional(),
                  messages: z.array(InboundMessage).max(1_000).optional(),
                })
                .passthrough()
                .optional(),
            }),
          )
          .default([]),
      }),
    )
    .default([]),
});

const KNOWN_STATUS = new Set<string>(DELIVERY_STATUSES);

/**
 * WhatsApp Cloud API webhooks, one URL per connection: `/webhooks/whatsapp/:connectionId` (so the
 * connection's app secret and verify token are known). No API key: Meta authenticates by the
 * verify token (GET handshake) and by signing every POST with the app secret.
 */
const TAG = 'Webhooks';
const ConnectionParams = z.strictObject({ connectionId: ObjectIdText });
const VerifyQuery = z.object({
  'hub.mode': z.string().optional(),
  'hub.verify_token': z.string().optional(),
  'hub.challenge': z.string().max(1_000).optional(),
});

export function webhookRoutes(api: ApiRouter, { pipeline }: ApiContext): void {
  const connectionOf = (id: string) => readsOf(pipeline).cloudApiConnectionOf(id);
  const cloudApiOf = async (id: string) => (await connectionOf(id)).settings;

  /** Meta's verification handshake: echo hub.challenge when the verify token matches. */
  api.define(
    {
      method: 'get',
      path: '/webhooks/whatsapp/:connectionId',
      tag: TAG,
      access: 'signed',
      summary: 'Meta’s webhook verification handshake (echoes hub.challenge when hub.verify_token matches)',
      params: ConnectionParams,
      query: VerifyQuery,
      responses: {
        200: { description: 'the challenge', contentType: 'text/plain' },
        403: 'verification failed',
        404: 'no such Cloud API connection',
      },
    },
    async (ctx, { params, query }) => {
      const settings = await cloudApiOf(params.connectionId);
      if (query['hub.mode'] !== 'subscribe' || !sameSecretText(query['hub.verify_token'], settings.verifyToken)) {
        throw new HttpProblem(403, 'Forbidden', 'verification failed');
      }
      ctx.type = 'text/plain';
      ctx.body = query['hub.challenge'] ?? '';
    },
  );

  /** Status updates, signed with the app secret over the raw body (X-Hub-Signature-256). */
  api.define(
    {
      method: 'post',
      path: '/webhooks/whatsapp/:connectionId',
      tag: TAG,
      access: 'signed',
      summary:
        'Message statuses and incoming messages from the Cloud API, signed with the app secret (X-Hub-Signature-256)',
      description:
        'The body is validated after its signature is checked, so an unsigned caller learns nothing about it. An incoming text (or quick-reply button) that is one of the company’s opt-out keywords suppresses the sender; an opt-in keyword undoes it; other messages change nothing.',
      params: ConnectionParams,
      documentedBody: WebhookPayload,
      responses: {
        200: {
          description: 'how many statuses were applied, and what the incoming messages did',
          schema: z.object({ received: z.record(z.string(), z.number()) }),
        },
        400: 'not a webhook payload',
        401: 'missing or invalid signature',
        404: 'no such Cloud API connection',
      },
    },
    async (ctx, { params }) => {
      const { connectionId } = params;
      const { companyId, settings } = await connectionOf(connectionId);
      const raw = (ctx.request as { rawBody?: string }).rawBody;
      if (raw === undefined || !isValidWebhookSignature(raw, ctx.get('x-hub-signature-256'), settings.appSecret)) {
        throw new HttpProblem(401, 'Unauthorized', 'missing or invalid X-Hub-Signature-256');
      }
      const payload = WebhookPayload.safeParse(ctx.request.body);
      if (!payload.success)
        throw new HttpProblem(400, 'Bad Request', 'not a WhatsApp webhook payload', fieldErrors(payload.error, 'body'));
      const outcomes: Record<StatusOutcome | 'ignored' | 'messages' | 'optedOut' | 'optedIn', number> = {
        applied: 0,
        stale: 0,
        unknown: 0,
        ignored: 0,
        messages: 0,
        optedOut: 0,
        optedIn: 0,
      };
      for (const entry of payload.data.entry) {
        for (const change of entry.changes) {
          for (const status of change.value?.statuses ?? []) {
            if (!KNOWN_STATUS.has(status.status)) {
              outcomes.ignored++;
              continue;
            }
            const error = status.errors?.[0];
            const outcome = await applyDeliveryStatus(pipeline, connectionId, {
              providerMessageId: status.id,
              status: status.status as (typeof DELIVERY_STATUSES)[number],
              at: timeOf(status.timestamp, pipeline.now()),
              reason: error ? `${error.code ?? 'unknown'}: ${error.title ?? error.message ?? 'failed'}` : null,
            });
            outcomes[outcome]++;
          }
          for (const message of change.value?.messages ?? []) {
            const text = message.text?.body ?? message.button?.text ?? message.button?.payload;
            if (text === undefined) continue; // media, reactions, locations: never a keyword
            outcomes.messages++;
            const inbound = await receiveInboundMessage(pipeline, {
              companyId,
              connectionId,
              from: `+${message.from}`,
              text,
              at: timeOf(message.timestamp, pipeline.now()),
              source: 'cloud-api',
            });
            if (inbound.action === 'opted-out' && inbound.changed) outcomes.optedOut++;
            if (inbound.action === 'opted-in' && inbound.changed) outcomes.optedIn++;
          }
        }
      }
      if (outcomes.unknown > 0)
        pipeline.logger.info('status webhook for messages Disparo does not know (yet)', { connectionId, ...outcomes });
      ctx.body = { received: outcomes };
    },
  );
}

/** Meta's timestamps are seconds since the epoch, as text; anything else means "now". */
function timeOf(timestamp: string | number | undefined, now: number): Date {
  const seconds = Number(timestamp);
  return Number.isFinite(seconds) && seconds > 0 && seconds < 1e11 ? new Date(seconds * 1000) : new Date(now);
}
