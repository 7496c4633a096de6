import assert from 'node:assert/strict';
import { after, before, describe, test } from 'node:test';
import { Types } from 'mongoose';
import { loadConfig } from '../../src/config';
import { pipelineDeps } from '../../src/runtime/pipeline';
import { type Services, startServices } from '../../src/runtime/services';
import { startWorker } from '../../src/runtime/worker';
import { createTestVhost, testMongoUrl } from '../support/infrastructure';

describe('a dispatch worker without WHATSAPP_SESSION_KEY', () => {
  let vhost: Awaited<ReturnType<typeof createTestVhost>>;
  let services: Services;
  before(async () => {
    vhost = await createTestVhost('web-startup');
    const config = loadConfig({
      ...process.env,
      NODE_ENV: 'test',
      LOG_LEVEL: 'silent',
      RABBITMQ_URL: vhost.url,
      MONGO_URL: testMongoUrl('web_startup'),
      WHATSAPP_SESSION_KEY: '',
    });
    services = await startServices(config, 'test-web-startup');
  });
  after(async () => {
    await services.mongo.dropDatabase().catch(() => undefined);
    await services.close();
    await vhost.dispose();
  });

  test('refuses to start once a whatsapp-web connection exists, naming the variable', async () => {
    const { models } = await pipelineDeps(services);
    await models.Connection.create({
      companyId: new Types.ObjectId(),
      name: 'Web',
      gateway: 'whatsapp-web',
      status: 'connected',
    });
    await assert.rejects(startWorker(services, ['dispatch']), /WHATSAPP_SESSION_KEY is not set/);
  });

  test('a malformed key is refused by the configuration, naming the variable', () => {
    assert.throws(
      () => loadConfig({ RABBITMQ_URL: vhost.url, MONGO_URL: testMongoUrl('x'), WHATSAPP_SESSION_KEY: 'not-a-key' }),
      /WHATSAPP_SESSION_KEY must be 32 bytes/,
    );
  });
});
