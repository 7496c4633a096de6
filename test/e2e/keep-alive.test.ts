import assert from 'node:assert/strict';
import { randomBytes } from 'node:crypto';
import { Agent, request } from 'node:http';
import { after, before, describe, test } from 'node:test';
import { seedCompany, startSystem, type TestSystem } from '../support/system';

/**
 * A rejected body must not poison the connection it came on: a keep-alive client (one socket,
 * reused) makes several requests after the rejection, and every one gets its answer.
 */

interface Answer {
  status: number;
  body: string;
  socketReused: boolean;
}

function send(
  agent: Agent,
  url: string,
  options: { method: string; headers?: Record<string, string>; body?: Buffer | string },
): Promise<Answer> {
  return new Promise((resolve, reject) => {
    const req = request(url, { agent, method: options.method, headers: options.headers }, (res) => {
      let body = '';
      res.setEncoding('utf8');
      res.on('data', (chunk) => (body += chunk));
      res.on('end', () => resolve({ status: res.statusCode ?? 0, body, socketReused: req.reusedSocket }));
      res.on('error', reject);
    });
    req.on('error', reject);
    req.end(options.body);
  });
}

describe('a rejected body leaves the keep-alive connection usable', () => {
  let system: TestSystem;
  let key: string;
  let listId: string;
  before(async () => {
    system = await startSystem('keepalive', { workers: [] });
    ({ key, listId } = await seedCompany(system, { contacts: 1 }));
  });
  after(() => system.stop());

  const rejections: Array<{ what: string; path: () => string; headers: () => Record<string, string>; body: Buffer }> = [
    {
      what: 'a 200 KB binary as a CSV upload',
      path: () => `/v1/contact-lists/${listId}/imports`,
      headers: () => ({ authorization: `Bearer ${key}`, 'content-type': 'text/csv' }),
      body: randomBytes(200 * 1024),
    },
    {
      what: 'a 200 KB CSV without a phone column',
      path: () => `/v1/contact-lists/${listId}/imports`,
      headers: () => ({ authorization: `Bearer ${key}`, 'content-type': 'text/csv' }),
      body: Buffer.from(`name,city\n${'Ana,Santos\n'.repeat(20_000)}`),
    },
    {
      what: 'a 200 KB CSV sent as JSON',
      path: () => `/v1/contact-lists/${listId}/imports`,
      headers: () => ({ authorization: `Bearer ${key}`, 'content-type': 'application/json' }),
      body: Buffer.from(`phone,name\n${'+5511980000000,Ana\n'.repeat(12_000)}`),
    },
    {
      what: 'a 200 KB CSV without an API key',
      path: () => `/v1/contact-lists/${listId}/imports`,
      headers: () => ({ 'content-type': 'text/csv' }),
      body: Buffer.from(`phone,name\n${'+5511980000000,Ana\n'.repeat(12_000)}`),
    },
  ];

  for (const rejection of rejections) {
    test(`${rejection.what}: answered 4xx, then five more requests on the same agent succeed`, async () => {
      const agent = new Agent({ keepAlive: true, maxSockets: 1 });
      try {
        const warmUp = await send(agent, `${system.apiUrl}/healthz`, { method: 'GET' });
        assert.equal(warmUp.status, 200);
        const rejected = await send(agent, `${system.apiUrl}${rejection.path()}`, {
          method: 'POST',
          headers: rejection.headers(),
          body: rejection.body,
        });
        assert.ok(rejected.status >= 400 && rejected.status < 500, `${rejected.status} ${rejected.body}`);
        for (let i = 0; i < 5; i++) {
          const next = await send(agent, `${system.apiUrl}/v1/company`, {
            method: 'GET',
            headers: { authorization: `Bearer ${key}` },
          });
          assert.equal(next.status, 200, `request ${i + 1} after the rejection: ${next.body}`);
        }
      } finally {
        agent.destroy();
      }
    });
  }
});
