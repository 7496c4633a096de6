import assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import { join } from 'node:path';
import { after, before, describe, test } from 'node:test';
import { lanesCommand } from '../../src/cli/commands/lanes';
import { LANE_STATES } from '../../src/domain/pacing/lane-view';
import { liveQueue } from '../support/live-queue';
import {
  ADMIN_KEY,
  createCampaign,
  seedCompany,
  startSystem,
  type TestSystem,
  waitForStatus,
  waitUntil,
} from '../support/system';

const ROOT = join(__dirname, '..', '..');

function disparo(args: string[], env: Record<string, string>): Promise<{ code: number | null; stderr: string }> {
  return new Promise((resolve) => {
    const child = spawn(process.execPath, ['--import', 'tsx', join(ROOT, 'src/cli/disparo.ts'), ...args], {
      cwd: ROOT,
      env: { ...process.env, LOG_LEVEL: 'error', ...env },
      stdio: ['ignore', 'pipe', 'pipe'],
    });
    let stderr = '';
    child.stderr.on('data', (chunk) => (stderr += chunk));
    child.on('exit', (code) => resolve({ code, stderr }));
  });
}

/** The event log's paging, replay's usage and debug copies' lifetime, the lanes help. */
describe('events and replay', () => {
  let system: TestSystem;
  let seeded: Awaited<ReturnType<typeof seedCompany>>;
  let campaignId: string;
  before(async () => {
    system = await startSystem('events-paging', { env: { REPLAY_DEBUG_TTL_MS: '1500' } });
    seeded = await seedCompany(system, { contacts: 3 });
    campaignId = await createCampaign(system, seeded.key, { connectionId: seeded.connectionId, listId: seeded.listId });
    await system.api('POST', `/v1/campaigns/${campaignId}/start`, undefined, seeded.key);
    await waitForStatus(system, seeded.key, campaignId, 'completed', 30_000);
    await waitUntil(
      'CampaignCompleted recorded',
      () => system.db.collection('events').findOne({ type: 'CampaignCompleted', campaignId }),
      10_000,
    );
  });
  after(() => system.stop());

  test('the event routes page with limit and cursor like every other list', async () => {
    const all = await system.api('GET', `/v1/campaigns/${campaignId}/events?limit=500`, undefined, seeded.key);
    assert.equal(all.status, 200);
    assert.equal(all.body.nextCursor, null);
    const expected = all.body.items.map((event: { id: string }) => event.id);
    assert.ok(expected.length >= 6, `${expected.length} events`);
    const seen: string[] = [];
    let cursor: string | null = null;
    do {
      const page: { status: number; body: { items: Array<{ id: string }>; nextCursor: string | null } } =
        await system.api(
          'GET',
          `/v1/campaigns/${campaignId}/events?limit=2${cursor ? `&cursor=${cursor}` : ''}`,
          undefined,
          seeded.key,
        );
      assert.equal(page.status, 200);
      assert.ok(page.body.items.length <= 2);
      seen.push(...page.body.items.map((event) => event.id));
      cursor = page.body.nextCursor;
    } while (cursor);
    assert.deepEqual(seen, expected, 'every event once, in order');
    for (const path of ['/v1/events', `/v1/contacts/0123456789abcdef01234567/events`]) {
      const old = await system.api('GET', `${path}?page=1&pageSize=10`, undefined, seeded.key);
      assert.equal(old.status, 400, path);
    }
    const badCursor = await system.api('GET', '/v1/events?cursor=bm9wZQ', undefined, seeded.key);
    assert.equal(badCursor.status, 400);
    assert.equal(badCursor.body.errors[0].field, 'query.cursor');
  });

  test('debug replay copies expire after REPLAY_DEBUG_TTL_MS', async () => {
    const replayed = await system.api(
      'POST',
      '/v1/admin/replays',
      { filter: { companyId: seeded.companyId, campaignId } },
      ADMIN_KEY,
    );
    assert.equal(replayed.status, 200, JSON.stringify(replayed.body));
    assert.ok(replayed.body.published > 0);
    await waitUntil(
      'the debug copies to expire',
      async () => (await liveQueue(system.env.RABBITMQ_URL!, replayed.body.debugQueue)).messages === 0,
      20_000,
      500,
    );
  });

  test('replay --mode dry-run without --consumer is a usage error (exit 2), not a stack trace', async () => {
    const run = await disparo(['replay', '--company', seeded.companyId, '--mode', 'dry-run'], {
      RABBITMQ_URL: system.env.RABBITMQ_URL!,
      MONGO_URL: system.env.MONGO_URL!,
    });
    assert.equal(run.code, 2, run.stderr);
    assert.match(run.stderr, /--mode dry-run needs --consumer: one of /);
    assert.doesNotMatch(run.stderr, /^\s+at /m, 'no stack trace');
  });

  test('lanes --help lists every state the command shows', () => {
    for (const state of LANE_STATES) assert.match(lanesCommand.usage, new RegExp(`\\b${state}\\b`), state);
  });
});
