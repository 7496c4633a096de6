import { createServer } from 'node:net';
import type Koa from 'koa';
import type mongoose from 'mongoose';
import { loadConfig } from '../../src/config';
import { type SandboxMessageDoc, sandboxStore } from '../../src/infrastructure/gateways/sandbox/sandbox-store';
import { type Models, modelsOf } from '../../src/infrastructure/mongo/models';
import { startApi } from '../../src/runtime/api-process';
import { type Services, startServices } from '../../src/runtime/services';
import { KNOWN_ROLES, startWorker, type WorkerRole } from '../../src/runtime/worker';
import { sleep } from './collector';
import { createTestVhost, testMongoUrl } from './infrastructure';
import { exitOf, spawnDisparo, waitForOutput } from './processes';

export const ADMIN_KEY = 'test-admin-key-0123456789';

/** Fast settings for end-to-end tests: a check every second, lanes found within 200 ms. */
const FAST = {
  NODE_ENV: 'test',
  LOG_LEVEL: process.env.TEST_LOG_LEVEL ?? 'silent',
  ADMIN_API_KEY: ADMIN_KEY,
  CAMPAIGN_CHECK_CRON: '* * * * * *',
  LANE_REFRESH_MS: '200',
  COUNTER_RECOUNT_AFTER_MS: '2000',
  RETRY_BASE_DELAY_MS: '50',
  RETRY_MAX_DELAY_MS: '1000',
  SHUTDOWN_TIMEOUT_MS: '3000',
  QUEUE_DELIVERY_LIMIT: '20',
} as const;

export interface TestSystem {
  apiUrl: string;
  /** The API's Koa app: its routers list every route it serves. */
  app: Koa;
  env: Record<string, string>;
  models: Models;
  db: mongoose.Connection;
  api<T = any>(method: string, path: string, body?: unknown, key?: string): Promise<{ status: number; body: T }>;
  /** Starts one more worker in this process (its roles from WORKER_ROLES or the argument). */
  addWorker(roles?: WorkerRole[]): Promise<{ stop(): Promise<void> }>;
  sandboxSends(connectionId: string): Promise<SandboxMessageDoc[]>;
  /** The Prometheus exposition of every worker started in this process, one after another. */
  workerMetrics(): Promise<string>;
  stop(): Promise<void>;
}

export async function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const server = createServer();
    server.listen(0, '127.0.0.1', () => {
      const address = server.address();
      server.close(() =>
        typeof address === 'object' && address ? resolve(address.port) : reject(new Error('no port')),
      );
    });
  });
}

/**
 * A whole Disparo (API + every worker role, sandbox gateway) in this process, on its own vhost and
 * database, talking to the real broker and MongoDB-wire server.
 */
export async function startSystem(
  label: string,
  options: { workers?: WorkerRole[][]; env?: Record<string, string> } = {},
): Promise<TestSystem> {
  const vhost = await createTestVhost(label);
  const mongoUrl = testMongoUrl(label);
  const port = await freePort();
  const env: Record<string, string> = {
    ...FAST,
    RABBITMQ_URL: vhost.url,
    MONGO_URL: mongoUrl,
    HTTP_HOST: '127.0.0.1',
    HTTP_PORT: String(port),
    ...options.env,
  };
  const config = loadConfig(env);
  const apiServices = await startServices(config, 'test-api');
  const server = await startApi(apiServices);
  const started: Array<{ services: Services; stop(): Promise<void> }> = [];
  const addWorker = async (roles: WorkerRole[] = KNOWN_ROLES) => {
    const services = await startServices(config, 'test-worker');
    const worker = await startWorker(services, roles);
    let stopped = false;
    const handle = {
      services,
      async stop() {
        if (stopped) return;
        stopped = true;
        await worker.stop();
        await services.close();
      },
    };
    started.push(handle);
    return handle;
  };
  for (const roles of options.workers ?? [KNOWN_ROLES]) await addWorker(roles);
  const db = apiServices.mongo;
  return {
    apiUrl: server.url,
    app: server.app,
    env,
    models: modelsOf(db),
    db,
    async api(method, path, body, key) {
      const response = await fetch(`${server.url}${path}`, {
        method,
        headers: { 'content-type': 'application/json', ...(key ? { authorization: `Bearer ${key}` } : {}) },
        body: body === undefined ? undefined : JSON.stringify(body),
      });
      const text = await response.text();
      return { status: response.status, body: text ? JSON.parse(text) : undefined };
    },
    addWorker,
    async workerMetrics() {
      const texts = await Promise.all(started.map(async (worker) => (await worker.services.metrics.exposition()).body));
      return texts.join('\n');
    },
    async sandboxSends(connectionId) {
      return sandboxStore(db).Message.find({ connectionId }).sort({ receivedAt: 1 }).lean();
    },
    async stop() {
      await Promise.all(started.map((worker) => worker.stop()));
      await server.close();
      await db.dropDatabase().catch(() => undefined);
      await apiServices.close();
      await vhost.dispose();
    },
  };
}

