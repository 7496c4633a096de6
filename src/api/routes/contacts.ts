import { z } from 'zod';
import { deleteContact } from '../../application/contacts/contact-removal';
import { updateContact } from '../../application/contacts/contact-service';
import { readsOf } from '../../application/service-registry';
import { normalisePhone } from '../../domain/contacts/phone';
import { type ApiContext, causeOf } from '../api-context';
import { companyOf } from '../auth';
import type { ApiRouter } from '../operation';
import { contactView, pageView } from '../presenters';
import { HttpProblem } from '../problem';
import { ContactList, ContactView } from '../responses';
import { ContactsQuery, IdParams, UpdateContactBody } from '../schemas';

const TAG = 'Contacts';
const notFound = { 404: 'no such contact (or another company’s)' };

export function contactRoutes(api: ApiRouter, { pipeline }: ApiContext): void {
  const reads = readsOf(pipeline);
  const findContact = (companyId: string, id: string) => reads.contact(companyId, id);

  api.define(
    {
      method: 'get',
      path: '/v1/contacts',
      tag: TAG,
      access: 'company',
      summary: 'Search contacts by name or phone, optionally in one list; newest first',
      query: ContactsQuery,
      responses: { 200: { description: 'a page of contacts', schema: ContactList } },
    },
    async (ctx, { query }) => {
      const search = { listId: query.listId, text: query.search };
      ctx.body = pageView(await reads.contacts(companyOf(ctx), search, query), contactView);
    },
  );

  api.define(
    {
      method: 'get',
      path: '/v1/contacts/:id',
      tag: TAG,
      access: 'company',
      summary: 'Get a contact',
      params: IdParams,
      responses: { 200: { description: 'the contact', schema: ContactView }, ...notFound },
    },
    async (ctx, { params }) => {
      ctx.body = contactView(await findContact(companyOf(ctx), params.id));
    },
  );

  api.define(
    {
      method: 'patch',
      path: '/v1/contacts/:id',
      tag: TAG,
      access: 'company',
      summary: 'Change a contact’s phone (normalised to E.164), name or fields (replaced as a whole)',
      description: 'Shippings already prepared keep the phone and text they were prepared with.',
      params: IdParams,
      body: UpdateContactBody,
      responses: {
        200: { description: 'the contact', schema: ContactView },
        ...notFound,
        409: 'another contact of the company has this phone',
      },
    },
    async (ctx, { params, body }) => {
      const companyId = companyOf(ctx);
      const contact = await findContact(companyId, params.id);
      const set: Record<string, unknown> = { updatedAt: new Date() };
      if (body.phone !== undefined) {
        const phone = normalisePhone(body.phone, await reads.companyRegion(companyId));
        if (!phone.valid)
          throw new HttpProblem(400, 'Bad Request', 'the request body is invalid', [
            { field: 'body.phone', message: phone.reason },
          ]);
        // A new number has not been checked on WhatsApp yet.
        if (phone.e164 !== contact.phone)
          Object.assign(set, { phone: phone.e164, valid: true, onWhatsApp: null, rejectReason: null, checkedAt: null });
      }
      if (body.name !== undefined) set.name = body.name;
      if (body.fields !== undefined)
        set.fields = Object.fromEntries(Object.entries(body.fields).map(([key, value]) => [key, String(value)]));
      ctx.body = contactView(await updateContact(pipeline, contact._id, set));
    },
  );

  api.define(
    {
      method: 'delete',
      path: '/v1/contacts/:id',
      tag: TAG,
      access: 'company',
      summary: 'Delete a contact; its messages not yet sent are cancelled, its campaigns go on',
      params: IdParams,
      responses: {
        200: {
          description: 'how many of its pending messages were cancelled',
          schema: z.object({ cancelledShippings: z.number().int() }),
        },
        ...notFound,
      },
    },
    async (ctx, { params }) => {
      const contact = await findContact(companyOf(ctx), params.id);
      ctx.body = await deleteContact(pipeline, causeOf(ctx), contact._id);
    },
  );
}
