import assert from 'node:assert/strict';
import { after, before, describe, test } from 'node:test';
import { type RouteEntry, routeTable } from '../../src/api/operation';
import { ADMIN_KEY, createCampaign, seedCompany, startSystem, type TestSystem } from '../support/system';

/**
 * Malformed, oversized and wrongly typed requests to every route the app serves (read from its
 * routers, so a new route is covered without touching this file): each must get a 4xx, never a
 * 500, and the process must still serve afterwards.
 */

type Json = Record<string, any>;
interface Case {
  what: string;
  method: string;
  path: string;
  headers?: Record<string, string>;
  body?: string | Buffer;
}

const JUNK_IDS = [
  'x',
  '123',
  'ZZZZZZZZZZZZZZZZZZZZZZZZ',
  'a'.repeat(25),
  'A'.repeat(24),
  '%00',
  '..%2F..%2Fetc',
  '%7B%22%24gt%22%3A%22%22%7D',
  'é'.repeat(24),
  '-1',
  'null',
  'x'.repeat(3_000),
];
const NOT_OBJECT_BODIES = ['null', '[]', '"text"', '123', 'true', '[{}]', '1e400'];
const BROKEN_JSON = ['{', '{"a":', '{"a" 1}', "{'a':1}", '\u0000', '{"a":1}}', 'NaN'];

function deepObject(depth: number): string {
  return `${'{"a":'.repeat(depth)}1${'}'.repeat(depth)}`;
}
function deepArray(depth: number): string {
  return '['.repeat(depth) + ']'.repeat(depth);
}

/** A value of the wrong JSON type for a property's schema (undefined when any type would do). */
function wrongTypeFor(schema: Json): unknown {
  switch (schema?.type) {
    case 'string':
      return 12345;
    case 'number':
    case 'integer':
      return 'not a number';
    case 'boolean':
      return 'yes';
    case 'array':
      return { not: 'an array' };
    case 'object':
      return ['not', 'an', 'object'];
    default:
      return undefined;
  }
}

/** Per property: wrong types, oversized strings, nested junk, operator injection. */
function propertyCases(schema: Json): Array<{ what: string; body: unknown }> {
  const cases: Array<{ what: string; body: unknown }> = [
    { what: 'unknown field', body: { zzz_unknown_field: 1 } },
    { what: 'operator injection', body: { $where: 'sleep(1000)', $set: { a: 1 } } },
  ];
  for (const [name, property] of Object.entries((schema?.properties ?? {}) as Json)) {
    const wrong = wrongTypeFor(property);
    if (wrong !== undefined) cases.push({ what: `${name}: wrong type`, body: { [name]: wrong } });
    if (property.type === 'string' && property.maxLength)
      cases.push({ what: `${name}: oversized string`, body: { [name]: 'x'.repeat(property.maxLength + 100_000) } });
    if (property.type === 'string' || property.type === 'number' || property.type === 'integer') {
      cases.push({ what: `${name}: nested junk`, body: { [name]: { $gt: '', nested: [[{ a: [1, { b: null }] }]] } } });
      cases.push({ what: `${name}: null`, body: { [name]: null } });
    }
    if (property.type === 'array' && property.maxItems)
      cases.push({
        what: `${name}: too many items`,
        body: { [name]: Array.from({ length: property.maxItems + 1 }, () => ({ zzz: 1 })) },
      });
  }
  return cases;
}

function fill(path: string, values: Record<string, string>): string {
  return path.replace(/:(\w+)/g, (_, name: string) => values[name] ?? 'missing');
}

