import Router from '@koa/router';
import { DEFAULT_PACING } from '../../domain/pacing/pacing-settings';
import type { ApiContext } from '../api-context';
import { companyOf, hashApiKey, newApiKey, requireAdmin } from '../auth';
import { companyView } from '../presenters';
import { HttpProblem } from '../problem';
import { CreateCompanyBody, pacingToMs } from '../schemas';
import { validate } from '../validation';

export function companyRoutes({ pipeline }: ApiContext): Router {
  const { Company, ApiKey } = pipeline.models;
  const router = new Router();

  /** Admin: creates a company and its first API key (shown once). */
  router.post('/v1/companies', async (ctx) => {
    requireAdmin(ctx);
    const body = validate(CreateCompanyBody, ctx.request.body, 'body');
    const company = await Company.create({
      name: body.name,
      ...(body.timezone ? { timezone: body.timezone } : {}),
      ...(body.defaultRegion ? { defaultRegion: body.defaultRegion } : {}),
      pacing: { ...DEFAULT_PACING, ...pacingToMs(body.pacing) },
    });
    const apiKey = newApiKey();
    await ApiKey.create({ _id: hashApiKey(apiKey), companyId: company._id, preview: apiKey.slice(0, 8) });
    ctx.status = 201;
    ctx.body = { company: companyView(company.toObject()), apiKey };
  });

  router.get('/v1/company', async (ctx) => {
    const company = await Company.findById(companyOf(ctx)).lean();
    if (!company) throw new HttpProblem(404, 'Not Found', 'no such company');
    ctx.body = companyView(company);
  });

  return router;
}
