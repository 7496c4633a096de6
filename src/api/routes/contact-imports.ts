import Router from '@koa/router';
import { Types } from 'mongoose';
import { CsvHeaderError, failImport, importCsv, importView } from '../../application/csv-import';
import { isDuplicateKeyError } from '../../infrastructure/mongo/insert-new';
import type { ApiContext } from '../api-context';
import { companyOf } from '../auth';
import { HttpProblem } from '../problem';
import { pathId } from '../validation';

const CSV_TYPES = ['text/csv', 'application/csv', 'text/plain'];

/**
 * CSV import into a contact list. The body is the CSV itself (`Content-Type: text/csv`), streamed
 * from the socket, never buffered; the request runs the import and answers 201 with the report.
 * `?importId=<24 hex>` lets the client name the import beforehand, so it can follow the progress
 * with GET …/imports/:importId from another request while the upload runs (the CLI does).
 */
export function contactImportRoutes({ pipeline }: ApiContext): Router {
  const { ContactList, ContactImport, Company } = pipeline.models;
  const router = new Router();

  const ownList = async (companyId: string, id: string | undefined) => {
    const list = await ContactList.findOne({ _id: pathId(id, 'contact list'), companyId }, { _id: 1 }).lean();
    if (!list) throw new HttpProblem(404, 'Not Found', 'no such contact list');
    return list;
  };

  router.post('/v1/contact-lists/:id/imports', async (ctx) => {
    const companyId = companyOf(ctx);
    const list = await ownList(companyId, ctx.params.id);
    if (!ctx.request.is(CSV_TYPES)) throw new HttpProblem(415, 'Unsupported Media Type', 'send the CSV as the body with Content-Type: text/csv');
    const asked = ctx.query.importId;
    if (asked !== undefined && (typeof asked !== 'string' || !/^[a-f0-9]{24}$/.test(asked))) {
      throw new HttpProblem(400, 'Bad Request', 'the request query is invalid', [{ field: 'query.importId', message: 'must be a 24-character hex id' }]);
    }
    const company = await Company.findById(companyId, { defaultRegion: 1 }).lean();
    const importId = asked ? new Types.ObjectId(asked) : new Types.ObjectId();
    try {
      await ContactImport.create({ _id: importId, companyId, listId: list._id, status: 'running', startedAt: new Date() });
    } catch (error) {
      if (isDuplicateKeyError(error)) throw new HttpProblem(409, 'Conflict', 'an import with this id exists already');
      throw error;
    }
    try {
      const report = await importCsv(pipeline.models, { importId, companyId: new Types.ObjectId(companyId), listId: list._id, defaultRegion: company?.defaultRegion ?? 'BR' }, ctx.req);
      ctx.status = 201;
      ctx.set('location', `/v1/contact-lists/${String(list._id)}/imports/${String(importId)}`);
      ctx.body = importView(report);
    } catch (error) {
      await failImport(pipeline.models, importId, (error as Error).message ?? String(error));
      if (error instanceof CsvHeaderError) throw new HttpProblem(400, 'Bad Request', error.message);
      throw error;
    }
  });

  router.get('/v1/contact-lists/:id/imports', async (ctx) => {
    const companyId = companyOf(ctx);
    const list = await ownList(companyId, ctx.params.id);
    const jobs = await ContactImport.find({ companyId, listId: list._id }, { errors: 0 }).sort({ startedAt: -1 }).limit(20).lean();
    ctx.body = { items: jobs.map((job) => ({ ...importView({ ...job, errors: [] }), errors: undefined })) };
  });

  router.get('/v1/contact-lists/:id/imports/:importId', async (ctx) => {
    const companyId = companyOf(ctx);
    const list = await ownList(companyId, ctx.params.id);
    const job = await ContactImport.findOne({ _id: pathId(ctx.params.importId, 'import'), companyId, listId: list._id }).lean();
    if (!job) throw new HttpProblem(404, 'Not Found', 'no such import');
    ctx.body = importView(job);
  });

  return router;
}
