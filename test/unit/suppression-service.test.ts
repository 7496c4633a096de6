import assert from 'node:assert/strict';
import { Readable } from 'node:stream';
import { beforeEach, describe, test } from 'node:test';
import { Types } from 'mongoose';
import { CsvHeaderError } from '../../src/application/contacts/csv-import';
import { SuppressionService } from '../../src/application/suppression/suppression-service';
import { newCorrelation } from '../../src/domain/events/envelope';
import { createLogger } from '../../src/infrastructure/observability/logger';
import { ManualClock, RecordedEvents } from '../support/in-memory-shippings';
import { InMemorySuppressions } from '../support/in-memory-suppressions';

describe('suppression service', () => {
  let list: InMemorySuppressions;
  let events: RecordedEvents;
  let clock: ManualClock;
  let cancelled: Array<{ contactId: string; reason: string }>;
  let changes: Array<[string, string, number]>;
  let service: SuppressionService;
  let companyId: string;
  const cause = newCorrelation(String(new Types.ObjectId()));
  const connectionId = String(new Types.ObjectId());

  beforeEach(() => {
    list = new InMemorySuppressions();
    events = new RecordedEvents();
    clock = new ManualClock();
    cancelled = [];
    changes = [];
    service = new SuppressionService({
      suppressions: list,
      cancelUnsent: async (_cause, contactId, reason) => {
        cancelled.push({ contactId: String(contactId), reason });
        return 2;
      },
      events,
      metrics: { suppressionChanged: (change, source, count = 1) => void changes.push([change, source, count]) },
      logger: createLogger({ level: 'error', service: 'test', silent: true }),
      now: clock.now,
    });
    companyId = list.addCompany();
  });

  const at = () => new Date(clock.now());

  test('suppress: stored, the contact’s unsent messages cancelled, ContactOptedOut once; again changes nothing', async () => {
    const contactId = list.addContact(companyId, '+5511911110000');
    const input = {
      companyId,
      phone: '+5511911110000',
      source: 'api' as const,
      keyword: null,
      connectionId: null,
      at: at(),
    };
    assert.deepEqual(await service.suppress(cause, input), { changed: true, cancelledShippings: 2 });
    assert.equal(await service.isSuppressed(companyId, '+5511911110000'), true);
    assert.equal(await service.isSuppressed(new Types.ObjectId(companyId), '+5511911110000'), true);
    assert.deepEqual(cancelled, [{ contactId: String(contactId), reason: 'opted out' }]);
    assert.deepEqual(
      events.published.map((event) => [event.type, (event.payload as { contactId: string }).contactId]),
      [['ContactOptedOut', String(contactId)]],
    );
    assert.deepEqual(await service.suppress(cause, { ...input, source: 'opt-out' }), {
      changed: false,
      cancelledShippings: 0,
    });
    assert.equal(events.published.length, 1, 'nothing published the second time');
    assert.equal(list.entry(companyId, '+5511911110000')?.source, 'api', 'the first source stays');
    assert.deepEqual(changes, [['opted-out', 'api', 1]]);
  });

  test('suppress a phone no contact has: stored and published, nothing cancelled', async () => {
    const result = await service.suppress(cause, {
      companyId,
      phone: '+5511922220000',
      source: 'api',
      keyword: null,
      connectionId: null,
      at: at(),
    });
    assert.deepEqual(result, { changed: true, cancelledShippings: 0 });
    assert.deepEqual(cancelled, []);
    assert.equal((events.published[0]!.payload as { contactId: unknown }).contactId, null);
  });

  test('lift: an opt-in keyword lifts only the contact’s own opt-out; the API lifts any', async () => {
    const base = { companyId, keyword: null, connectionId: null, at: at() };
    await service.suppress(cause, { ...base, phone: '+5511911110000', source: 'api' });
    await service.suppress(cause, { ...base, phone: '+5511922220000', source: 'opt-out', keyword: 'SAIR' });
    clock.advance(1_000);
    const optIn = { ...base, at: at(), source: 'opt-in' as const, keyword: 'VOLTAR' };
    assert.equal(await service.lift(cause, { ...optIn, phone: '+5511911110000' }), false, 'an API entry stays');
    assert.equal(await service.lift(cause, { ...optIn, phone: '+5511922220000' }), true);
    assert.equal(await service.isSuppressed(companyId, '+5511922220000'), false);
    assert.deepEqual(list.entry(companyId, '+5511922220000')?.liftedAt, at());
    assert.equal(await service.lift(cause, { ...optIn, phone: '+5511922220000' }), false, 'nothing left to lift');
    assert.equal(await service.lift(cause, { ...base, source: 'api', phone: '+5511911110000' }), true);
    assert.deepEqual(
      events.published.map((event) => event.type),
      ['ContactOptedOut', 'ContactOptedOut', 'ContactOptedIn', 'ContactOptedIn'],
    );
    assert.deepEqual(changes.slice(2), [
      ['opted-in', 'opt-in', 1],
      ['opted-in', 'api', 1],
    ]);
  });

  test('inbound messages: an opt-out keyword suppresses, an opt-in keyword lifts, other text changes nothing', async () => {
    const message = { companyId, connectionId, from: '5511911110000', at: at(), source: 'sandbox' };
    assert.deepEqual(await service.receive({ ...message, text: 'olá' }, cause), {
      action: 'none',
      phone: '+5511911110000',
    });
    const out = await service.receive({ ...message, text: '  sair ' }, cause);
    assert.deepEqual(out, { action: 'opted-out', phone: '+5511911110000', changed: true, cancelledShippings: 0 });
    const entry = list.entry(companyId, '+5511911110000');
    assert.equal(entry?.source, 'opt-out');
    assert.equal(entry?.keyword, 'SAIR');
    assert.equal(String(entry?.connectionId), connectionId);
    assert.deepEqual(await service.receive({ ...message, text: 'SAIR' }, cause), {
      action: 'opted-out',
      phone: '+5511911110000',
      changed: false,
      cancelledShippings: 0,
    });
    assert.deepEqual(await service.receive({ ...message, text: 'Voltar' }, cause), {
      action: 'opted-in',
      phone: '+5511911110000',
      changed: true,
    });
    assert.deepEqual(await service.receive({ ...message, from: 'abc', text: 'SAIR' }, cause), {
      action: 'none',
      phone: null,
    });
    assert.deepEqual(
      await service.receive({ ...message, companyId: String(new Types.ObjectId()), text: 'SAIR' }, cause),
      {
        action: 'none',
        phone: null,
      },
    );
  });

  test('inbound messages use the company’s own keywords and region', async () => {
    const custom = list.addCompany({ defaultRegion: 'PT', optOut: { keywords: ['BASTA'], optInKeywords: ['VOLTO'] } });
    const message = { companyId: custom, connectionId, from: '912345678', at: at(), source: 'cloud-api' };
    assert.equal((await service.receive({ ...message, text: 'SAIR' }, cause)).action, 'none');
    const out = await service.receive({ ...message, text: 'basta' }, cause);
    assert.deepEqual(out, { action: 'opted-out', phone: '+351912345678', changed: true, cancelledShippings: 0 });
  });

  test('import: phones normalised and written in rounds of 1000, bad rows reported by line, counts exact', async () => {
    await service.suppress(cause, {
      companyId,
      phone: '+5511900000001',
      source: 'opt-out',
      keyword: 'SAIR',
      connectionId: null,
      at: at(),
    });
    await service.suppress(cause, {
      companyId,
      phone: '+5511900000002',
      source: 'api',
      keyword: null,
      connectionId: null,
      at: at(),
    });
    await service.lift(cause, {
      companyId,
      phone: '+5511900000002',
      source: 'api',
      keyword: null,
      connectionId: null,
      at: at(),
    });
    clock.advance(60_000);
    const rows = Array.from({ length: 1_500 }, (_, i) => `11 9${String(i).padStart(8, '0')},x`);
    const csv = ['name,phone', ...rows.map((row) => `n,${row.split(',')[0]}`), 'n,nope', 'n,11 900000001'].join('\n');
    const report = await service.importCsv({ companyId, defaultRegion: 'BR' }, Readable.from([csv]));
    assert.equal(report.rowsRead, 1_502);
    assert.equal(report.rejected, 1);
    assert.equal(report.errors[0]?.line, 1_502);
    // 1500 distinct phones: the one suppressed already counts as such in each round it appears (twice),
    // the lifted one is suppressed again.
    assert.equal(report.alreadySuppressed, 2);
    assert.equal(report.suppressed, 1_499);
    assert.deepEqual(list.rounds, [1_000, 501]);
    assert.equal(list.entry(companyId, '+5511900000001')?.source, 'opt-out', 'a suppressed phone keeps its source');
    const again = list.entry(companyId, '+5511900000002');
    assert.equal(again?.suppressed, true);
    assert.equal(again?.source, 'import');
    assert.deepEqual(again?.suppressedAt, at());
    assert.deepEqual(changes.at(-1), ['opted-out', 'import', 1_499]);
  });

  test('import without a phone column, or empty, is refused', async () => {
    await assert.rejects(
      service.importCsv({ companyId, defaultRegion: 'BR' }, Readable.from(['name\nAna\n'])),
      CsvHeaderError,
    );
    await assert.rejects(service.importCsv({ companyId, defaultRegion: 'BR' }, Readable.from([''])), CsvHeaderError);
  });
});
