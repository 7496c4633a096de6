import assert from 'node:assert/strict';
import { Readable } from 'node:stream';
import { beforeEach, describe, test } from 'node:test';
import { Types } from 'mongoose';
import { ContactService } from '../../src/application/contacts/contact-book';
import { CsvHeaderError } from '../../src/application/contacts/csv-import';
import { ShippingService } from '../../src/application/shippings/shipping-service';
import { isAppError } from '../../src/domain/errors';
import { newCorrelation } from '../../src/domain/events/envelope';
import { InMemoryContactImports, InMemoryContactRepository } from '../support/in-memory-contacts';
import {
  InMemoryCampaignCounters,
  InMemoryShippingRepository,
  ManualClock,
  RecordedEvents,
  RecordedLanes,
} from '../support/in-memory-shippings';

describe('contact service', () => {
  let contacts: InMemoryContactRepository;
  let imports: InMemoryContactImports;
  let clock: ManualClock;
  let shippings: InMemoryShippingRepository;
  let counters: InMemoryCampaignCounters;
  let completions: string[];
  let service: ContactService;
  const cause = newCorrelation(String(new Types.ObjectId()));

  beforeEach(() => {
    clock = new ManualClock();
    contacts = new InMemoryContactRepository();
    imports = new InMemoryContactImports();
    shippings = new InMemoryShippingRepository();
    counters = new InMemoryCampaignCounters();
    completions = [];
    const shippingService = new ShippingService({
      shippings,
      counters,
      events: new RecordedEvents(),
      lanes: new RecordedLanes(),
      completeIfDone: async () => false,
      now: clock.now,
    });
    service = new ContactService({
      contacts,
      imports,
      now: clock.now,
      cancelShippingsOf: (contactId, reason) => shippingService.cancelOfContact(contactId, reason),
      completeIfDone: async (campaignId) => {
        completions.push(campaignId);
        return true;
      },
    });
  });

  test('lists: created for the company; contacts added once per phone, bad phones reported by index', async () => {
    const companyId = String(new Types.ObjectId());
    const list = await service.createList(companyId, 'Clientes');
    assert.equal(String(list.companyId), companyId);
    const first = await service.addContacts(
      companyId,
      list._id,
      [
        { phone: '11 91111-0000', name: 'Ana', fields: { plan: 'gold', visits: 3 } },
        { phone: 'nope' },
        { phone: '+55 11 92222-0000' },
      ],
      'BR',
    );
    assert.equal(first.added, 2);
    assert.deepEqual(
      first.rejected.map((row) => [row.index, row.phone]),
      [[1, 'nope']],
    );
    const ana = contacts.byPhone(companyId, '+5511911110000');
    assert.deepEqual(ana?.fields, { plan: 'gold', visits: '3' }, 'field values stored as text');
    const other = await service.createList(companyId, 'VIP');
    await service.addContacts(companyId, other._id, [{ phone: '+5511911110000' }], 'BR');
    const again = contacts.byPhone(companyId, '+5511911110000');
    assert.equal(again?.name, 'Ana', 'a contact added again without a name keeps it');
    assert.deepEqual(again?.listIds.map(String), [String(list._id), String(other._id)]);
    assert.equal(contacts.byId.size, 2);
  });

  test('update: the contact after; another contact’s phone is a conflict naming body.phone', async () => {
    const companyId = new Types.ObjectId();
    const ana = contacts.add({ companyId, phone: '+5511911110000' });
    contacts.add({ companyId, phone: '+5511922220000' });
    assert.equal((await service.update(ana._id, { name: 'Ana Maria' })).name, 'Ana Maria');
    await assert.rejects(
      service.update(ana._id, { phone: '+5511922220000' }),
      (error: unknown) => isAppError(error, 'conflict') && error.fields?.[0]?.field === 'body.phone',
    );
    await assert.rejects(service.update(new Types.ObjectId(), { name: 'x' }), (error: unknown) =>
      isAppError(error, 'not-found'),
    );
  });

  test('delete: removed; its shippings not yet sent cancelled and counted; their campaigns checked for completion', async () => {
    const contact = contacts.add();
    const queued = shippings.add({ contactId: contact._id });
    const paused = shippings.add({ contactId: contact._id, status: 'paused' });
    const sent = shippings.add({ contactId: contact._id, status: 'sent' });
    const sending = shippings.add({ contactId: contact._id, status: 'sending' });
    assert.deepEqual(await service.delete(cause, contact._id), { cancelledShippings: 2 });
    assert.equal(contacts.byId.size, 0);
    assert.equal(shippings.status(queued._id), 'cancelled');
    assert.equal(shippings.status(paused._id), 'cancelled');
    assert.equal(shippings.status(sent._id), 'sent');
    assert.equal(shippings.status(sending._id), 'sending', 'a send in flight may still go');
    assert.equal(counters.of(queued.campaignId).cancelled, 1);
    assert.deepEqual(completions.sort(), [String(queued.campaignId), String(paused.campaignId)].sort());
    assert.deepEqual(await service.delete(cause, contact._id), { cancelledShippings: 0 }, 'deleting again is harmless');
  });

  const job = () => ({
    importId: new Types.ObjectId(),
    companyId: new Types.ObjectId(),
    listId: new Types.ObjectId(),
    defaultRegion: 'BR',
  });

  test('importContacts: rows read, a bad phone rejected by its line, a duplicate kept once; completed at the clock’s time', async () => {
    const run = job();
    const csv = 'phone,name\n11 91111-0000,Ana\nnot a phone,Bia\n+55 11 91111-0000,Ana Maria\n11922220000,Caio\n';
    const done = await service.importContacts(run, Readable.from([csv]));
    assert.equal(done.status, 'completed');
    assert.equal(done.finishedAt?.getTime(), clock.now());
    assert.equal(done.startedAt.getTime(), clock.now());
    assert.deepEqual(
      [done.rowsRead, done.imported, done.created, done.updated, done.rejected, done.duplicates],
      [4, 3, 2, 1, 1, 1],
    );
    assert.equal(done.errors[0]?.line, 3);
    assert.match(done.warnings[0]?.reason ?? '', /duplicate of line 2/);
    assert.equal(
      imports.written.get(`${String(run.companyId)} +5511911110000`)?.name,
      'Ana Maria',
      'the later line wins',
    );
    await assert.rejects(service.importContacts(run, Readable.from([csv])), (error: unknown) =>
      isAppError(error, 'conflict'),
    );
  });

  test('importContacts: a file it cannot read is marked failed with why, and the error goes on to the caller', async () => {
    const run = job();
    await assert.rejects(service.importContacts(run, Readable.from(['name\nAna\n'])), CsvHeaderError);
    const stored = imports.runs.get(String(run.importId));
    assert.equal(stored?.status, 'failed');
    assert.match(stored?.failure ?? '', /phone/);
  });

  test('startImport: recorded once; the same id again is a conflict', async () => {
    const run = {
      importId: new Types.ObjectId(),
      companyId: String(new Types.ObjectId()),
      listId: new Types.ObjectId(),
      startedAt: new Date(),
    };
    await service.startImport(run);
    await assert.rejects(service.startImport(run), (error: unknown) => isAppError(error, 'conflict'));
    assert.equal(imports.runs.size, 1);
  });
});
