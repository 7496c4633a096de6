import Router from '@koa/router';
import { z } from 'zod';
import { ContactsChanged, ContactSyncRequested } from '../../domain/events/contact-messages';
import { seedSandboxContacts } from '../../infrastructure/gateways/sandbox/sandbox-contacts';
import { sandboxStore } from '../../infrastructure/gateways/sandbox/sandbox-store';
import type { ContactSyncDoc } from '../../infrastructure/mongo/models/contact-jobs';
import { publishEvent } from '../../../publishers/domain-event';
import { type ApiContext, causeOf } from '../api-context';
import { companyOf } from '../auth';
import { HttpProblem } from '../problem';
import { pathId, validate } from '../validation';

export const SeedSandboxContactsBody = z.object({
  /** How the simulated WhatsApp reads numbers written without a country code. */
  region: z.string().regex(/^[A-Z]{2}$/, 'must be an ISO 3166 country code such as BR').default('BR'),
  contacts: z
    .array(z.object({ phone: z.string().min(1).max(64), name: z.string().max(200).optional(), onWhatsApp: z.boolean().optional() }))
    .min(1)
    .max(10_000),
});

function syncView(run: ContactSyncDoc) {
  const { _id, companyId: _company, connectionId, ...rest } = run;
  return { id: _id, connectionId: String(connectionId), ...rest };
}

/**
 * Contact sync from a WhatsApp connection: start one (202, its id to follow), see the latest runs,
 * and, for sandbox connections, seed the simulated number's address book (which, like a provider's
 * webhook would, announces ContactsChanged and so starts a sync).
 */
export function contactSyncRoutes({ pipeline }: ApiContext): Router {
  const { Connection, ContactSync } = pipeline.models;
  const router = new Router();

  const ownConnection = async (companyId: string, id: string | undefined) => {
    const connection = await Connection.findOne({ _id: pathId(id, 'connection'), companyId }, { _id: 1, gateway: 1 }).lean();
    if (!connection) throw new HttpProblem(404, 'Not Found', 'no such connection');
    return connection;
  };

  router.post('/v1/connections/:id/sync', async (ctx) => {
    const connection = await ownConnection(companyOf(ctx), ctx.params.id);
    const syncId = await publishEvent(pipeline.publisher, ContactSyncRequested, { connectionId: String(connection._id) }, causeOf(ctx));
    ctx.status = 202;
    ctx.body = { syncId, status: 'requested', progress: `/v1/connections/${String(connection._id)}/syncs/${syncId}` };
  });

  router.get('/v1/connections/:id/syncs', async (ctx) => {
    const connection = await ownConnection(companyOf(ctx), ctx.params.id);
    const runs = await ContactSync.find({ connectionId: connection._id }).sort({ startedAt: -1 }).limit(20).lean();
    ctx.body = { items: runs.map(syncView) };
  });

  router.get('/v1/connections/:id/syncs/:syncId', async (ctx) => {
    const connection = await ownConnection(companyOf(ctx), ctx.params.id);
    const run = await ContactSync.findOne({ _id: ctx.params.syncId, connectionId: connection._id }).lean();
    // Not stored yet: the sync was requested and no worker has taken it.
    ctx.body = run ? syncView(run) : { id: ctx.params.syncId, connectionId: String(connection._id), status: 'requested' };
  });

  router.post('/v1/connections/:id/sandbox/contacts', async (ctx) => {
    const connection = await ownConnection(companyOf(ctx), ctx.params.id);
    if (connection.gateway !== 'sandbox') throw new HttpProblem(409, 'Conflict', 'only sandbox connections have a simulated address book');
    const body = validate(SeedSandboxContactsBody, ctx.request.body, 'body');
    const connectionId = String(connection._id);
    const stored = await seedSandboxContacts(sandboxStore(Connection.db), connectionId, body.contacts, body.region);
    const syncId = await publishEvent(pipeline.publisher, ContactsChanged, { connectionId }, causeOf(ctx));
    ctx.body = { stored, syncId };
  });

  return router;
}
