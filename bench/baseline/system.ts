import { spawn } from 'node:child_process';
import { randomUUID } from 'node:crypto';
import { join } from 'node:path';
import mongoose from 'mongoose';
import { ensureIndexes, type Models, modelsOf } from '../../src/infrastructure/mongo/models';
import { testMongoUrl } from '../../test/support/infrastructure';
import { exitOf, waitForOutput } from '../../test/support/processes';
import type { Child } from '../support/lifecycle';
import { dropUntilGone } from '../support/lifecycle';
import { removeQueues } from './queues';

const ROOT = join(__dirname, '..', '..');

/** One baseline deployment for a benchmark step: its own database and its own Bull prefix. */
export interface BaselineSystem {
  mongoUrl: string;
  redisUrl: string;
  prefix: string;
  db: mongoose.Connection;
  models: Models;
  /** A worker process (bench/baseline/worker.ts) with these roles, once its processors are registered. */
  spawnWorker(roles: string, extraEnv?: Record<string, string>): Promise<Child & { output: () => string }>;
  /** Drops the database and removes the queues' keys from Redis. */
  stop(): Promise<void>;
}

export async function startBaselineSystem(label: string, redisUrl: string): Promise<BaselineSystem> {
  const mongoUrl = testMongoUrl(label);
  const prefix = `baseline-${randomUUID().slice(0, 8)}`;
  const db = await mongoose.createConnection(mongoUrl).asPromise();
  const models = modelsOf(db);
  await ensureIndexes(models);
  return {
    mongoUrl,
    redisUrl,
    prefix,
    db,
    models,
    async spawnWorker(roles, extraEnv = {}) {
      const child = spawn(process.execPath, ['--import', 'tsx', join(ROOT, 'bench/baseline/worker.ts')], {
        cwd: ROOT,
        env: {
          ...process.env,
          MONGO_URL: mongoUrl,
          REDIS_URL: redisUrl,
          BASELINE_PREFIX: prefix,
          BASELINE_ROLES: roles,
          ...extraEnv,
        },
        stdio: ['ignore', 'pipe', 'pipe'],
      });
      let output = '';
      child.stdout.on('data', (chunk) => (output += chunk));
      child.stderr.on('data', (chunk) => (output += chunk));
      const worker = Object.assign(child, { output: () => output, exited: () => exitOf(child) });
      await waitForOutput(worker, /baseline worker started/, 30_000);
      return worker;
    },
    async stop() {
      await removeQueues(redisUrl, prefix).catch(() => undefined);
      await db.close().catch(() => undefined);
      await dropUntilGone(mongoUrl);
    },
  };
}
