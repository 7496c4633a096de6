import { z } from 'zod';
import { docsPage } from '../docs-page';
import { openApiDocument } from '../openapi';
import type { ApiRouter } from '../operation';
import { SWAGGER_ASSETS, SWAGGER_CSP, SWAGGER_PAGE, type SwaggerAsset, swaggerAsset } from '../swagger-ui';

const TAG = 'Documentation';

/**
 * The OpenAPI document and its page. Built on first request, when every operation is defined
 * (define these routes last or first: the document lists the router's operations either way).
 */
export function docsRoutes(api: ApiRouter, version: string): void {
  let document: Record<string, unknown> | undefined;
  let page: string | undefined;
  const built = () => (document ??= openApiDocument(api.operations, { version }));

  api.define(
    {
      method: 'get',
      path: '/openapi.json',
      tag: TAG,
      access: 'public',
      summary: 'This API as an OpenAPI 3.1 document',
      responses: { 200: { description: 'the document', schema: z.object({ openapi: z.string() }).loose() } },
    },
    (ctx) => {
      ctx.body = built();
    },
  );

  api.define(
    {
      method: 'get',
      path: '/docs',
      tag: TAG,
      access: 'public',
      summary: 'Swagger UI over /openapi.json: authorize once with an API key, then try any call',
      responses: { 200: { description: 'the page', contentType: 'text/html' } },
    },
    (ctx) => {
      ctx.set('content-security-policy', SWAGGER_CSP);
      ctx.set('referrer-policy', 'no-referrer');
      ctx.type = 'text/html; charset=utf-8';
      ctx.body = SWAGGER_PAGE;
    },
  );

  api.define(
    {
      method: 'get',
      path: '/docs/assets/:file',
      tag: TAG,
      access: 'public',
      summary: 'The files of the /docs page (Swagger UI, served from this server, never a CDN)',
      params: z.strictObject({ file: z.enum([...(Object.keys(SWAGGER_ASSETS) as SwaggerAsset[]), 'init.js']) }),
      responses: { 200: { description: 'the file', contentType: 'application/octet-stream' } },
    },
    (ctx, { params }) => {
      const asset = swaggerAsset(params.file);
      ctx.set('cache-control', 'public, max-age=3600');
      ctx.set('x-content-type-options', 'nosniff');
      ctx.type = asset.type;
      ctx.body = asset.body;
    },
  );

  api.define(
    {
      method: 'get',
      path: '/docs/plain',
      tag: TAG,
      access: 'public',
      summary: 'The OpenAPI document as a plain page (no script)',
      responses: { 200: { description: 'the page', contentType: 'text/html' } },
    },
    (ctx) => {
      ctx.type = 'text/html; charset=utf-8';
      ctx.body = page ??= docsPage(built());
    },
  );
}
