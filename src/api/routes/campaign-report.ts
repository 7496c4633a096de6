import { readsOf } from '../../application/service-registry';
import type { ApiContext } from '../api-context';
import { companyOf } from '../auth';
import type { ApiRouter } from '../operation';
import { IdParams } from '../schemas';

/** A campaign's per-contact report, streamed as CSV (bounded memory whatever the campaign's size). */
export function campaignReportRoutes(api: ApiRouter, { pipeline }: ApiContext): void {
  const reads = readsOf(pipeline);
  api.define(
    {
      method: 'get',
      path: '/v1/campaigns/:id/report.csv',
      tag: 'Campaigns',
      access: 'company',
      summary: 'Per-contact report as CSV: phone, name, variant, status, planned/sent/delivered/read times, failure',
      description:
        "Streamed from a database cursor with back-pressure. Cells a spreadsheet would run as a formula (starting with =, +, -, @, tab or carriage return) are prefixed with an apostrophe; phones in E.164 therefore read `'+55…`.",
      params: IdParams,
      responses: {
        200: { description: 'the report, one row per contact planned', contentType: 'text/csv' },
        404: 'no such campaign (or another company’s)',
      },
    },
    async (ctx, { params }) => {
      const campaign = await reads.campaign(companyOf(ctx), params.id, { _id: 1 });
      ctx.type = 'text/csv; charset=utf-8';
      ctx.set('content-disposition', `attachment; filename="campaign-${params.id}.csv"`);
      ctx.body = reads.campaignReport(campaign._id);
    },
  );
}
