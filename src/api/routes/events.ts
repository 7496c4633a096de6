import { z } from 'zod';
import { REPLAY_MODES, ReplayError, replayEvents } from '../../application/events/replay';
import { REPLAY_CONSUMERS } from '../../application/events/replay-explain';
import { type EventFilter, eventLogOf } from '../../application/queries/read-models';
import { readsOf } from '../../application/service-registry';
import type { ApiContext } from '../api-context';
import { companyOf } from '../auth';
import type { ApiRouter } from '../operation';
import { eventView } from '../presenters';
import { HttpProblem } from '../problem';
import { EventPage } from '../responses';
import { IdParams } from '../schemas';

const RecordIdText = z.string().regex(/^[a-f0-9]{24}$/, 'must be a 24-character hex id');

export const EventsQuery = z.strictObject({
  type: z
    .string()
    .regex(/^[A-Za-z]+(,[A-Za-z]+)*$/, 'comma-separated event types')
    .optional(),
  correlationId: z.string().min(1).max(128).optional(),
  from: z.iso.datetime({ offset: true }).optional(),
  to: z.iso.datetime({ offset: true }).optional(),
  limit: z.coerce.number().int().min(1).max(500).default(100).describe('items per page, 1–500'),
  cursor: z
    .string()
    .regex(/^[A-Za-z0-9_-]{1,400}$/, 'must be the nextCursor of the previous page')
    .optional()
    .describe('nextCursor of the previous page'),
});

/** An events cursor: the last event's time and id (events are in time order, not id order). */
const encodeCursor = (record: { occurredAt: Date; _id: string }) =>
  Buffer.from(`${record.occurredAt.getTime()}:${record._id}`).toString('base64url');

function decodeCursor(cursor: string): { occurredAt: Date; id: string } {
  const match = /^(\d{1,15}):([\w-]{1,128})$/.exec(Buffer.from(cursor, 'base64url').toString('utf8'));
  if (!match)
    throw new HttpProblem(400, 'Bad Request', 'the request query is invalid', [
      { field: 'query.cursor', message: 'must be the nextCursor of the previous page' },
    ]);
  return { occurredAt: new Date(Number(match[1])), id: match[2]! };
}

export const ReplayBody = z.strictObject({
  filter: z.strictObject({
    companyId: RecordIdText,
    campaignId: RecordIdText.optional(),
    contactId: RecordIdText.optional(),
    correlationId: z.string().min(1).max(128).optional(),
    types: z
      .array(z.string().regex(/^[A-Za-z]+$/))
      .max(50)
      .optional(),
    from: z.iso.datetime({ offset: true }).optional(),
    to: z.iso.datetime({ offset: true }).optional(),
  }),
  mode: z.enum(REPLAY_MODES).default('debug'),
  consumer: z.enum(REPLAY_CONSUMERS).optional(),
  limit: z.number().int().min(1).max(100_000).default(10_000),
});

const TAG = 'Events';

export function eventRoutes(api: ApiRouter, { pipeline, replayDebugTtlMs }: ApiContext): void {
  const eventLog = eventLogOf(pipeline);

  const list = async (q: z.infer<typeof EventsQuery>, filter: EventFilter) => {
    const items = await eventLog.find(
      {
        ...filter,
        types: q.type?.split(','),
        correlationId: q.correlationId,
        from: q.from ? new Date(q.from) : undefined,
        to: q.to ? new Date(q.to) : undefined,
      },
      { limit: q.limit + 1, after: q.cursor ? decodeCursor(q.cursor) : undefined },
    );
    const shown = items.slice(0, q.limit);
    const more = items.length > q.limit;
    return { items: shown.map(eventView), nextCursor: more ? encodeCursor(shown.at(-1)!) : null };
  };
  const page = { 200: { description: 'a page of events, oldest first', schema: EventPage } };

  /** A campaign's events in order: follow a send from CampaignScheduled to MessageDispatched. */
  api.define(
    {
      method: 'get',
      path: '/v1/campaigns/:id/events',
      tag: TAG,
      access: 'company',
      summary: 'A campaign’s events, in order',
      params: IdParams,
      query: EventsQuery,
      responses: { ...page, 404: 'no such campaign' },
    },
    async (ctx, { params, query }) => {
      const companyId = companyOf(ctx);
      await readsOf(pipeline).campaign(companyId, params.id, { _id: 1 });
      ctx.body = await list(query, { companyId, campaignId: params.id });
    },
  );

  api.define(
    {
      method: 'get',
      path: '/v1/contacts/:id/events',
      tag: TAG,
      access: 'company',
      summary: 'A contact’s events, in order',
      params: IdParams,
      query: EventsQuery,
      responses: { ...page, 404: 'no such contact' },
    },
    async (ctx, { params, query }) => {
      const companyId = companyOf(ctx);
      await readsOf(pipeline).contact(companyId, params.id, { _id: 1 });
      ctx.body = await list(query, { companyId, contactId: params.id });
    },
  );

  api.define(
    {
      method: 'get',
      path: '/v1/events',
      tag: TAG,
      access: 'company',
      summary: 'The company’s events, filtered by type, correlation id and time',
      query: EventsQuery,
      responses: page,
    },
    async (ctx, { query }) => {
      ctx.body = await list(query, { companyId: companyOf(ctx) });
    },
  );

  /** Admin: replays recorded events to the debug queue (default), through a consumer's dry run, or live. */
  api.define(
    {
      method: 'post',
      path: '/v1/admin/replays',
      tag: TAG,
      access: 'admin',
      summary: 'Replay recorded events: to the debug queue, through a consumer’s dry run, or live',
      body: ReplayBody,
      responses: { 200: { description: 'what was replayed', schema: z.object({}).loose() } },
    },
    async (ctx, { body }) => {
      const filter: EventFilter = {
        ...body.filter,
        from: body.filter.from ? new Date(body.filter.from) : undefined,
        to: body.filter.to ? new Date(body.filter.to) : undefined,
      };
      try {
        ctx.body = await replayEvents(pipeline, filter, {
          mode: body.mode,
          consumer: body.consumer,
          limit: body.limit,
          debugTtlMs: replayDebugTtlMs,
        });
      } catch (error) {
        if (error instanceof ReplayError)
          throw new HttpProblem(400, 'Bad Request', error.message, [
            { field: 'body.consumer', message: error.message },
          ]);
        throw error;
      }
    },
  );
}