describe('fuzzing every route with malformed requests', () => {
  let system: TestSystem;
  let key: string;
  let ids: Record<string, Record<string, string>>;
  let document: Json;

  before(async () => {
    system = await startSystem('fuzz', { workers: [] });
    const seeded = await seedCompany(system, { contacts: 2 });
    key = seeded.key;
    const campaignId = await createCampaign(system, key, { connectionId: seeded.connectionId, listId: seeded.listId });
    const contacts = await system.api('GET', '/v1/contacts', undefined, key);
    const keys = await system.api('GET', '/v1/api-keys', undefined, key);
    const importId = '0123456789abcdef01234567';
    const syncId = '9b2f7c1e-6a3d-4b8e-9f10-2c3d4e5f6a7b';
    // Real ids per path prefix, so a malformed body is judged on a resource that exists.
    ids = {
      '/v1/campaigns': { id: campaignId },
      '/v1/connections': { id: seeded.connectionId, syncId },
      '/v1/contact-lists': { id: seeded.listId, importId },
      '/v1/contacts': { id: contacts.body.items[0].id },
      '/v1/api-keys': { keyId: keys.body.items[0].id },
      '/v1/companies': { id: seeded.companyId },
      '/webhooks': { connectionId: seeded.connectionId },
    };
    document = (await system.api('GET', '/openapi.json')).body;
  });
  after(() => system.stop());

  const realIds = (path: string) => Object.entries(ids).find(([prefix]) => path.startsWith(prefix))?.[1] ?? {};
  const operationOf = (route: RouteEntry): Json | undefined =>
    document.paths[route.path.replace(/:(\w+)/g, '{$1}')]?.[route.method.toLowerCase()];

  /** The key a route needs (admin or company) and the one it refuses. */
  const keysFor = (operation: Json | undefined) => {
    const access = operation?.['x-access'];
    if (access === 'admin') return { right: ADMIN_KEY, wrong: key };
    if (access === 'company') return { right: key, wrong: ADMIN_KEY };
    return { right: key, wrong: undefined };
  };

  function casesFor(route: RouteEntry): Case[] {
    const operation = operationOf(route);
    const { right, wrong } = keysFor(operation);
    const auth = { authorization: `Bearer ${right}` };
    const json = { ...auth, 'content-type': 'application/json' };
    const validPath = fill(route.path, realIds(route.path));
    const cases: Case[] = [];
    const params = [...route.path.matchAll(/:(\w+)/g)].map((match) => match[1]!);

    // Path parameters: malformed (400) and well-formed but unknown (404).
    for (const name of params) {
      for (const junk of JUNK_IDS)
        cases.push({
          what: `path ${name}=${junk.slice(0, 20)}`,
          method: route.method,
          path: fill(route.path, { ...realIds(route.path), [name]: junk }),
          headers: json,
          body: '{}',
        });
      const unknown = name === 'syncId' ? null : 'fedcba9876543210fedcba98';
      if (unknown)
        cases.push({
          what: `path ${name} unknown`,
          method: route.method,
          path: fill(route.path, { ...realIds(route.path), [name]: unknown }),
          headers: json,
          body: '{}',
        });
    }

    // Keys: none, unknown, absurdly long, malformed header, the wrong kind.
    if (operation && ['company', 'admin', 'any'].includes(operation['x-access'])) {
      for (const authorization of [
        undefined,
        'Bearer nope',
        `Bearer ${'k'.repeat(10_000)}`,
        'Basic dXNlcjpwYXNz',
        'Bearer',
        `Bearer ${right}x`,
        ...(wrong ? [`Bearer ${wrong}`] : []),
      ]) {
        cases.push({
          what: `auth ${String(authorization).slice(0, 30)}`,
          method: route.method,
          path: validPath,
          headers: { 'content-type': 'application/json', ...(authorization ? { authorization } : {}) },
          body: '{}',
        });
      }
      cases.push({ what: 'x-api-key wrong', method: route.method, path: validPath, headers: { 'x-api-key': 'nope' } });
    }

    // Query strings, where the route reads one.
    if (operation?.parameters?.some((p: Json) => p.in === 'query')) {
      for (const query of [
        'limit=-1',
        'limit=abc',
        'limit=1e9',
        'limit=0',
        'limit=1&limit=2',
        'cursor=zzz',
        'cursor[$gt]=',
        'status=nope',
        'junk=1',
        '__proto__[x]=1',
        'constructor=1',
        `search=${'s'.repeat(5_000)}`,
        'page=-5',
        'pageSize=100000',
        'from=yesterday',
        'importId=../../x',
      ]) {
        cases.push({
          what: `query ${query.slice(0, 30)}`,
          method: route.method,
          path: `${validPath}?${query}`,
          headers: auth,
        });
      }
    }

    // Bodies, where the route reads one.
    const content = operation?.requestBody?.content ?? {};
    if (content['application/json']) {
      const schema = content['application/json'].schema;
      for (const body of [...NOT_OBJECT_BODIES, ...BROKEN_JSON])
        cases.push({ what: `body ${body.slice(0, 10)}`, method: route.method, path: validPath, headers: json, body });
      cases.push({
        what: 'deeply nested object',
        method: route.method,
        path: validPath,
        headers: json,
        body: deepObject(5_000),
      });
      cases.push({
        what: 'deeply nested array',
        method: route.method,
        path: validPath,
        headers: json,
        body: deepArray(50_000),
      });
      cases.push({
        what: 'body over 2 MB',
        method: route.method,
        path: validPath,
        headers: json,
        body: `{"name":"${'x'.repeat(3 * 1024 * 1024)}"}`,
      });
      cases.push({
        what: 'prototype pollution',
        method: route.method,
        path: validPath,
        headers: json,
        body: '{"__proto__":{"polluted":1},"constructor":{"prototype":{"polluted":1}}}',
      });
      for (const { what, body } of propertyCases(schema))
        cases.push({
          what: `body ${what}`,
          method: route.method,
          path: validPath,
          headers: json,
          body: JSON.stringify(body),
        });
      for (const type of [
        'text/plain',
        'application/xml',
        'application/x-www-form-urlencoded',
        'multipart/form-data; boundary=x',
        'text/csv',
      ]) {
        cases.push({
          what: `content-type ${type}`,
          method: route.method,
          path: validPath,
          headers: { ...auth, 'content-type': type },
          body: '{"name":"x"}',
        });
      }
      cases.push({
        what: 'no content-type',
        method: route.method,
        path: validPath,
        headers: auth,
        body: '{"name":"x"}',
      });
    }
    if (content['text/csv']) {
      cases.push({ what: 'csv as json', method: route.method, path: validPath, headers: json, body: '{"phone":"1"}' });
      cases.push({
        what: 'csv without phone column',
        method: route.method,
        path: validPath,
        headers: { ...auth, 'content-type': 'text/csv' },
        body: 'name,city\nAna,Santos\n',
      });
      cases.push({
        what: 'csv binary junk',
        method: route.method,
        path: validPath,
        headers: { ...auth, 'content-type': 'text/csv' },
        body: Buffer.from([0xff, 0xfe, 0x00, 0x01, 0x0a, 0x22, 0x22, 0x22]),
      });
    }
    if (cases.length === 0) {
      // No input to get wrong (health, docs): junk around it must still not break anything.
      for (const query of ['x=1', `q=${'x'.repeat(5_000)}`, '%%%'])
        cases.push({
          what: `harmless query ${query.slice(0, 10)}`,
          method: route.method,
          path: `${route.path}?${query}`,
          headers: { authorization: 'Bearer nope', 'content-type': 'text/plain' },
        });
    }
    return cases;
  }

  const inputless = (route: RouteEntry) => {
    const operation = operationOf(route);
    return (
      operation !== undefined &&
      !operation.parameters &&
      !operation.requestBody &&
      ['public', 'signed'].includes(operation['x-access'])
    );
  };

  test('every route answers 4xx to every malformed request, and the process keeps serving', async () => {
    const routes = routeTable(system.app);
    assert.ok(routes.length >= 40, `the router lists the API's routes (${routes.length})`);
    const failures: string[] = [];
    let sent = 0;
    const perRoute = new Map<string, number>();
    for (const route of routes) {
      const cases = casesFor(route);
      perRoute.set(`${route.method} ${route.path}`, inputless(route) ? cases.length + 2 : cases.length);
      for (const probe of cases) {
        const body = probe.method === 'GET' ? undefined : probe.body;
        const response = await fetch(`${system.apiUrl}${probe.path}`, {
          method: probe.method,
          headers: probe.headers,
          body,
        }).catch((error: Error) => ({ status: 0, text: async () => error.message, headers: new Headers() }));
        sent++;
        const text = await response.text();
        if (inputless(route)) {
          if (response.status >= 500)
            failures.push(
              `${probe.method} ${probe.path.slice(0, 120)} [${probe.what}] → ${response.status} ${text.slice(0, 200)}`,
            );
        } else if (response.status < 400 || response.status >= 500)
          failures.push(
            `${probe.method} ${probe.path.slice(0, 120)} [${probe.what}] → ${response.status} ${text.slice(0, 200)}`,
          );
        else if (
          response.status !== 431 &&
          response.status !== 413 &&
          !response.headers.get('content-type')?.includes('application/problem+json')
        )
          failures.push(
            `${probe.method} ${probe.path.slice(0, 80)} [${probe.what}] → ${response.status} not a problem document`,
          );
      }
    }
    const thin = [...perRoute].filter(([, count]) => count < 5).map(([route]) => route);
    assert.deepEqual(failures, [], `${failures.length} of ${sent} requests did not get a 4xx problem`);
    assert.deepEqual(thin, [], 'every route got malformed requests');
    assert.ok(sent >= 500, `${sent} requests sent`);

    const health = await system.api('GET', '/healthz');
    assert.equal(health.status, 200, 'the process is still up');
    const company = await system.api('GET', '/v1/company', undefined, key);
    assert.equal(company.status, 200, 'and still serves');
  });

  test('unknown routes answer 404 and known paths with another method 405, both as problems', async () => {
    for (const path of ['/nope', '/v1', '/v1/nope', '/v1/campaigns/0123456789abcdef01234567/nope', '/v2/campaigns']) {
      const response = await system.api('GET', path, undefined, key);
      assert.equal(response.status, 404, path);
      assert.equal(response.body.status, 404);
    }
    const wrongMethod = await fetch(`${system.apiUrl}/v1/campaigns`, {
      method: 'PUT',
      headers: { authorization: `Bearer ${key}` },
    });
    assert.equal(wrongMethod.status, 405);
    assert.match(wrongMethod.headers.get('allow') ?? '', /GET/);
    assert.match(wrongMethod.headers.get('content-type') ?? '', /problem\+json/);
  });
});
