import { z } from 'zod';
import { requestContactSync, seedSandboxAddressBook } from '../../application/contacts/contact-service';
import type { ContactSyncDoc } from '../../application/queries/read-models';
import { readsOf } from '../../application/service-registry';
import { type ApiContext, causeOf } from '../api-context';
import { companyOf } from '../auth';
import type { ApiRouter } from '../operation';
import { HttpProblem } from '../problem';
import { nameText, ObjectIdText } from '../schemas';

export const SeedSandboxContactsBody = z.strictObject({
  /** How the simulated WhatsApp reads numbers written without a country code. */
  region: z
    .string()
    .regex(/^[A-Z]{2}$/, 'must be an ISO 3166 country code such as BR')
    .default('BR'),
  contacts: z
    .array(
      z.strictObject({
        phone: z.string().min(1).max(64),
        name: nameText('name').optional(),
        onWhatsApp: z.boolean().optional(),
      }),
    )
    .min(1)
    .max(10_000),
});

/** A sync's id is the id of the event that requested it (a UUID). */
const SyncParams = z.strictObject({ id: ObjectIdText, syncId: z.uuid('must be a sync id (a UUID)') });
const ConnectionParams = z.strictObject({ id: ObjectIdText });

const SyncView = z.object({ id: z.string(), connectionId: z.string(), status: z.string() }).loose();

function syncView(run: ContactSyncDoc) {
  const { _id, companyId: _company, connectionId, ...rest } = run;
  return { id: _id, connectionId: String(connectionId), ...rest };
}

const TAG = 'Contact sync';
const notFound = { 404: 'no such connection (or another company’s)' };

/**
 * Contact sync from a WhatsApp connection: start one (202, its id to follow), see the latest runs,
 * and, for sandbox connections, seed the simulated number's address book (which, like a provider's
 * webhook would, announces ContactsChanged and so starts a sync).
 */
export function contactSyncRoutes(api: ApiRouter, { pipeline }: ApiContext): void {
  const reads = readsOf(pipeline);
  const ownConnection = (companyId: string, id: string) => reads.connection(companyId, id, { gateway: 1 });

  api.define(
    {
      method: 'post',
      path: '/v1/connections/:id/sync',
      tag: TAG,
      access: 'company',
      summary: 'Start a contact sync from the number’s address book',
      params: ConnectionParams,
      responses: {
        202: {
          description: 'the sync’s id and where to follow it',
          schema: z.object({ syncId: z.string(), status: z.literal('requested'), progress: z.string() }),
        },
        ...notFound,
      },
    },
    async (ctx, { params }) => {
      await ownConnection(companyOf(ctx), params.id);
      const syncId = await requestContactSync(pipeline, causeOf(ctx), params.id);
      ctx.status = 202;
      ctx.body = { syncId, status: 'requested', progress: `/v1/connections/${params.id}/syncs/${syncId}` };
    },
  );

  api.define(
    {
      method: 'get',
      path: '/v1/connections/:id/syncs',
      tag: TAG,
      access: 'company',
      summary: 'The latest 20 syncs of a number',
      params: ConnectionParams,
      responses: { 200: { description: 'the syncs', schema: z.object({ items: z.array(SyncView) }) }, ...notFound },
    },
    async (ctx, { params }) => {
      const connection = await ownConnection(companyOf(ctx), params.id);
      const runs = await reads.syncs(connection._id);
      ctx.body = { items: runs.map(syncView) };
    },
  );

  api.define(
    {
      method: 'get',
      path: '/v1/connections/:id/syncs/:syncId',
      tag: TAG,
      access: 'company',
      summary: 'One sync’s progress',
      params: SyncParams,
      responses: { 200: { description: 'the sync', schema: SyncView }, ...notFound },
    },
    async (ctx, { params }) => {
      const connection = await ownConnection(companyOf(ctx), params.id);
      const run = await reads.sync(connection._id, params.syncId);
      // Not stored yet: the sync was requested and no worker has taken it.
      ctx.body = run ? syncView(run) : { id: params.syncId, connectionId: params.id, status: 'requested' };
    },
  );

  api.define(
    {
      method: 'post',
      path: '/v1/connections/:id/sandbox/contacts',
      tag: TAG,
      access: 'company',
      summary: 'Sandbox only: put contacts in the simulated number’s address book (a sync follows)',
      params: ConnectionParams,
      body: SeedSandboxContactsBody,
      responses: {
        200: {
          description: 'how many were stored, and the sync started',
          schema: z.object({ stored: z.number().int(), syncId: z.string() }),
        },
        ...notFound,
        409: 'not a sandbox connection',
      },
    },
    async (ctx, { params, body }) => {
      const connection = await ownConnection(companyOf(ctx), params.id);
      if (connection.gateway !== 'sandbox')
        throw new HttpProblem(409, 'Conflict', 'only sandbox connections have a simulated address book');
      ctx.body = await seedSandboxAddressBook(pipeline, causeOf(ctx), params.id, body.contacts, body.region);
    },
  );
}
