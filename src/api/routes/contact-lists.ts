import { Types } from 'mongoose';
import { z } from 'zod';
import { normalisePhone } from '../../domain/contacts/phone';
import type { ApiContext } from '../api-context';
import { companyOf } from '../auth';
import type { ApiRouter } from '../operation';
import { pageOf } from '../pagination';
import { listView } from '../presenters';
import { ListPage, ListView, ListWithMembers } from '../responses';
import { AddContactsBody, CreateListBody, IdParams, PageQuery } from '../schemas';
import { findOwned } from '../tenant';

const TAG = 'Contact lists';
const notFound = { 404: 'no such contact list (or another company’s)' };

const AddedContacts = z.object({
  added: z.number().int(),
  rejected: z.array(z.object({ index: z.number().int(), phone: z.string(), reason: z.string() })),
});

export function contactListRoutes(api: ApiRouter, { pipeline }: ApiContext): void {
  const { ContactList, Contact, Company } = pipeline.models;

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
      const list = await ContactList.create({ companyId: companyOf(ctx), name: body.name });
      ctx.status = 201;
      ctx.set('location', `/v1/contact-lists/${String(list._id)}`);
      ctx.body = listView(list.toObject());
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
      ctx.body = await pageOf(ContactList, { companyId: new Types.ObjectId(companyOf(ctx)) }, query, listView);
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
      const list = await findOwned(ContactList, params.id, companyId, 'contact list');
      const members = await Contact.countDocuments({ companyId, listIds: list._id });
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
      const list = await findOwned(ContactList, params.id, companyId, 'contact list', { _id: 1 });
      const company = await Company.findById(companyId, { defaultRegion: 1 }).lean();
      const rejected: Array<{ index: number; phone: string; reason: string }> = [];
      const operations = [];
      const now = new Date();
      for (const [index, contact] of body.contacts.entries()) {
        const phone = normalisePhone(contact.phone, company?.defaultRegion ?? 'BR');
        if (!phone.valid) {
          rejected.push({ index, phone: contact.phone, reason: phone.reason });
          continue;
        }
        const fields = Object.fromEntries(
          Object.entries(contact.fields ?? {}).map(([key, value]) => [key, String(value)]),
        );
        operations.push({
          updateOne: {
            filter: { companyId: new Types.ObjectId(companyId), phone: phone.e164 },
            update: {
              $set: {
                updatedAt: now,
                ...(contact.name === undefined ? {} : { name: contact.name }),
                ...(contact.fields === undefined ? {} : { fields }),
              },
              $setOnInsert: {
                valid: true,
                onWhatsApp: null,
                rejectReason: null,
                checkedAt: null,
                ...(contact.name === undefined ? { name: null } : {}),
                ...(contact.fields === undefined ? { fields: {} } : {}),
              },
              $addToSet: { listIds: list._id },
            },
            upsert: true,
          },
        });
      }
      if (operations.length > 0) await Contact.bulkWrite(operations, { ordered: false });
      ctx.body = { added: operations.length, rejected };
    },
  );
}
