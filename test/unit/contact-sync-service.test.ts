import assert from 'node:assert/strict';
import { beforeEach, describe, test } from 'node:test';
import { Types } from 'mongoose';
import { ContactSyncService, type ContactSyncTrigger } from '../../src/application/contacts/contact-sync-service';
import { createLogger } from '../../src/infrastructure/observability/logger';
import { InMemoryContactSyncRuns, PagedAddressBook } from '../support/in-memory-contact-syncs';
import { ManualClock, RecordedEvents } from '../support/in-memory-shippings';

const logger = createLogger({ level: 'error', service: 'test', silent: true });

describe('contact sync service', () => {
  let runs: InMemoryContactSyncRuns;
  let events: RecordedEvents;
  let clock: ManualClock;
  let service: ContactSyncService;
  const companyId = String(new Types.ObjectId());
  const connectionId = String(new Types.ObjectId());

  beforeEach(() => {
    runs = new InMemoryContactSyncRuns();
    events = new RecordedEvents();
    clock = new ManualClock();
    service = new ContactSyncService({ runs, regionOf: async () => 'BR', events, now: clock.now });
  });

  const trigger = (eventId = String(new Types.ObjectId())): ContactSyncTrigger =>
    ({
      eventId,
      type: 'ContactSyncRequested',
      version: 1,
      occurredAt: new Date(clock.now()).toISOString(),
      companyId,
      correlationId: eventId,
      causationId: null,
      payload: { connectionId },
    }) as unknown as ContactSyncTrigger;

  const book = () =>
    new PagedAddressBook(
      [
        { phone: '11 91111-0001', name: 'Ana' },
        { phone: '(11) 91111-0002' },
        { phone: 'not a phone', name: 'Bad' },
        { phone: '+55 11 91111-0003' },
        { phone: '11 91111-0004', name: 'Off' },
      ],
      2,
      (phone) => phone !== '+5511911110004',
    );

  const ofType = (type: string) => events.published.filter((event) => event.type === type);

  test('a run: every page written and counted, ContactsSynced per page, completed once with its totals', async () => {
    const source = book();
    const message = trigger();
    clock.advance(5_000);
    await service.run(message, { companyId, gateway: source }, logger);
    assert.deepEqual(source.reads, [null, '2', '4']);
    const run = runs.runs.get(message.eventId)!;
    assert.equal(run.status, 'completed');
    assert.equal(run.trigger, 'ContactSyncRequested');
    assert.equal(String(run.connectionId), connectionId);
    assert.deepEqual(run.startedAt, new Date(clock.now()));
    assert.deepEqual(run.finishedAt, new Date(clock.now()));
    assert.deepEqual(
      { pages: run.pages, seen: run.seen, created: run.created, invalid: run.invalid, off: run.notOnWhatsApp },
      { pages: 3, seen: 5, created: 5, invalid: 1, off: 1 },
    );
    assert.equal(runs.contact(companyId, '+5511911110001')?.name, 'Ana', 'phones in E.164 with the company region');
    assert.equal(runs.contact(companyId, '+5511911110004')?.validation?.onWhatsApp, false);
    assert.equal(runs.contact(companyId, 'not a phone')?.validation?.valid, false);
    assert.deepEqual(
      ofType('ContactsSynced').map((event) => (event.payload as { page: number }).page),
      [0, 1, 2],
    );
    assert.deepEqual(
      ofType('ContactSyncCompleted').map((event) => event.payload),
      [
        {
          connectionId,
          syncId: message.eventId,
          pages: 3,
          seen: 5,
          created: 5,
          updated: 0,
          invalid: 1,
          notOnWhatsApp: 1,
        },
      ],
    );
    assert.equal(ofType('ContactSyncCompleted')[0]!.cause.causationId, message.eventId);
  });

  test('the same run delivered again once completed does nothing; a new run of an unchanged book reports nothing new', async () => {
    const message = trigger();
    await service.run(message, { companyId, gateway: book() }, logger);
    const published = events.published.length;
    const again = book();
    await service.run(message, { companyId, gateway: again }, logger);
    assert.deepEqual(again.reads, [], 'a completed run reads nothing');
    assert.equal(events.published.length, published);
    const next = trigger();
    await service.run(next, { companyId, gateway: book() }, logger);
    assert.equal(ofType('ContactsSynced').length, 3, 'no page changed anything');
    const run = runs.runs.get(next.eventId)!;
    assert.deepEqual([run.created, run.updated, run.unchanged, run.status], [0, 0, 5, 'completed']);
  });

  test('a redelivery after a failure mid-run resumes at the stored cursor', async () => {
    const source = book();
    source.failAt = '4';
    const message = trigger();
    await assert.rejects(service.run(message, { companyId, gateway: source }, logger), /provider unavailable/);
    const stopped = runs.runs.get(message.eventId)!;
    assert.deepEqual([stopped.status, stopped.cursor, stopped.pages], ['running', '4', 2]);
    source.reads.length = 0;
    await service.run(message, { companyId, gateway: source }, logger);
    assert.deepEqual(source.reads, ['4'], 'pages already stored are not read again');
    const run = runs.runs.get(message.eventId)!;
    assert.deepEqual([run.status, run.pages, run.seen], ['completed', 3, 5]);
    assert.equal(ofType('ContactSyncCompleted').length, 1);
  });

  test('a second copy of a run that finds the other ahead stops, and does not complete it', async () => {
    const message = trigger();
    const source = book();
    const original = source.listContacts.bind(source);
    // The other copy stores the first page while this one reads it.
    source.listContacts = async (cursor) => {
      const page = await original(cursor);
      if (cursor === null) await runs.advance(message.eventId, { cursor: null, pages: 0 }, '2', zero);
      return page;
    };
    const zero = { seen: 0, created: 0, updated: 0, unchanged: 0, invalid: 0, notOnWhatsApp: 0 };
    await service.run(message, { companyId, gateway: source }, logger);
    const run = runs.runs.get(message.eventId)!;
    assert.deepEqual([run.status, run.pages, run.cursor], ['running', 1, '2']);
    assert.equal(ofType('ContactSyncCompleted').length, 0);
  });
});