/** A worker as a separate OS process (for crash tests), on the same vhost and database. */
export async function spawnWorker(system: TestSystem, roles: string, extraEnv: Record<string, string> = {}) {
  const child = spawnDisparo('worker', {
    ...system.env,
    LOG_LEVEL: 'info',
    WORKER_ROLES: roles,
    METRICS_PORT: '0',
    ...extraEnv,
  });
  try {
    await waitForOutput(child, /worker started/, 30_000);
  } catch (error) {
    // A worker that never started must not outlive the test: its pipes would keep the runner alive.
    child.kill('SIGKILL');
    throw error;
  }
  return Object.assign(child, { exited: () => exitOf(child) });
}

export async function waitUntil<T>(
  what: string,
  probe: () => Promise<T | undefined | null | false>,
  timeoutMs: number,
  everyMs = 100,
): Promise<T> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const value = await probe();
    if (value) return value;
    if (Date.now() > deadline) throw new Error(`timed out after ${timeoutMs} ms waiting for ${what}`);
    await sleep(everyMs);
  }
}

/** A company with fast pacing, a sandbox connection, and a list of `contacts` contacts. */
export async function seedCompany(
  system: TestSystem,
  options: {
    pacing?: { messageInterval: number; longerIntervalAfter: number; greaterInterval: number };
    contacts?: number;
    connections?: number;
    sandbox?: { latencyMs?: number; failureRate?: number };
  } = {},
) {
  const created = await system.api(
    'POST',
    '/v1/companies',
    {
      name: 'Loja Teste',
      pacing: options.pacing ?? { messageInterval: 0.1, longerIntervalAfter: 5, greaterInterval: 0.3 },
    },
    ADMIN_KEY,
  );
  if (created.status !== 201) throw new Error(`company: ${created.status} ${JSON.stringify(created.body)}`);
  const key = created.body.apiKey as string;
  const connections: string[] = [];
  for (let i = 0; i < (options.connections ?? 1); i++) {
    const connection = await system.api(
      'POST',
      '/v1/connections',
      { name: `Número ${i + 1}`, sandbox: { latencyMs: 0, failureRate: 0, ...options.sandbox } },
      key,
    );
    if (connection.status !== 201)
      throw new Error(`connection: ${connection.status} ${JSON.stringify(connection.body)}`);
    connections.push(connection.body.id);
  }
  const list = await system.api('POST', '/v1/contact-lists', { name: 'Clientes' }, key);
  const count = options.contacts ?? 10;
  const contacts = Array.from({ length: count }, (_, i) => ({
    phone: `+55119${String(80_000_000 + i).padStart(8, '0')}`,
    name: `Cliente ${i}`,
    fields: { city: i % 2 ? 'Campinas' : 'Santos' },
  }));
  for (let i = 0; i < contacts.length; i += 5_000) {
    const added = await system.api(
      'POST',
      `/v1/contact-lists/${list.body.id}/contacts`,
      { contacts: contacts.slice(i, i + 5_000) },
      key,
    );
    if (added.status !== 200 || added.body.rejected.length > 0)
      throw new Error(`contacts: ${added.status} ${JSON.stringify(added.body).slice(0, 500)}`);
  }
  return {
    key,
    companyId: created.body.company.id as string,
    connectionId: connections[0]!,
    connections,
    listId: list.body.id as string,
  };
}

export async function createCampaign(system: TestSystem, key: string, body: Record<string, unknown>): Promise<string> {
  const created = await system.api(
    'POST',
    '/v1/campaigns',
    { name: 'Promoção', variants: ['Olá {name}, oferta em {city}!', 'Oi {name}! Novidades em {city}.'], ...body },
    key,
  );
  if (created.status !== 201) throw new Error(`campaign: ${created.status} ${JSON.stringify(created.body)}`);
  return created.body.id;
}

export async function waitForStatus(
  system: TestSystem,
  key: string,
  campaignId: string,
  status: string,
  timeoutMs: number,
) {
  return waitUntil(
    `campaign ${campaignId} to be ${status}`,
    async () => {
      const campaign = await system.api('GET', `/v1/campaigns/${campaignId}`, undefined, key);
      return campaign.body?.status === status ? campaign.body : undefined;
    },
    timeoutMs,
  );
}

export { exitOf };
