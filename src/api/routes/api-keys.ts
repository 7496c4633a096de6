import { Types } from 'mongoose';
import { issueApiKey } from '../../application/api-keys';
import type { ApiContext } from '../api-context';
import { companyOf } from '../auth';
import type { ApiRouter } from '../operation';
import { apiKeyView } from '../presenters';
import { HttpProblem } from '../problem';
import { ApiKeyList, CreatedApiKey } from '../responses';
import { ApiKeyParams, CreateApiKeyBody } from '../schemas';

const TAG = 'API keys';

/** A company's API keys: more of them (one per integration), listed without secrets, revoked at once. */
export function apiKeyRoutes(api: ApiRouter, { pipeline, caches }: ApiContext): void {
  const { ApiKey } = pipeline.models;

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
      const { record, apiKey } = await issueApiKey(pipeline.models, companyOf(ctx), body.label);
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
      const keys = await ApiKey.find({ companyId: new Types.ObjectId(companyOf(ctx)) })
        .sort({ createdAt: 1 })
        .limit(500)
        .lean();
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
      const key = await ApiKey.findOne(
        { keyId: params.keyId, companyId: new Types.ObjectId(companyOf(ctx)) },
        { _id: 1 },
      ).lean();
      if (!key) throw new HttpProblem(404, 'Not Found', 'no such API key');
      await ApiKey.deleteOne({ _id: key._id });
      caches.apiKeys.delete(key._id);
      ctx.status = 204;
    },
  );
}
