import Router from '@koa/router';
import { z } from 'zod';
import { applyDeliveryStatus, type StatusOutcome } from '../../application/delivery-status';
import { DELIVERY_STATUSES } from '../../domain/whatsapp/delivery-status';
import { isValidWebhookSignature, sameSecretText } from '../../domain/whatsapp/webhook-signature';
import type { ApiContext } from '../api-context';
import { HttpProblem } from '../problem';

/** The part of Meta's webhook payload Disparo reads: message statuses (incoming messages are ignored). */
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
                        errors: z.array(z.object({ code: z.number().optional(), title: z.string().optional(), message: z.string().optional() })).optional(),
                      }),
                    )
                    .optional(),
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
export function webhookRoutes({ pipeline }: ApiContext): Router {
  const { Connection } = pipeline.models;
  const router = new Router();

  const cloudApiOf = async (id: string | undefined) => {
    const connection = id && /^[a-f0-9]{24}$/.test(id) ? await Connection.findById(id, { gateway: 1, cloudApi: 1 }).lean() : null;
    if (!connection?.cloudApi) throw new HttpProblem(404, 'Not Found', 'no such WhatsApp Cloud API connection');
    return connection.cloudApi;
  };

  /** Meta's verification handshake: echo hub.challenge when the verify token matches. */
  router.get('/webhooks/whatsapp/:connectionId', async (ctx) => {
    const settings = await cloudApiOf(ctx.params.connectionId);
    const query = ctx.query as Record<string, string | undefined>;
    if (query['hub.mode'] !== 'subscribe' || !sameSecretText(query['hub.verify_token'], settings.verifyToken)) {
      throw new HttpProblem(403, 'Forbidden', 'verification failed');
    }
    ctx.type = 'text/plain';
    ctx.body = String(query['hub.challenge'] ?? '');
  });

  /** Status updates, signed with the app secret over the raw body (X-Hub-Signature-256). */
  router.post('/webhooks/whatsapp/:connectionId', async (ctx) => {
    const connectionId = ctx.params.connectionId!;
    const settings = await cloudApiOf(connectionId);
    const raw = (ctx.request as { rawBody?: string }).rawBody;
    if (raw === undefined || !isValidWebhookSignature(raw, ctx.get('x-hub-signature-256'), settings.appSecret)) {
      throw new HttpProblem(401, 'Unauthorized', 'missing or invalid X-Hub-Signature-256');
    }
    const payload = WebhookPayload.safeParse(ctx.request.body);
    if (!payload.success) throw new HttpProblem(400, 'Bad Request', 'not a WhatsApp webhook payload');
    const outcomes: Record<StatusOutcome | 'ignored', number> = { applied: 0, stale: 0, unknown: 0, ignored: 0 };
    for (const entry of payload.data.entry) {
      for (const change of entry.changes) {
        for (const status of change.value?.statuses ?? []) {
          if (!KNOWN_STATUS.has(status.status)) {
            outcomes.ignored++;
            continue;
          }
          const seconds = Number(status.timestamp);
          const error = status.errors?.[0];
          const outcome = await applyDeliveryStatus(pipeline, connectionId, {
            providerMessageId: status.id,
            status: status.status as (typeof DELIVERY_STATUSES)[number],
            at: Number.isFinite(seconds) && seconds > 0 ? new Date(seconds * 1000) : new Date(pipeline.now()),
            reason: error ? `${error.code ?? 'unknown'}: ${error.title ?? error.message ?? 'failed'}` : null,
          });
          outcomes[outcome]++;
        }
      }
    }
    if (outcomes.unknown > 0) pipeline.logger.info('status webhook for messages Disparo does not know (yet)', { connectionId, ...outcomes });
    ctx.body = { received: outcomes };
  });

  return router;
}
