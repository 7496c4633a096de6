import assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import { join } from 'node:path';
import { after, before, describe, test } from 'node:test';
import { sleep } from '../support/collector';
import { createCampaign, seedCompany, startSystem, type TestSystem, waitForStatus } from '../support/system';

const ROOT = join(__dirname, '..', '..');

/** `disparo progress <id> --once --json` as a child process: the terminal's figures. */
function cliProgress(system: TestSystem, campaignId: string): Promise<Array<{ sentPerMinute: number }>> {
  return new Promise((resolve, reject) => {
    const child = spawn(
      process.execPath,
      ['--import', 'tsx', join(ROOT, 'src/cli/disparo.ts'), 'progress', campaignId, '--once', '--json'],
      {
        cwd: ROOT,
        env: {
          ...process.env,
          LOG_LEVEL: 'error',
          MONGO_URL: system.env.MONGO_URL,
          RABBITMQ_URL: system.env.RABBITMQ_URL,
        },
        stdio: ['ignore', 'pipe', 'pipe'],
      },
    );
    let stdout = '';
    child.stdout.on('data', (chunk) => (stdout += chunk));
    child.on('exit', (code) => (code === 0 ? resolve(JSON.parse(stdout)) : reject(new Error(`exit ${code}`))));
  });
}

/** A finished campaign's sends per minute: the same figure from the API, the page's data and the terminal, and it stays put. */
describe('sends per minute of a finished campaign', () => {
  let system: TestSystem;
  before(async () => {
    system = await startSystem('send-rate');
  });
  after(() => system.stop());

  test('API, progress page data and CLI agree, and the figure does not decay after the end', async () => {
    const { key, connectionId, listId } = await seedCompany(system, {
      contacts: 4,
      pacing: { messageInterval: 0.5, longerIntervalAfter: 10, greaterInterval: 0.5 },
    });
    const campaignId = await createCampaign(system, key, { connectionId, listId });
    await system.api('POST', `/v1/campaigns/${campaignId}/start`, undefined, key);
    await waitForStatus(system, key, campaignId, 'completed', 30_000);

    const read = async () => {
      const api = await system.api('GET', `/v1/campaigns/${campaignId}/progress`, undefined, key);
      const page = await system.api('GET', `/v1/progress?campaigns=${campaignId}`, undefined, key);
      const cli = await cliProgress(system, campaignId);
      return [api.body.sentPerMinute, page.body.campaigns[0].sentPerMinute, cli[0]!.sentPerMinute];
    };
    const first = await read();
    await sleep(3_000);
    const later = await read();
    assert.ok(first[0] > 0, `a rate: ${first}`);
    assert.deepEqual(first, [first[0], first[0], first[0]], 'the same figure everywhere');
    assert.deepEqual(later, first, 'and it stays put after the end');
    // 4 sends about 0.5 s apart: far more than 4 a minute, whatever the reading time.
    assert.ok(first[0] >= 60, `${first[0]} sends/min over the span it sent in`);
  });
});
