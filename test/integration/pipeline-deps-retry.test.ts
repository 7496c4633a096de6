import assert from 'node:assert/strict';
import { after, before, describe, test } from 'node:test';
import { Types } from 'mongoose';
import { loadConfig } from '../../src/config';
import { pipelineDeps } from '../../src/runtime/pipeline';
import { type Services, startServices } from '../../src/runtime/services';
import { createTestVhost, testMongoUrl } from '../support/infrastructure';

/**
 * The pipeline's dependencies are built once per process, creating the indexes the invariants rely
 * on. A build that fails must not be kept: every later request would answer 500 until a restart.
 */
describe('building the pipeline dependencies', () => {
  let vhost: Awaited<ReturnType<typeof createTestVhost>>;
  let services: Services;
  before(async () => {
    vhost = await createTestVhost('pipeline-deps');
    const config = loadConfig({
      ...process.env,
      NODE_ENV: 'test',
      LOG_LEVEL: 'silent',
      RABBITMQ_URL: vhost.url,
      MONGO_URL: testMongoUrl('pipeline_deps'),
    });
    services = await startServices(config, 'test-pipeline-deps');
  });
  after(async () => {
    await services.mongo.dropDatabase().catch(() => undefined);
    await services.close();
    await vhost.dispose();
  });

  test('a failed build is tried again by the next caller, not kept', async () => {
    // Two contacts with one phone in one company: the unique {companyId, phone} index cannot be built.
    const companyId = new Types.ObjectId();
    const contacts = services.mongo.collection('contacts');
    const duplicate = { companyId, phone: '+5511999990000', name: 'twice', listIds: [] };
    const inserted = await contacts.insertMany([{ ...duplicate }, { ...duplicate }]);
    await assert.rejects(pipelineDeps(services), 'the index build fails on the duplicate');

    await contacts.deleteOne({ _id: inserted.insertedIds[1] });
    const deps = await pipelineDeps(services);
    const indexes = await contacts.indexes();
    assert.ok(
      indexes.some((index) => index.unique && index.key.companyId === 1 && index.key.phone === 1),
      'the unique index exists after the second build',
    );
    assert.equal(await pipelineDeps(services), deps, 'a successful build is kept');
  });
});
