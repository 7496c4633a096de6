import assert from 'node:assert/strict';
import { beforeEach, describe, test } from 'node:test';
import { Types } from 'mongoose';
import {
  TemplateCatalogueService,
  TemplatesUnavailableError,
} from '../../src/application/templates/template-catalogue';
import { GatewayError } from '../../src/domain/whatsapp/gateway';
import type { CatalogTemplate } from '../../src/domain/whatsapp/templates';
import { createLogger } from '../../src/infrastructure/observability/logger';
import { ManualClock } from '../support/in-memory-shippings';
import {
  FakeTemplateProviders,
  FixedTemplateNumbers,
  InMemoryTemplateCatalogues,
} from '../support/in-memory-template-catalogues';

const HOUR = 3_600_000;

const template = (status: string): CatalogTemplate => ({
  name: 'order_update',
  language: 'pt_BR',
  category: 'UTILITY',
  status,
  parameterFormat: 'POSITIONAL',
  components: [{ type: 'BODY', text: 'Olá {{1}}' }],
});

describe('template catalogue service', () => {
  const companyId = String(new Types.ObjectId());
  const number = String(new Types.ObjectId());
  const other = String(new Types.ObjectId());
  let clock: ManualClock;
  let catalogues: InMemoryTemplateCatalogues;
  let providers: FakeTemplateProviders;
  let numbers: FixedTemplateNumbers;
  let service: TemplateCatalogueService;
  const reads = (id: string) => providers.reads.get(id) ?? 0;

  beforeEach(() => {
    clock = new ManualClock();
    catalogues = new InMemoryTemplateCatalogues();
    providers = new FakeTemplateProviders(companyId);
    providers.catalogues.set(number, [template('APPROVED')]);
    numbers = new FixedTemplateNumbers([number]);
    service = new TemplateCatalogueService({
      catalogues,
      source: providers,
      numbers,
      logger: createLogger({ level: 'error', service: 'test', silent: true }),
      now: clock.now,
      maxAgeMs: HOUR,
    });
  });

  test('refresh: reads the provider and stores the templates with when, replacing the previous ones', async () => {
    const read = await service.refresh(number);
    assert.equal(read.justRead, true);
    assert.deepEqual(read.templates, [template('APPROVED')]);
    assert.equal(read.fetchedAt?.getTime(), clock.now());
    providers.catalogues.set(number, [template('PAUSED')]);
    clock.advance(1_000);
    await service.refresh(number);
    const stored = catalogues.byId.get(number)!;
    assert.deepEqual(stored.templates, [template('PAUSED')]);
    assert.equal(stored.fetchedAt?.getTime(), clock.now());
    assert.equal(stored.companyId, companyId);
  });

  test('current: the stored catalogue while younger than the maximum age, read again after it', async () => {
    await service.current(number);
    assert.equal(reads(number), 1);
    clock.advance(HOUR - 1);
    const cached = await service.current(number);
    assert.equal(reads(number), 1, 'fresh: served from the store');
    assert.equal(cached.justRead, undefined);
    clock.advance(1);
    const again = await service.current(number);
    assert.equal(reads(number), 2, 'expired: read again');
    assert.equal(again.justRead, true);
    await service.markStale(number);
    await service.current(number);
    assert.equal(reads(number), 3, 'marked stale: read again at once');
  });

  test('a failed read keeps the templates read before, records why, and current falls back to them', async () => {
    await service.refresh(number);
    const fetchedAt = clock.now();
    clock.advance(2 * HOUR);
    providers.failWith = new GatewayError('retry', 'HTTP 500', '1');
    await assert.rejects(service.refresh(number), (error: unknown) => {
      assert.ok(error instanceof TemplatesUnavailableError);
      assert.equal(error.code, '1');
      return true;
    });
    const stored = catalogues.byId.get(number)!;
    assert.equal(stored.lastError, '1: HTTP 500');
    assert.equal(stored.lastErrorAt?.getTime(), clock.now());
    assert.equal(stored.fetchedAt?.getTime(), fetchedAt, 'the last good read is kept');
    const fallback = await service.current(number);
    assert.deepEqual(fallback.templates, [template('APPROVED')]);
    assert.match(fallback.lastError ?? '', /HTTP 500/);
    providers.failWith = null;
    const recovered = await service.current(number);
    assert.equal(recovered.lastError, null);
    assert.equal(catalogues.byId.get(number)?.lastError, null);
  });

  test('with nothing stored, a failed read throws; a number without templates is UNSUPPORTED', async () => {
    providers.failWith = new GatewayError('permanent', 'no waba', 'NO_WABA_ID');
    await assert.rejects(service.current(number), (error: unknown) => {
      assert.ok(error instanceof TemplatesUnavailableError);
      assert.equal(error.code, 'NO_WABA_ID');
      return true;
    });
    assert.deepEqual(catalogues.byId.get(number)?.templates, [], 'the failure is recorded on an empty catalogue');
    await assert.rejects(service.refresh(other), (error: unknown) => {
      assert.ok(error instanceof TemplatesUnavailableError);
      assert.equal(error.code, 'UNSUPPORTED');
      return true;
    });
  });

  test('refreshStale: only old catalogues of the numbers that can have templates; one failure does not stop the rest', async () => {
    const third = String(new Types.ObjectId());
    providers.catalogues.set(other, [template('APPROVED')]);
    providers.catalogues.set(third, [template('APPROVED')]);
    numbers.ids.push(other, third);
    assert.deepEqual(await service.refreshStale(), { refreshed: 3, failed: 0 });
    clock.advance(HOUR / 2);
    await service.refresh(other);
    clock.advance(HOUR / 2);
    assert.deepEqual(await service.refreshStale(), { refreshed: 2, failed: 0 }, 'the one read half an hour ago waits');
    assert.equal(reads(other), 2);
    clock.advance(HOUR);
    providers.catalogues.delete(third);
    assert.deepEqual(await service.refreshStale(), { refreshed: 2, failed: 1 });
  });
});
