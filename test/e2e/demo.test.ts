import assert from 'node:assert/strict';
import { after, describe, test } from 'node:test';
import mongoose from 'mongoose';
import { createTestVhost, infraUrls, testMongoUrl } from '../support/infrastructure';
import { exitOf, spawnDisparo, waitForOutput } from '../support/processes';
import { freePort } from '../support/system';

describe('the demo of npm start (disparo start with DEMO=true)', () => {
  const cleanups: Array<() => Promise<unknown>> = [];
  after(async () => {
    for (const cleanup of cleanups.reverse()) await cleanup().catch(() => undefined);
  });

  test('prints where to look — progress page, API, RabbitMQ console, an API key — and each answers', async () => {
    const vhost = await createTestVhost('demo');
    cleanups.push(() => vhost.dispose());
    const port = await freePort();
    const mongoUrl = testMongoUrl('demo');
    cleanups.push(async () => {
      const db = await mongoose.createConnection(mongoUrl).asPromise();
      await db.dropDatabase();
      await db.close();
    });
    const child = spawnDisparo('start', {
      DEMO: 'true',
      LOG_LEVEL: 'warn',
      RABBITMQ_URL: vhost.url,
      RABBITMQ_MANAGEMENT_URL: infraUrls().managementUrl,
      MONGO_URL: mongoUrl,
      HTTP_HOST: '127.0.0.1',
      HTTP_PORT: String(port),
      ADMIN_API_KEY: 'demo-test-admin-key-0123',
      LANE_REFRESH_MS: '200',
    });
    cleanups.push(async () => {
      if (child.exitCode === null) child.kill('SIGKILL');
    });
    await waitForOutput(child, /RabbitMQ console:/, 60_000);
    const output = child.output();
    const field = (label: string) => new RegExp(`^ {2}${label}: +(\\S+)`, 'm').exec(output)?.[1];

    const pageUrl = field('Progress page')!;
    assert.match(pageUrl, new RegExp(`^http://127\\.0\\.0\\.1:${port}/progress#key=dsp_`));
    const key = field('API key \\(demo\\)')!;
    assert.equal(pageUrl.split('#key=')[1], key);
    assert.equal(field('API'), `http://127.0.0.1:${port}`);
    const consoleUrl = field('RabbitMQ console')!;
    assert.doesNotMatch(consoleUrl, /guest:guest@/, 'the console URL carries no password');

    const page = await fetch(pageUrl.split('#')[0]!);
    assert.equal(page.status, 200);
    assert.match(await page.text(), /<title>Disparo · campaign progress<\/title>/);
    const progress = await fetch(`http://127.0.0.1:${port}/v1/progress`, {
      headers: { authorization: `Bearer ${key}` },
    });
    assert.equal(progress.status, 200);
    const body = (await progress.json()) as { campaigns: Array<{ campaignId: string }> };
    assert.equal(body.campaigns.length, 1);
    assert.equal(body.campaigns[0]!.campaignId, field('Campaign'));
    assert.equal((await fetch(consoleUrl)).status, 200, 'the RabbitMQ console answers');

    child.kill('SIGTERM');
    assert.equal(await exitOf(child), 0);
  });
});
