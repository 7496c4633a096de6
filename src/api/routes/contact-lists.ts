import { z } from 'zod';
import { addContacts, createList } from '../../application/contacts/contact-lists';
import { readsOf } from '../../application/service-registry';
import type { ApiContext } from '../api-context';
import { companyOf } from '../auth';
import type { ApiRouter } from '../operation';
import { listView, pageView } from '../presenters';
import { ListPage, ListView, ListWithMembers } from '../responses';
import { AddContactsBody, CreateListBody, IdParams, PageQuery } from '../schemas';

const TAG = 'Contact lists';
const notFound = { 404: 'no such contact list (or another company’s)' };

const AddedContacts = z.object({
  added: z.number().int(),
  rejected: z.array(z.object({ index: z.number().int(), phone: z.string(), reason: z.string() })),
});

export function contactListRoutes(api: ApiRouter, { pipeline }: ApiContext): void {
  const reads = readsOf(pipeline);

  api.define(
    {
      method: 'post',
      path: '/v1/contact-lists',
      tag: TAG,
      access: 'company',
      summary: 'Create a contact list',
      body: CreateListBody,
      responses: { 201: { description: 'the list', schema: ListView } },
    },
    async (ctx, { body }) => {
      const list = await createList(pipeline, companyOf(ctx), body.name);
      ctx.status = 201;
      ctx.set('location', `/v1/contact-lists/${String(list._id)}`);
      ctx.body = listView(list);
    },
  );

  api.define(
    {
      method: 'get',
      path: '/v1/contact-lists',
      tag: TAG,
      access: 'company',
      summary: 'List the contact lists, newest first',
      query: PageQuery,
      responses: { 200: { description: 'a page of lists', schema: ListPage } },
    },
    async (ctx, { query }) => {
      ctx.body = pageView(await reads.lists(companyOf(ctx), query), listView);
    },
  );

  api.define(
    {
      method: 'get',
      path: '/v1/contact-lists/:id',
      tag: TAG,
      access: 'company',
      summary: 'Get a list and its number of members',
      params: IdParams,
      responses: { 200: { description: 'the list', schema: ListWithMembers }, ...notFound },
    },
    async (ctx, { params }) => {
      const companyId = companyOf(ctx);
      const list = await reads.list(companyId, params.id);
      const members = await reads.members(companyId, list._id);
      ctx.body = { ...listView(list), members };
    },
  );

  /**
   * Adds contacts to a list (up to 10,000 per call), normalising phones to E.164 with the
   * company's region. A contact is one per (company, phone): adding it again updates its name and
   * fields and adds the list. Rows with a bad phone are reported back, the rest are stored.
   */
  api.define(
    {
      method: 'post',
      path: '/v1/contact-lists/:id/contacts',
      tag: TAG,
      access: 'company',
      summary: 'Add up to 10,000 contacts to a list (phones normalised to E.164; bad rows reported)',
      params: IdParams,
      body: AddContactsBody,
      responses: {
        200: { description: 'how many were added, and the rejected rows', schema: AddedContacts },
        ...notFound,
      },
    },
    async (ctx, { params, body }) => {
      const companyId = companyOf(ctx);
      const list = await reads.list(companyId, params.id, { _id: 1 });
      ctx.body = await addContacts(pipeline, companyId, list._id, body.contacts);
    },
  );
}
