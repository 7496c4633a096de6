import type { z } from 'zod';
import { createCompany, issueCompanyApiKey, updateCompany } from '../../application/companies/company-service';
import { readsOf } from '../../application/service-registry';
import { capSettingsFrom } from '../../domain/pacing/daily-cap';
import type { ApiContext } from '../api-context';
import { companyOf } from '../auth';
import type { ApiRouter } from '../operation';
import { apiKeyView, companyView, pageView } from '../presenters';
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
  const reads = readsOf(pipeline);
  const findCompany = (id: string) => reads.company(id);

  /** Only the fields given change; pacing fields are merged into the stored ones. */
  const update = async (id: string, body: z.infer<typeof UpdateCompanyBody>) => {
    const updated = await updateCompany(pipeline, id, {
      name: body.name,
      timezone: body.timezone,
      defaultRegion: body.defaultRegion,
      pacing: pacingToMs(body.pacing),
      sendingWindows: body.sendingWindows,
      optOut: body.optOut,
      autoPause: body.autoPause,
      dailyCap: body.dailyCap === undefined ? undefined : capSettingsFrom(body.dailyCap),
    });
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
      const { company, apiKey } = await createCompany(pipeline, {
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
      ctx.body = pageView(await reads.companies(query), companyView);
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
      ctx.body = companyView(await update(params.id, body));
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
      const { record, apiKey } = await issueCompanyApiKey(pipeline, params.id, body.label);
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
      ctx.body = companyView(await update(companyOf(ctx), body));
    },
  );
}
