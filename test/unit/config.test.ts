import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, test } from 'node:test';
import { ConfigError, ConfigSchema, loadConfig, rabbitmqUrls, workerRoles } from '../../src/config';

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

  test('RABBITMQ_URL: one broker, or every node of a cluster, comma-separated', () => {
    assert.deepEqual(rabbitmqUrls(loadConfig(minimal)), [minimal.RABBITMQ_URL]);
    const cluster = 'amqp://u:p@127.0.0.1:5701, amqp://u:p@127.0.0.1:5702,amqps://u:p@h3:5671/vh';
    assert.deepEqual(rabbitmqUrls(loadConfig({ ...minimal, RABBITMQ_URL: cluster })), [
      'amqp://u:p@127.0.0.1:5701',
      'amqp://u:p@127.0.0.1:5702',
      'amqps://u:p@h3:5671/vh',
    ]);
    assert.throws(
      () => loadConfig({ ...minimal, RABBITMQ_URL: 'amqp://a:5672,http://b:5672' }),
      /RABBITMQ_URL must be an amqp:\/\/ or amqps:\/\/ URL, or a comma-separated list/,
    );
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
