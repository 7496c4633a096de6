import assert from 'node:assert/strict';
import { after, before, describe, test } from 'node:test';
import mongoose from 'mongoose';
import { createGatewayProvider } from '../../src/infrastructure/gateways/gateway-provider';
import { type Models, modelsOf } from '../../src/infrastructure/mongo/models';
import { testMongoUrl } from '../support/infrastructure';

/**
 * Dispatch asks for a number's gateway with the company its message names, so the company is read
 * beside the number on a first send. The number's own company is what counts: a message naming
 * another (or no company at all) gets the same answer as one naming the right one.
 */
describe('gateway provider: the company read beside the number', () => {
  let db: mongoose.Connection;
  let models: Models;
  before(async () => {
    db = await mongoose.createConnection(testMongoUrl('gateway-provider')).asPromise();
    models = modelsOf(db);
  });
  after(async () => {
    await db.dropDatabase().catch(() => undefined);
    await db.close();
  });

  test("the number's company, whatever company the caller names", async () => {
    const pacing = (ms: number) => ({ messageIntervalMs: ms, longerIntervalAfter: 20, greaterIntervalMs: 60_000 });
    const own = await models.Company.create({ name: 'Loja', pacing: pacing(7_000) });
    const other = await models.Company.create({ name: 'Outra', pacing: pacing(30_000) });
    const connection = await models.Connection.create({ companyId: own._id, name: 'número', gateway: 'sandbox' });
    const connectionId = String(connection._id);
    for (const named of [String(own._id), String(other._id), 'not-an-id', undefined]) {
      // A provider of its own each time: nothing cached from the call before.
      const gateway = await createGatewayProvider(models, db).forConnection(connectionId, named);
      assert.equal(gateway.companyId, String(own._id), `named ${named}`);
      assert.equal(gateway.companyPacing.messageIntervalMs, 7_000, `named ${named}`);
    }
  });
});
