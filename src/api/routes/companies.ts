import type { z } from 'zod';
import { issueApiKey } from '../../application/api-keys';
import { registerCompany } from '../../application/company-registration';
import type { CompanyDoc } from '../../application/read-models';
import { DEFAULT_AUTO_PAUSE } from '../../domain/campaigns/failure-threshold';
import { capSettingsFrom } from '../../domain/pacing/daily-cap';
import { DEFAULT_OPT_OUT, overlappingKeywords } from '../../domain/suppression/opt-out-keywords';
import type { ApiContext } from '../api-context';
import { companyOf } from '../auth';
import type { ApiRouter } from '../operation';
import { pageOf } from '../pagination';
import { apiKeyView, companyView } from '../presenters';
import { HttpProblem } from '../problem';
import { CompanyList, CompanyView, CreatedApiKey, CreatedCompany } from '../responses';
import {
  CompanyIdParams,
  CreateApiKeyBody,
  CreateCompanyBody,
  PageQuery,
  pacingToMs,
  UpdateCompanyBody,
} from '../schemas';

const TAG = 'Companies';

/** Companies are the admin's; a company reads and changes its own settings (pacing, region). */
export function companyRoutes(api: ApiRouter, { pipeline, caches }: ApiContext): void {
  const { Company } = pipeline.models;

  const findCompany = async (id: string) => {
    const company = await Company.findById(id).lean();
    if (!company) throw new HttpProblem(404, 'Not Found', 'no such company');
    return company;
  };

  /** Only the fields given change; pacing fields are merged into the stored ones. */
  const updateCompany = async (id: string, body: z.infer<typeof UpdateCompanyBody>): Promise<CompanyDoc> => {
    const pacing = Object.entries(pacingToMs(body.pacing) ?? {}).map(([key, value]) => [`pacing.${key}`, value]);
    const current = body.optOut || body.autoPause ? await findCompany(id) : null;
    const optOut = body.optOut ? { ...DEFAULT_OPT_OUT, ...current?.optOut, ...body.optOut } : undefined;
    const overlap = optOut ? overlappingKeywords(optOut) : [];
    if (overlap.length > 0)
      throw new HttpProblem(400, 'Bad Request', 'the request body is invalid', [
        { field: 'body.optOut', message: `a keyword cannot both opt out and opt in: ${overlap.join(', ')}` },
      ]);
    const set = {
      ...(optOut ? { optOut } : {}),
      ...(body.autoPause ? { autoPause: { ...DEFAULT_AUTO_PAUSE, ...current?.autoPause, ...body.autoPause } } : {}),
      ...(body.name ? { name: body.name } : {}),
      ...(body.timezone ? { timezone: body.timezone } : {}),
      ...(body.defaultRegion ? { defaultRegion: body.defaultRegion } : {}),
      ...(body.sendingWindows !== undefined ? { sendingWindows: body.sendingWindows } : {}),
      ...(body.dailyCap !== undefined ? { dailyCap: capSettingsFrom(body.dailyCap) } : {}),
      ...Object.fromEntries(pacing),
    };
    const updated =
      Object.keys(set).length > 0
        ? await Company.findOneAndUpdate({ _id: id }, { $set: set }, { returnDocument: 'after' }).lean()
        : await Company.findById(id).lean();
    if (!updated) throw new HttpProblem(404, 'Not Found', 'no such company');
    caches.pacing.delete(id);
    return updated;
  };

  api.define(
    {
      method: 'post',
      path: '/v1/companies',
      tag: TAG,
      access: 'admin',
      summary: 'Create a company and its first API key (shown once)',
      body: CreateCompanyBody,
      responses: { 201: { description: 'the company and its key', schema: CreatedCompany } },
    },
    async (ctx, { body }) => {
      const { company, apiKey } = await registerCompany(pipeline.models, {
        name: body.name,
        timezone: body.timezone,
        defaultRegion: body.defaultRegion,
        pacing: pacingToMs(body.pacing),
        sendingWindows: body.sendingWindows ?? null,
      });
      ctx.status = 201;
      ctx.body = { company: companyView(company), apiKey };
    },
  );

  api.define(
    {
      method: 'get',
      path: '/v1/companies',
      tag: TAG,
      access: 'admin',
      summary: 'List companies, newest first',
      query: PageQuery,
      responses: { 200: { description: 'a page of companies', schema: CompanyList } },
    },
    async (ctx, { query }) => {
      ctx.body = await pageOf(Company, {}, query, companyView);
    },
  );

  api.define(
    {
      method: 'get',
      path: '/v1/companies/:id',
      tag: TAG,
      access: 'admin',
      summary: 'Get a company and its settings',
      params: CompanyIdParams,
      responses: { 200: { description: 'the company', schema: CompanyView }, 404: 'no such company' },
    },
    async (ctx, { params }) => {
      ctx.body = companyView(await findCompany(params.id));
    },
  );

  api.define(
    {
      method: 'patch',
      path: '/v1/companies/:id',
      tag: TAG,
      access: 'admin',
      summary: 'Change a company’s name, region or pacing',
      params: CompanyIdParams,
      body: UpdateCompanyBody,
      responses: { 200: { description: 'the company', schema: CompanyView }, 404: 'no such company' },
    },
    async (ctx, { params, body }) => {
      ctx.body = companyView(await updateCompany(params.id, body));
    },
  );

  api.define(
    {
      method: 'post',
      path: '/v1/companies/:id/api-keys',
      tag: TAG,
      access: 'admin',
      summary: 'Issue an API key for a company (e.g. after it revoked all of its own)',
      params: CompanyIdParams,
      body: CreateApiKeyBody,
      responses: { 201: { description: 'the key, shown this once', schema: CreatedApiKey }, 404: 'no such company' },
    },
    async (ctx, { params, body }) => {
      await findCompany(params.id);
      const { record, apiKey } = await issueApiKey(pipeline.models, params.id, body.label);
      ctx.status = 201;
      ctx.body = { ...apiKeyView(record), apiKey };
    },
  );

  api.define(
    {
      method: 'get',
      path: '/v1/company',
      tag: TAG,
      access: 'company',
      summary: 'The caller’s company and its settings (pacing, region)',
      responses: { 200: { description: 'the company', schema: CompanyView } },
    },
    async (ctx) => {
      ctx.body = companyView(await findCompany(companyOf(ctx)));
    },
  );

  api.define(
    {
      method: 'patch',
      path: '/v1/company',
      tag: TAG,
      access: 'company',
      summary: 'Change the caller’s company settings: pacing, opt-out keywords, auto-pause (nested fields merge)',
      description:
        'New pacing applies to every number of the company from its next send; campaigns may still set stricter values for themselves.',
      body: UpdateCompanyBody,
      responses: { 200: { description: 'the company', schema: CompanyView } },
    },
    async (ctx, { body }) => {
      ctx.body = companyView(await updateCompany(companyOf(ctx), body));
    },
  );
}
