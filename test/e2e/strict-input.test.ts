import assert from 'node:assert/strict';
import { after, before, describe, test } from 'node:test';
import { routeTable } from '../../src/api/operation';
import { ADMIN_KEY, seedCompany, startSystem, type TestSystem } from '../support/system';

/**
 * Unknown fields are refused on every route, read from the router (a new route is covered without
 * touching this file): a body with one extra field and a query with one extra parameter each get a
 * 400 whose `errors` name that field, before any handler runs.
 */

type Json = Record<string, any>;

/** Well-formed path values: validation runs before the handler, so they need not exist. */
const PATH_VALUES: Record<string, string> = { syncId: '9b2f7c1e-6a3d-4b8e-9f10-2c3d4e5f6a7b', phone: '5511987654321' };
const fill = (path: string) =>
  path.replace(/:(\w+)/g, (_, name: string) => PATH_VALUES[name] ?? '0123456789abcdef01234567');

describe('unknown fields are refused on every route', () => {
  let system: TestSystem;
  let key: string;
  let document: Json;

  before(async () => {
    system = await startSystem('strict', { workers: [] });
    key = (await seedCompany(system, { contacts: 1 })).key;
    document = (await system.api('GET', '/openapi.json')).body;
  });
  after(() => system.stop());

  const operationOf = (method: string, path: string): Json | undefined =>
    document.paths[path.replace(/:(\w+)/g, '{$1}')]?.[method.toLowerCase()];
  const keyFor = (operation: Json) => (operation['x-access'] === 'admin' ? ADMIN_KEY : key);

  async function send(method: string, path: string, operation: Json, body?: string) {
    const response = await fetch(`${system.apiUrl}${path}`, {
      method,
      headers: { authorization: `Bearer ${keyFor(operation)}`, 'content-type': 'application/json' },
      body,
    });
    const text = await response.text();
    return { status: response.status, body: text ? JSON.parse(text) : undefined };
  }

  test('a JSON body with an unknown field answers 400 naming it, on every route with a body', async () => {
    const failures: string[] = [];
    let checked = 0;
    for (const route of routeTable(system.app)) {
      const operation = operationOf(route.method, route.path);
      // Provider webhooks are signed and shaped by the provider: new fields there are the provider's to add.
      if (!operation?.requestBody?.content?.['application/json'] || operation['x-access'] === 'signed') continue;
      checked++;
      const answer = await send(route.method, fill(route.path), operation, JSON.stringify({ zzz_unknown_field: 1 }));
      const named = (answer.body?.errors ?? []).some((error: Json) => error.field === 'body.zzz_unknown_field');
      if (answer.status !== 400 || !named)
        failures.push(`${route.method} ${route.path} → ${answer.status} ${JSON.stringify(answer.body).slice(0, 300)}`);
    }
    assert.ok(checked >= 10, `${checked} routes with a JSON body`);
    assert.deepEqual(failures, []);
  });

  test('an unknown query parameter answers 400 naming it, on every keyed route and every route with a query', async () => {
    const failures: string[] = [];
    let checked = 0;
    for (const route of routeTable(system.app)) {
      const operation = operationOf(route.method, route.path);
      // The provider's verification handshake may carry parameters of the provider's own.
      if (!operation || operation['x-access'] === 'signed') continue;
      const keyed = ['company', 'admin', 'any'].includes(operation['x-access']);
      const readsQuery = (operation.parameters ?? []).some((parameter: Json) => parameter.in === 'query');
      if (!keyed && !readsQuery) continue;
      checked++;
      const body = operation.requestBody?.content?.['application/json'] ? '{}' : undefined;
      const answer = await send(route.method, `${fill(route.path)}?zzz_unknown=1`, operation, body);
      const named = (answer.body?.errors ?? []).some((error: Json) => error.field === 'query.zzz_unknown');
      if (answer.status !== 400 || !named)
        failures.push(`${route.method} ${route.path} → ${answer.status} ${JSON.stringify(answer.body).slice(0, 300)}`);
    }
    assert.ok(checked >= 30, `${checked} routes checked`);
    assert.deepEqual(failures, []);
  });

  test('a misspelt Cloud API block is refused, and no sandbox number is created', async () => {
    const before = await system.api('GET', '/v1/connections', undefined, key);
    const answer = await system.api(
      'POST',
      '/v1/connections',
      { name: 'Real number', cloudapi: { phoneNumberId: '1234567890', accessToken: 'x'.repeat(40) } },
      key,
    );
    assert.equal(answer.status, 400, JSON.stringify(answer.body));
    assert.deepEqual(
      answer.body.errors.map((error: Json) => error.field),
      ['body.cloudapi'],
    );
    const afterwards = await system.api('GET', '/v1/connections', undefined, key);
    assert.equal(afterwards.body.items.length, before.body.items.length);
  });
});
