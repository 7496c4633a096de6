import { issueCompanyApiKey, revokeApiKey } from '../../application/companies/company-service';
import { readsOf } from '../../application/service-registry';
import type { ApiContext } from '../api-context';
import { companyOf } from '../auth';
import type { ApiRouter } from '../operation';
import { apiKeyView } from '../presenters';
import { ApiKeyList, CreatedApiKey } from '../responses';
import { ApiKeyParams, CreateApiKeyBody } from '../schemas';

const TAG = 'API keys';

/** A company's API keys: more of them (one per integration), listed without secrets, revoked at once. */
export function apiKeyRoutes(api: ApiRouter, { pipeline, caches }: ApiContext): void {
  const reads = readsOf(pipeline);

  api.define(
    {
      method: 'post',
      path: '/v1/api-keys',
      tag: TAG,
      access: 'company',
      summary: 'Create another API key (the plain key is shown this once)',
      body: CreateApiKeyBody,
      responses: { 201: { description: 'the key', schema: CreatedApiKey } },
    },
    async (ctx, { body }) => {
      const { record, apiKey } = await issueCompanyApiKey(pipeline, companyOf(ctx), body.label);
      ctx.status = 201;
      ctx.body = { ...apiKeyView(record), apiKey };
    },
  );

  api.define(
    {
      method: 'get',
      path: '/v1/api-keys',
      tag: TAG,
      access: 'company',
      summary: 'List the company’s API keys (never the keys themselves)',
      responses: { 200: { description: 'the keys', schema: ApiKeyList } },
    },
    async (ctx) => {
      const keys = await reads.apiKeys(companyOf(ctx));
      ctx.body = { items: keys.map(apiKeyView) };
    },
  );

  api.define(
    {
      method: 'delete',
      path: '/v1/api-keys/:keyId',
      tag: TAG,
      access: 'company',
      summary: 'Revoke an API key: it is refused from the next request on',
      params: ApiKeyParams,
      responses: { 204: 'revoked', 404: 'no such key' },
    },
    async (ctx, { params }) => {
      const hash = await revokeApiKey(pipeline, companyOf(ctx), params.keyId);
      caches.apiKeys.delete(hash);
      ctx.status = 204;
    },
  );
}
