import assert from 'node:assert/strict';
import { beforeEach, describe, test } from 'node:test';
import { Types } from 'mongoose';
import { ContactService } from '../../src/application/contacts/contact-book';
import { ShippingService } from '../../src/application/shippings/shipping-service';
import { isAppError } from '../../src/domain/errors';
import { newCorrelation } from '../../src/domain/events/envelope';
import { InMemoryContactRepository } from '../support/in-memory-contacts';
import {
  InMemoryCampaignCounters,
  InMemoryShippingRepository,
  ManualClock,
  RecordedEvents,
  RecordedLanes,
} from '../support/in-memory-shippings';

describe('contact service', () => {
  let contacts: InMemoryContactRepository;
  let shippings: InMemoryShippingRepository;
  let counters: InMemoryCampaignCounters;
  let completions: string[];
  let service: ContactService;
  const cause = newCorrelation(String(new Types.ObjectId()));

  beforeEach(() => {
    const clock = new ManualClock();
    contacts = new InMemoryContactRepository();
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
      cancelShippingsOf: (contactId, reason) => shippingService.cancelOfContact(contactId, reason),
      completeIfDone: async (campaignId) => {
        completions.push(campaignId);
        return true;
      },
    });
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

  test('startImport: recorded once; the same id again is a conflict', async () => {
    const run = {
      importId: new Types.ObjectId(),
      companyId: String(new Types.ObjectId()),
      listId: new Types.ObjectId(),
      startedAt: new Date(),
    };
    await service.startImport(run);
    await assert.rejects(service.startImport(run), (error: unknown) => isAppError(error, 'conflict'));
    assert.equal(contacts.imports.size, 1);
  });
});
