import { z } from 'zod';
import { docsPage } from '../docs-page';
import { openApiDocument } from '../openapi';
import type { ApiRouter } from '../operation';

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
      summary: 'The OpenAPI document as a readable page',
      responses: { 200: { description: 'the page', contentType: 'text/html' } },
    },
    (ctx) => {
      ctx.type = 'text/html; charset=utf-8';
      ctx.body = page ??= docsPage(built());
    },
  );
}
