import { Types } from 'mongoose';
import { z } from 'zod';
import { importContacts } from '../../application/contacts/contact-service';
import { CsvHeaderError, importView } from '../../application/contacts/csv-import';
import { readsOf } from '../../application/service-registry';
import type { ApiContext } from '../api-context';
import { companyOf } from '../auth';
import type { ApiRouter } from '../operation';
import { HttpProblem } from '../problem';
import { IdParams, ObjectIdText } from '../schemas';

const CSV_TYPES = ['text/csv', 'application/csv', 'text/plain'];

const ImportQuery = z.strictObject({
  importId: ObjectIdText.optional().describe('name the import beforehand, to follow it from another request'),
});
const ImportParams = z.strictObject({ id: ObjectIdText, importId: ObjectIdText });
const ImportView = z.object({ id: z.string(), status: z.enum(['running', 'completed', 'failed']) }).loose();

const TAG = 'Contact lists';
const notFound = { 404: 'no such contact list (or another company’s)' };

/**
 * CSV import into a contact list. The body is the CSV itself (`Content-Type: text/csv`), streamed
 * from the socket, never buffered; the request runs the import and answers 201 with the report.
 * `?importId=<24 hex>` lets the client name the import beforehand, so it can follow the progress
 * with GET …/imports/:importId from another request while the upload runs (the CLI does).
 */
export function contactImportRoutes(api: ApiRouter, { pipeline }: ApiContext): void {
  const reads = readsOf(pipeline);
  const ownList = (companyId: string, id: string) => reads.list(companyId, id, { _id: 1 });

  api.define(
    {
      method: 'post',
      path: '/v1/contact-lists/:id/imports',
      tag: TAG,
      access: 'company',
      summary: 'Import a CSV into a list (streamed; phone column required, other columns become fields)',
      params: IdParams,
      query: ImportQuery,
      rawBodyType: 'text/csv',
      responses: {
        201: { description: 'the import report', schema: ImportView },
        ...notFound,
        409: 'an import with this id exists already',
        415: 'the body is not CSV',
      },
    },
    async (ctx, { params, query }) => {
      const companyId = companyOf(ctx);
      const list = await ownList(companyId, params.id);
      if (!ctx.request.is(CSV_TYPES))
        throw new HttpProblem(
          415,
          'Unsupported Media Type',
          `send the CSV as the body with Content-Type: text/csv (not ${ctx.request.type || 'none'})`,
        );
      const importId = query.importId ? new Types.ObjectId(query.importId) : new Types.ObjectId();
      try {
        const report = await importContacts(pipeline, { importId, companyId, listId: list._id }, ctx.req);
        ctx.status = 201;
        ctx.set('location', `/v1/contact-lists/${params.id}/imports/${String(importId)}`);
        ctx.body = importView(report);
      } catch (error) {
        if (error instanceof CsvHeaderError) throw new HttpProblem(400, 'Bad Request', error.message);
        throw error;
      }
    },
  );

  api.define(
    {
      method: 'get',
      path: '/v1/contact-lists/:id/imports',
      tag: TAG,
      access: 'company',
      summary: 'The latest 20 imports into a list',
      params: IdParams,
      responses: { 200: { description: 'the imports', schema: z.object({ items: z.array(ImportView) }) }, ...notFound },
    },
    async (ctx, { params }) => {
      const companyId = companyOf(ctx);
      const list = await ownList(companyId, params.id);
      const jobs = await reads.imports(companyId, list._id);
      ctx.body = { items: jobs.map((job) => ({ ...importView({ ...job, errors: [] }), errors: undefined })) };
    },
  );

  api.define(
    {
      method: 'get',
      path: '/v1/contact-lists/:id/imports/:importId',
      tag: TAG,
      access: 'company',
      summary: 'One import’s progress or report',
      params: ImportParams,
      responses: { 200: { description: 'the import', schema: ImportView }, 404: 'no such list or import' },
    },
    async (ctx, { params }) => {
      const companyId = companyOf(ctx);
      await ownList(companyId, params.id);
      ctx.body = importView(await reads.import(companyId, params.id, params.importId));
    },
  );
}
