import assert from 'node:assert/strict';
import { after, before, describe, test } from 'node:test';
import { openApiPath } from '../../src/api/openapi';
import { routeTable } from '../../src/api/operation';
import { startSystem, type TestSystem } from '../support/system';

type Json = Record<string, any>;

describe('the OpenAPI document and its page', () => {
  let system: TestSystem;
  let document: Json;
  before(async () => {
    system = await startSystem('openapi', { workers: [] });
    const response = await fetch(`${system.apiUrl}/openapi.json`);
    assert.equal(response.status, 200);
    assert.match(response.headers.get('content-type') ?? '', /application\/json/);
    document = (await response.json()) as Json;
  });
  after(() => system.stop());

  const documented = () =>
    Object.entries(document.paths as Json).flatMap(([path, methods]) =>
      Object.keys(methods as Json).map((method) => `${method.toUpperCase()} ${path}`),
    );

  test('every route the router serves is in the document, and every documented operation is served', () => {
    const served = routeTable(system.app).map((route) => `${route.method} ${openApiPath(route.path)}`);
    assert.equal(new Set(served).size, served.length, 'no route is registered twice');
    const inDocument = new Set(documented());
    assert.deepEqual(
      served.filter((route) => !inDocument.has(route)),
      [],
      'routes missing from /openapi.json (define them through ApiRouter)',
    );
    const servedSet = new Set(served);
    assert.deepEqual(
      [...inDocument].filter((route) => !servedSet.has(route)),
      [],
      'documented operations nobody serves',
    );
  });

  test('each operation is complete: an id, path parameters declared, responses, schemas from zod', () => {
    assert.equal(document.openapi, '3.1.0');
    const ids = new Set<string>();
    for (const [path, methods] of Object.entries(document.paths as Json)) {
      for (const [method, operation] of Object.entries(methods as Json)) {
        const where = `${method.toUpperCase()} ${path}`;
        assert.ok(operation.operationId && !ids.has(operation.operationId), `${where}: unique operationId`);
        ids.add(operation.operationId);
        assert.ok(operation.summary, `${where}: summary`);
        const declared = (operation.parameters ?? [])
          .filter((p: Json) => p.in === 'path')
          .map((p: Json) => p.name)
          .sort();
        const inPath = [...path.matchAll(/\{(\w+)\}/g)].map((match) => match[1]).sort();
        assert.deepEqual(declared, inPath, `${where}: path parameters`);
        assert.ok(
          Object.keys(operation.responses).some((status) => status.startsWith('2')),
          `${where}: a success response`,
        );
        if (operation['x-access'] === 'company' || operation['x-access'] === 'admin')
          assert.ok(operation.responses['401'], `${where}: documents 401`);
        if (inPath.length > 0) assert.ok(operation.responses['400'], `${where}: documents 400 for bad parameters`);
      }
    }
    // The schemas are the validating ones: constraints show up in the document.
    const createCampaign = document.paths['/v1/campaigns'].post.requestBody.content['application/json'].schema;
    // Variants or a template: either may be left out (the other is then required, checked by the route).
    // One number (connectionId) or several (connectionIds): either may be left out, the other is then required.
    assert.deepEqual(createCampaign.required.sort(), ['listId', 'name']);
    assert.equal(createCampaign.properties.connectionIds.maxItems, 20);
    assert.equal(createCampaign.properties.variants.maxItems, 5);
    assert.deepEqual(createCampaign.properties.template.required.sort(), ['language', 'name']);
    assert.deepEqual(Object.keys(createCampaign.properties.template.properties.components.properties), [
      'header',
      'body',
      'buttons',
    ]);
    assert.equal(createCampaign.additionalProperties, false);
    const limit = document.paths['/v1/campaigns'].get.parameters.find((p: Json) => p.name === 'limit');
    assert.equal(limit.schema.maximum, 200);
    const progress =
      document.paths['/v1/campaigns/{id}/progress'].get.responses['200'].content['application/json'].schema;
    assert.ok(progress.properties.estimatedFinishAt);
  });

  test('/docs/plain renders every operation in one self-contained page', async () => {
    const response = await fetch(`${system.apiUrl}/docs/plain`);
    assert.equal(response.status, 200);
    assert.match(response.headers.get('content-type') ?? '', /text\/html/);
    const html = await response.text();
    for (const operation of documented()) {
      const [method, path] = operation.split(' ');
      assert.ok(html.includes(`${method}</span> <code>${path}</code>`), `${operation} on the page`);
    }
    assert.doesNotMatch(html, /<script|<link|src="http/i, 'nothing loaded from elsewhere (the machine may be offline)');
  });
});
