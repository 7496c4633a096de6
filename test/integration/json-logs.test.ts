import assert from 'node:assert/strict';
import { after, before, describe, test } from 'node:test';
import { sleep } from '../support/collector';
import { createTestVhost, testMongoUrl } from '../support/infrastructure';
import { exitOf, spawnDisparo, waitForOutput } from '../support/processes';

/**
 * Every line a process writes is JSON, libraries' messages included: a worker whose scheduler
 * misses cron ticks (the process is stopped with SIGSTOP for a few seconds, as a blocked event
 * loop or a starved machine would) logs node-cron's warning as a JSON line like any other.
 */
describe("a worker's output", () => {
  let vhost: Awaited<ReturnType<typeof createTestVhost>>;
  before(async () => {
    vhost = await createTestVhost('json-logs');
  });
  after(() => vhost.dispose());

  test('is JSON on every line, node-cron missed executions included', async () => {
    const worker = spawnDisparo('worker', {
      RABBITMQ_URL: vhost.url,
      MONGO_URL: testMongoUrl('json-logs'),
      WORKER_ROLES: 'scheduler',
      CAMPAIGN_CHECK_CRON: '* * * * * *',
      METRICS_PORT: '0',
      LOG_LEVEL: 'info',
    });
    try {
      await waitForOutput(worker, /worker started/, 30_000);
      await sleep(1_500);
      worker.kill('SIGSTOP');
      await sleep(4_000);
      worker.kill('SIGCONT');
      await waitForOutput(worker, /missed execution/, 15_000);
      worker.kill('SIGTERM');
      assert.equal(await exitOf(worker), 0);
      const lines = worker
        .output()
        .split('\n')
        .filter((line) => line.trim() !== '');
      const notJson = lines.filter((line) => {
        try {
          return typeof JSON.parse(line) !== 'object';
        } catch {
          return true;
        }
      });
      assert.deepEqual(notJson, [], 'every line is a JSON object');
      const missed = lines.map((line) => JSON.parse(line)).find((entry) => /missed execution/.test(entry.message));
      assert.equal(missed.level, 'warn');
      assert.equal(missed.component, 'node-cron');
    } finally {
      if (worker.exitCode === null) worker.kill('SIGKILL');
    }
  });
});
