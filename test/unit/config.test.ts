import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, test } from 'node:test';
import { ConfigError, ConfigSchema, loadConfig, workerRoles } from '../../src/config';

const minimal = { RABBITMQ_URL: 'amqp://guest:guest@127.0.0.1:5672', MONGO_URL: 'mongodb://127.0.0.1:27017/disparo' };

describe('configuration', () => {
  test('defaults apply when only the required variables are set', () => {
    const config = loadConfig(minimal);
    assert.equal(config.HTTP_PORT, 3000);
    assert.equal(config.TOPOLOGY_PREFIX, 'disparo');
    assert.equal(config.WORKER_ROLES, 'all');
  });

  test('a missing or bad variable fails with one line naming it', () => {
    assert.throws(
      () => loadConfig({ MONGO_URL: minimal.MONGO_URL }),
      (error: Error) => {
        assert.ok(error instanceof ConfigError);
        assert.equal(error.message.split('\n').length, 1);
        assert.match(error.message, /RABBITMQ_URL is required/);
        return true;
      },
    );
    assert.throws(() => loadConfig({ ...minimal, HTTP_PORT: 'eighty' }), /HTTP_PORT/);
    assert.throws(() => loadConfig({ ...minimal, MONGO_URL: 'postgres://x' }), /MONGO_URL must be a mongodb:\/\/ URL/);
  });

  test('empty values count as unset', () => {
    assert.equal(loadConfig({ ...minimal, SENTRY_DSN: '' }).SENTRY_DSN, undefined);
  });

  test('worker roles: all, a list, or a clear error for an unknown role', () => {
    const known = ['event-recorder', 'campaign-process'];
    assert.deepEqual(workerRoles(loadConfig(minimal), known), known);
    assert.deepEqual(workerRoles(loadConfig({ ...minimal, WORKER_ROLES: 'campaign-process' }), known), [
      'campaign-process',
    ]);
    assert.throws(() => workerRoles(loadConfig({ ...minimal, WORKER_ROLES: 'nope' }), known), /unknown roles: nope/);
  });

  test('.env.example documents exactly the variables the schema reads', () => {
    const example = readFileSync(join(__dirname, '..', '..', '.env.example'), 'utf8');
    const documented = [...example.matchAll(/^#?\s*([A-Z][A-Z0-9_]+)=/gm)].map((m) => m[1]).sort();
    assert.deepEqual(documented, Object.keys(ConfigSchema.shape).sort());
  });
});
