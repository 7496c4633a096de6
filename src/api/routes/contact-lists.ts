import Router from '@koa/router';
import { Types } from 'mongoose';
import { normalisePhone } from '../../domain/contacts/phone';
import type { ApiContext } from '../api-context';
import { companyOf } from '../auth';
import { HttpProblem } from '../problem';
import { AddContactsBody, CreateListBody } from '../schemas';
import { pathId, validate } from '../validation';

export function contactListRoutes({ pipeline }: ApiContext): Router {
  const { ContactList, Contact, Company } = pipeline.models;
  const router = new Router();

  router.post('/v1/contact-lists', async (ctx) => {
    const body = validate(CreateListBody, ctx.request.body, 'body');
    const list = await ContactList.create({ companyId: companyOf(ctx), name: body.name });
    ctx.status = 201;
    ctx.body = { id: String(list._id), name: list.name, createdAt: list.createdAt };
  });

  router.get('/v1/contact-lists/:id', async (ctx) => {
    const companyId = companyOf(ctx);
    const list = await ContactList.findOne({ _id: pathId(ctx.params.id, 'contact list'), companyId }).lean();
    if (!list) throw new HttpProblem(404, 'Not Found', 'no such contact list');
    const members = await Contact.countDocuments({ companyId, listIds: list._id });
    ctx.body = { id: String(list._id), name: list.name, members, createdAt: list.createdAt };
  });

  /**
   * Adds contacts to a list (up to 10,000 per call), normalising phones to E.164 with the
   * company's region. A contact is one per (company, phone): adding it again updates its name and
   * fields and adds the list. Rows with a bad phone are reported back, the rest are stored.
   */
  router.post('/v1/contact-lists/:id/contacts', async (ctx) => {
    const companyId = companyOf(ctx);
    const list = await ContactList.findOne({ _id: pathId(ctx.params.id, 'contact list'), companyId }, { _id: 1 }).lean();
    if (!list) throw new HttpProblem(404, 'Not Found', 'no such contact list');
    const body = validate(AddContactsBody, ctx.request.body, 'body');
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
      const fields = Object.fromEntries(Object.entries(contact.fields ?? {}).map(([key, value]) => [key, String(value)]));
      operations.push({
        updateOne: {
          filter: { companyId: new Types.ObjectId(companyId), phone: phone.e164 },
          update: {
            $set: { updatedAt: now, ...(contact.name === undefined ? {} : { name: contact.name }), ...(contact.fields === undefined ? {} : { fields }) },
            $setOnInsert: { valid: true, onWhatsApp: null, rejectReason: null, checkedAt: null, ...(contact.name === undefined ? { name: null } : {}), ...(contact.fields === undefined ? { fields: {} } : {}) },
            $addToSet: { listIds: list._id },
          },
          upsert: true,
        },
      });
    }
    if (operations.length > 0) await Contact.bulkWrite(operations, { ordered: false });
    ctx.body = { added: operations.length, rejected };
  });

  return router;
}
