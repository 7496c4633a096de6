import assert from 'node:assert/strict';
import { after, before, describe, test } from 'node:test';
import mongoose, { type Connection, Types } from 'mongoose';
import { ensureIndexes, type Models, modelsOf } from '../../src/infrastructure/mongo/models';
import { type DedicatedMongo, startDedicatedMongo } from '../support/dedicated-mongo';

const COMPANIES = 4;
const CONTACTS = 20_000;
const LISTS = 50;

interface IndexStats {
  name: string;
  entries: number;
  lookups: number;
}

/**
 * Secondary indexes of the embedded wire server, through mongoose and Disparo's own models, on a
 * server of this test's own (this checkout's build). Every answer is checked against the same
 * question answered in JavaScript from what was written; the server's index counters show which
 * queries an index served; a restart rebuilds the indexes from the files.
 */
describe('embedded wire server: secondary indexes through mongoose', () => {
  let mongo: DedicatedMongo;
  let connection: Connection;
  let models: Models;
  const companies = Array.from({ length: COMPANIES }, () => new Types.ObjectId());
  const lists = Array.from({ length: LISTS }, () => new Types.ObjectId());
  const C = (i: number) => companies[i]!;
  const L = (i: number) => lists[i]!;
  /** What the database should hold: contact id → its company and lists. */
  const truth = new Map<string, { companyId: Types.ObjectId; listIds: Types.ObjectId[] }>();

  const connect = async () => {
    connection = await mongoose.createConnection(mongo.url, { serverSelectionTimeoutMS: 20_000 }).asPromise();
    models = modelsOf(connection);
  };
  const stats = async (collection: string): Promise<IndexStats[]> => {
    const answer = await connection.db!.command({ disparoIndexStats: collection });
    return answer.indexes as IndexStats[];
  };
  const lookups = async (collection: string, index?: string) =>
    (await stats(collection))
      .filter((i) => !index || i.name === index)
      .reduce((sum, i) => sum + Math.max(0, i.lookups), 0);
  const expected = (companyId: Types.ObjectId, listId?: Types.ObjectId) =>
    [...truth.entries()]
      .filter(([, c]) => c.companyId.equals(companyId) && (!listId || c.listIds.some((l) => l.equals(listId))))
      .map(([id]) => id)
      .sort();

  before(async () => {
    mongo = await startDedicatedMongo('indexes');
    await connect();
    await ensureIndexes(models);
    const docs = [];
    for (let i = 0; i < CONTACTS; i++) {
      const companyId = C(i % COMPANIES);
      const listIds =
        i % 17 === 0
          ? []
          : [L(i % LISTS), L((i * 7) % LISTS)].filter((l, k, all) => all.findIndex((x) => x!.equals(l!)) === k);
      const _id = new Types.ObjectId();
      truth.set(_id.toHexString(), { companyId, listIds });
      docs.push({
        _id,
        companyId,
        phone: `+55119${String(i).padStart(8, '0')}`,
        name: `c${i}`,
        fields: {},
        listIds,
        valid: true,
        onWhatsApp: null,
        rejectReason: null,
        checkedAt: null,
        updatedAt: new Date(),
      });
    }
    for (let i = 0; i < docs.length; i += 2_000)
      await models.Contact.collection.insertMany(docs.slice(i, i + 2_000), { ordered: false });
  });
  after(async () => {
    await connection?.close();
    await mongo?.dispose();
  });

  test('every index the models declare is created, and a list read uses {companyId, listIds, _id}', async () => {
    const names = (await stats('contacts')).map((i) => i.name).sort();
    assert.deepEqual(names, ['_id_', 'companyId_1_listIds_1__id_1', 'companyId_1_phone_1']);
    // Every index the schema declares, and _id's: a new index on a model is checked without editing this.
    for (const model of [models.Shipping, models.Campaign, models.ContactList]) {
      const collection = model.collection.collectionName;
      const declared = model.schema.indexes().map(([keys]) => Object.keys(keys).join(','));
      assert.ok(declared.length >= 1, `${collection} declares indexes`);
      assert.equal(
        (await stats(collection)).length,
        declared.length + 1,
        `${collection}: declared ${JSON.stringify(declared)}, built ${JSON.stringify(await stats(collection))}`,
      );
    }
    const before = await lookups('contacts', 'companyId_1_listIds_1__id_1');
    const started = performance.now();
    const found = await models.Contact.find({ companyId: C(1), listIds: L(3) })
      .select('_id')
      .lean();
    const ms = performance.now() - started;
    assert.deepEqual(found.map((c) => c._id.toHexString()).sort(), expected(C(1), L(3)));
    assert.ok((await lookups('contacts', 'companyId_1_listIds_1__id_1')) > before, 'the index answered');
    assert.ok(ms < 1_000, `a list of ${found.length} out of ${CONTACTS} read in ${ms.toFixed(0)} ms`);
  });

  test('countDocuments (an aggregate starting with $match) and $in use the index and agree with the data', async () => {
    const before = await lookups('contacts');
    for (const list of lists.slice(0, 5)) {
      assert.equal(
        await models.Contact.countDocuments({ companyId: C(2), listIds: list }),
        expected(C(2), list).length,
      );
    }
    const both = await models.Contact.countDocuments({ companyId: C(3), listIds: { $in: [L(3), L(4)] } });
    assert.equal(both, new Set([...expected(C(3), L(3)), ...expected(C(3), L(4))]).size);
    assert.equal(await models.Contact.countDocuments({ companyId: C(0) }), expected(C(0)).length);
    assert.ok((await lookups('contacts')) >= before + 7);
  });

  test('updates and deletes keep the index consistent; the unique {companyId, phone} index refuses a duplicate', async () => {
    const target = expected(C(1), L(3))
      .slice(0, 30)
      .map((id) => new Types.ObjectId(id));
    await models.Contact.updateMany({ _id: { $in: target } }, { $addToSet: { listIds: L(40) } });
    await models.Contact.updateMany({ _id: { $in: target.slice(0, 10) } }, { $pull: { listIds: L(3) } });
    await models.Contact.deleteMany({ _id: { $in: target.slice(10, 15) } });
    for (const id of target) {
      const c = truth.get(id.toHexString())!;
      c.listIds = [...c.listIds.filter((l) => !l.equals(L(40))), L(40)];
    }
    for (const id of target.slice(0, 10)) {
      const c = truth.get(id.toHexString())!;
      c.listIds = c.listIds.filter((l) => !l.equals(L(3)));
    }
    for (const id of target.slice(10, 15)) truth.delete(id.toHexString());
    for (const [company, list] of [
      [C(1), L(3)],
      [C(1), L(40)],
      [C(1), undefined],
    ] as const) {
      const found = await models.Contact.find(list ? { companyId: company, listIds: list } : { companyId: company })
        .select('_id')
        .lean();
      assert.deepEqual(found.map((c) => c._id.toHexString()).sort(), expected(company, list));
    }
    const one = await models.Contact.findOne({ companyId: C(2) }).lean();
    await assert.rejects(
      models.Contact.collection.insertOne({ companyId: C(2), phone: one!.phone, listIds: [] } as never),
      /E11000/,
    );
  });

  test('after a restart the indexes are rebuilt from the files and answer the same', { timeout: 120_000 }, async () => {
    await connection.close();
    await mongo.stop('SIGTERM');
    await mongo.start();
    await connect();
    assert.equal(
      (await stats('contacts')).find((i) => i.name === 'companyId_1_listIds_1__id_1')!.entries > CONTACTS,
      true,
    );
    for (const [company, list] of [
      [C(1), L(3)],
      [C(1), L(40)],
      [C(0), L(7)],
    ] as const) {
      const found = await models.Contact.find({ companyId: company, listIds: list }).select('_id').lean();
      assert.deepEqual(found.map((c) => c._id.toHexString()).sort(), expected(company, list));
      assert.equal(
        await models.Contact.countDocuments({ companyId: company, listIds: list }),
        expected(company, list).length,
      );
    }
    assert.ok((await lookups('contacts', 'companyId_1_listIds_1__id_1')) >= 6);
  });
});
