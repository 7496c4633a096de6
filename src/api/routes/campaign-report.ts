import { campaignReportCsv } from '../../application/reports/campaign-report';
import type { ApiContext } from '../api-context';
import { companyOf } from '../auth';
import type { ApiRouter } from '../operation';
import { IdParams } from '../schemas';
import { findOwned } from '../tenant';

/** A campaign's per-contact report, streamed as CSV (bounded memory whatever the campaign's size). */
export function campaignReportRoutes(api: ApiRouter, { pipeline }: ApiContext): void {
  const { Campaign } = pipeline.models;
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
      const campaign = await findOwned(Campaign, params.id, companyOf(ctx), 'campaign', { _id: 1 });
      ctx.type = 'text/csv; charset=utf-8';
      ctx.set('content-disposition', `attachment; filename="campaign-${params.id}.csv"`);
      ctx.body = campaignReportCsv(pipeline.models, campaign._id);
    },
  );
}
