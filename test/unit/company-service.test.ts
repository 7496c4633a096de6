import assert from 'node:assert/strict';
import { beforeEach, describe, test } from 'node:test';
import { Types } from 'mongoose';
import { hashApiKey } from '../../src/application/companies/api-keys';
import { CompanyService } from '../../src/application/companies/company-accounts';
import { DEFAULT_AUTO_PAUSE } from '../../src/domain/campaigns/failure-threshold';
import { isAppError } from '../../src/domain/errors';
import { DEFAULT_PACING } from '../../src/domain/pacing/pacing-settings';
import { DEFAULT_OPT_OUT } from '../../src/domain/suppression/opt-out-keywords';
import { InMemoryApiKeyStore, InMemoryCompanyRepository } from '../support/in-memory-companies';
import { ManualClock } from '../support/in-memory-shippings';

describe('company service', () => {
  let companies: InMemoryCompanyRepository;
  let apiKeys: InMemoryApiKeyStore;
  let service: CompanyService;
  const code = (expected: 'not-found' | 'invalid') => (error: unknown) => isAppError(error, expected);

  beforeEach(() => {
    const clock = new ManualClock();
    companies = new InMemoryCompanyRepository(clock.now);
    apiKeys = new InMemoryApiKeyStore();
    service = new CompanyService({ companies, apiKeys });
  });

  test('register: the company with default pacing, and its first key stored only as its hash', async () => {
    const { company, apiKey } = await service.register({ name: 'Acme', pacing: { messageIntervalMs: 9_000 } });
    assert.equal(company.name, 'Acme');
    assert.equal(company.pacing.messageIntervalMs, 9_000);
    assert.equal(company.pacing.greaterIntervalMs, DEFAULT_PACING.greaterIntervalMs);
    assert.equal(company.sendingWindows, null);
    assert.match(apiKey, /^dsp_/);
    const stored = apiKeys.byHash.get(hashApiKey(apiKey));
    assert.equal(String(stored?.companyId), String(company._id));
    assert.equal(stored?.label, 'default');
    assert.equal(stored?.preview, apiKey.slice(0, 8));
    assert.ok(![...apiKeys.byHash.values()].some((key) => JSON.stringify(key).includes(apiKey)), 'no plain key kept');
  });

  test('update: only the fields given; pacing, opt-out and auto-pause merge into what is stored', async () => {
    const { company } = await service.register({ name: 'Acme' });
    const id = String(company._id);
    const updated = await service.update(id, {
      pacing: { messageIntervalMs: 7_000 },
      optOut: { keywords: ['PARAR'] },
      autoPause: { window: 5 },
      dailyCap: null,
    });
    assert.equal(updated.name, 'Acme');
    assert.equal(updated.pacing.messageIntervalMs, 7_000);
    assert.equal(updated.pacing.greaterIntervalMs, DEFAULT_PACING.greaterIntervalMs);
    assert.deepEqual(updated.optOut, { ...DEFAULT_OPT_OUT, keywords: ['PARAR'] });
    assert.deepEqual(updated.autoPause, { ...DEFAULT_AUTO_PAUSE, window: 5 });
    assert.equal(updated.dailyCap, null);
    assert.equal((await service.update(id, {})).name, 'Acme', 'nothing to change: the company as it is');
  });

  test('update: a keyword both opting out and in is invalid; an unknown company is not found', async () => {
    const { company } = await service.register({ name: 'Acme' });
    await assert.rejects(
      service.update(String(company._id), { optOut: { keywords: ['SAIR'], optInKeywords: ['sair'] } }),
      code('invalid'),
    );
    await assert.rejects(service.update(String(new Types.ObjectId()), { name: 'x' }), code('not-found'));
    await assert.rejects(service.update('nope', { name: 'x' }), code('not-found'));
  });

  test('keys: issued for an existing company only; revoked by public id, only the company’s own', async () => {
    const { company } = await service.register({ name: 'Acme' });
    const other = await service.register({ name: 'Other' });
    const { record, apiKey } = await service.issueKey(String(company._id), 'ci');
    assert.equal(record._id, hashApiKey(apiKey));
    await assert.rejects(service.issueKey(String(new Types.ObjectId()), 'ci'), code('not-found'));
    await assert.rejects(service.revokeKey(String(other.company._id), record.keyId), code('not-found'));
    assert.equal(await service.revokeKey(String(company._id), record.keyId), record._id);
    assert.equal(apiKeys.byHash.has(record._id), false);
    await assert.rejects(service.revokeKey(String(company._id), record.keyId), code('not-found'));
  });
});
