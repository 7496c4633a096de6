import Router from '@koa/router';
import { z } from 'zod';
import { REPLAY_MODES, ReplayError, replayEvents } from '../../application/replay';
import { REPLAY_CONSUMERS } from '../../application/replay-explain';
import { EventLog, type EventFilter } from '../../infrastructure/mongo/event-log';
import type { ApiContext } from '../api-context';
import { companyOf, requireAdmin } from '../auth';
import { eventView } from '../presenters';
import { HttpProblem } from '../problem';
import { pathId, validate } from '../validation';

const RecordIdText = z.string().regex(/^[a-f0-9]{24}$/, 'must be a 24-character hex id');

export const EventsQuery = z.object({
  type: z.string().regex(/^[A-Za-z]+(,[A-Za-z]+)*$/, 'comma-separated event types').optional(),
  correlationId: z.string().min(1).max(128).optional(),
  from: z.iso.datetime({ offset: true }).optional(),
  to: z.iso.datetime({ offset: true }).optional(),
  page: z.coerce.number().int().min(1).max(100_000).default(1),
  pageSize: z.coerce.number().int().min(1).max(500).default(100),
});

export const ReplayBody = z.object({
  filter: z.object({
    companyId: RecordIdText,
    campaignId: RecordIdText.optional(),
    contactId: RecordIdText.optional(),
    correlationId: z.string().min(1).max(128).optional(),
    types: z.array(z.string().regex(/^[A-Za-z]+$/)).max(50).optional(),
    from: z.iso.datetime({ offset: true }).optional(),
    to: z.iso.datetime({ offset: true }).optional(),
  }),
  mode: z.enum(REPLAY_MODES).default('debug'),
  consumer: z.enum(REPLAY_CONSUMERS).optional(),
  limit: z.number().int().min(1).max(100_000).default(10_000),
});

export function eventRoutes({ pipeline }: ApiContext): Router {
  const eventLog = new EventLog(pipeline.models.Campaign.db);
  const router = new Router();

  const list = async (query: unknown, filter: EventFilter) => {
    const q = validate(EventsQuery, query, 'query');
    const items = await eventLog.find(
      { ...filter, types: q.type?.split(','), correlationId: q.correlationId, from: q.from ? new Date(q.from) : undefined, to: q.to ? new Date(q.to) : undefined },
      { limit: q.pageSize, skip: (q.page - 1) * q.pageSize },
    );
    return { page: q.page, pageSize: q.pageSize, items: items.map(eventView) };
  };

  /** A campaign's events in order: follow a send from CampaignScheduled to MessageDispatched. */
  router.get('/v1/campaigns/:id/events', async (ctx) => {
    const companyId = companyOf(ctx);
    const campaign = await pipeline.models.Campaign.exists({ _id: pathId(ctx.params.id, 'campaign'), companyId });
    if (!campaign) throw new HttpProblem(404, 'Not Found', 'no such campaign');
    ctx.body = await list(ctx.query, { companyId, campaignId: ctx.params.id });
  });

  router.get('/v1/contacts/:id/events', async (ctx) => {
    ctx.body = await list(ctx.query, { companyId: companyOf(ctx), contactId: pathId(ctx.params.id, 'contact') });
  });

  router.get('/v1/events', async (ctx) => {
    ctx.body = await list(ctx.query, { companyId: companyOf(ctx) });
  });

  /** Admin: replays recorded events to the debug queue (default), through a consumer's dry run, or live. */
  router.post('/v1/admin/replays', async (ctx) => {
    requireAdmin(ctx);
    const body = validate(ReplayBody, ctx.request.body, 'body');
    const filter: EventFilter = { ...body.filter, from: body.filter.from ? new Date(body.filter.from) : undefined, to: body.filter.to ? new Date(body.filter.to) : undefined };
    try {
      ctx.body = await replayEvents(pipeline, filter, { mode: body.mode, consumer: body.consumer, limit: body.limit });
    } catch (error) {
      if (error instanceof ReplayError) throw new HttpProblem(400, 'Bad Request', error.message, [{ field: 'body.consumer', message: error.message }]);
      throw error;
    }
  });

  return router;
}
