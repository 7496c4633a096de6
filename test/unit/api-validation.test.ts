import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import { apiCache } from '../../src/api/api-cache';
import { HttpProblem } from '../../src/api/problem';
import { CreateCampaignBody, PageQuery, UpdateCampaignBody, UpdateCompanyBody } from '../../src/api/schemas';
import { validate } from '../../src/api/validation';

function problemOf(run: () => unknown): HttpProblem {
  try {
    run();
  } catch (error) {
    assert.ok(error instanceof HttpProblem);
    return error;
  }
  assert.fail('expected a 400');
}

describe('request validation', () => {
  test('a 400 names every bad field, unknown ones included, with its request part', () => {
    const problem = problemOf(() =>
      validate(
        CreateCampaignBody,
        { name: '', connectionId: 'x', variants: [], pacing: { messageInterval: 'fast' }, extra: 1, other: 2 },
        'body',
      ),
    );
    assert.equal(problem.status, 400);
    const fields = problem.errors!.map((error) => error.field).sort();
    assert.deepEqual(fields, [
      'body.connectionId',
      'body.extra',
      'body.listId',
      'body.name',
      'body.other',
      'body.pacing.messageInterval',
      'body.variants',
    ]);
  });

  test('the error list is bounded, whatever the body', () => {
    const junk = Object.fromEntries(Array.from({ length: 5_000 }, (_, i) => [`k${i}${'x'.repeat(500)}`, i]));
    const problem = problemOf(() => validate(UpdateCompanyBody, junk, 'body'));
    assert.ok(problem.errors!.length <= 50);
    assert.ok(problem.errors!.every((error) => error.field.length <= 200));
  });

  test('pages: limit 1–200 (default 50), cursor an id, nothing else', () => {
    assert.deepEqual(validate(PageQuery, {}, 'query'), { limit: 50 });
    assert.deepEqual(validate(PageQuery, { limit: '200', cursor: '0123456789abcdef01234567' }, 'query'), {
      limit: 200,
      cursor: '0123456789abcdef01234567',
    });
    for (const query of [
      { limit: '0' },
      { limit: '201' },
      { limit: '2.5' },
      { limit: ['1', '2'] },
      { cursor: 'zz' },
      { page: '1' },
    ]) {
      assert.equal(
        problemOf(() => validate(PageQuery, query, 'query')).errors![0]!.field.startsWith('query.'),
        true,
        JSON.stringify(query),
      );
    }
  });

  test('a company’s time zone must be one the runtime knows', () => {
    assert.equal(validate(UpdateCompanyBody, { timezone: 'Europe/Lisbon' }, 'body').timezone, 'Europe/Lisbon');
    assert.equal(
      problemOf(() => validate(UpdateCompanyBody, { timezone: 'Mars/Olympus' }, 'body')).errors![0]!.field,
      'body.timezone',
    );
  });

  test('an update must change something; null clears the media', () => {
    assert.equal(problemOf(() => validate(UpdateCampaignBody, {}, 'body')).status, 400);
    assert.deepEqual(validate(UpdateCampaignBody, { mediaUrl: null }, 'body'), { mediaUrl: null });
  });
});

describe('API cache (lru-cache)', () => {
  test('keeps a value for its time, loads again after; 0 keeps nothing; bounded', async () => {
    let now = 1_000;
    let loads = 0;
    const load = async () => ++loads;
    const cache = apiCache<number>(100, 2, { now: () => now });
    assert.equal(await cache.get('a', load), 1);
    assert.equal(await cache.get('a', load), 1);
    now = 1_101;
    assert.equal(await cache.get('a', load), 2);
    cache.delete('a');
    assert.equal(await cache.get('a', load), 3);
    await cache.get('b', load);
    await cache.get('c', load); // evicts the oldest, a
    assert.equal(await cache.get('a', load), 6);
    const never = apiCache<number>(0);
    assert.equal(await never.get('a', load), 7);
    assert.equal(await never.get('a', load), 8);
  });

  test('a failed load is not remembered', async () => {
    const cache = apiCache<number>(1_000);
    await assert.rejects(
      cache.get('a', async () => {
        throw new Error('unknown key');
      }),
    );
    assert.equal(await cache.get('a', async () => 1), 1);
  });
});
