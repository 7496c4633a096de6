import assert from 'node:assert/strict';
import { after, before, describe, test } from 'node:test';
import { CampaignProgress } from '../../src/api/responses';
import { findViolations } from '../../src/domain/pacing/pacing-rule';
import { createCampaign, seedCompany, startSystem, type TestSystem, waitForStatus, waitUntil } from '../support/system';

const DAYS = ['sun', 'mon', 'tue', 'wed', 'thu', 'fri', 'sat'] as const;

/** `HH:MM:SS` in UTC of an instant (the company's zone is UTC in these tests). */
const clock = (at: number) => new Date(at).toISOString().slice(11, 19);

describe('sending limits on the sandbox: windows, randomised gaps, daily caps', () => {
  let system: TestSystem;
  before(async () => {
    system = await startSystem('limits');
  });
  after(() => system.stop());

  test('a campaign stops at its window’s closing time, says it waits for the window, and resumes at the opening', async (t) => {
    let now = Date.now();
    // Windows are per weekday: keep clear of midnight UTC so both stay on one day.
    const toMidnight = 86_400_000 - (now % 86_400_000);
    if (toMidnight < 120_000) {
      await new Promise((resolve) => setTimeout(resolve, toMidnight + 1_000));
      now = Date.now();
    }
    const base = Math.floor(now / 1000) * 1000;
    const closesAt = base + 5_000;
    const opensAt = base + 12_000;
    const today = DAYS[new Date(base).getUTCDay()]!;
    const seeded = await seedCompany(system, {
      pacing: { messageInterval: 0.4, longerIntervalAfter: 100, greaterInterval: 5 },
      contacts: 16,
    });
    const sendingWindows = [
      { days: [today], start: clock(base - 60_000), end: clock(closesAt) },
      { days: [today], start: clock(opensAt), end: clock(opensAt + 60_000) },
    ];
    const patched = await system.api('PATCH', '/v1/company', { timezone: 'UTC', sendingWindows }, seeded.key);
    assert.equal(patched.status, 200, JSON.stringify(patched.body));
    assert.deepEqual(patched.body.sendingWindows, sendingWindows);

    const campaignId = await createCampaign(system, seeded.key, {
      connectionId: seeded.connectionId,
      listId: seeded.listId,
    });
    assert.equal((await system.api('POST', `/v1/campaigns/${campaignId}/start`, undefined, seeded.key)).status, 202);

    // While the window is closed, progress says so and names the next opening.
    await waitUntil('the window to close', async () => (Date.now() > closesAt + 200 ? true : undefined), 20_000);
    const waiting = await system.api('GET', `/v1/campaigns/${campaignId}/progress`, undefined, seeded.key);
    CampaignProgress.parse(waiting.body);
    assert.equal(waiting.body.waitingFor, 'window');
    assert.equal(Date.parse(waiting.body.nextOpeningAt), opensAt);
    assert.ok(Date.parse(waiting.body.estimatedFinishAt) >= opensAt, 'the estimate counts the closed window');
    const board = await system.api('GET', '/v1/progress', undefined, seeded.key);
    assert.equal(
      board.body.campaigns.find((c: { campaignId: string }) => c.campaignId === campaignId).waitingFor,
      'window',
    );

    await waitForStatus(system, seeded.key, campaignId, 'completed', 40_000);
    const sends = await system.sandboxSends(seeded.connectionId);
    assert.equal(sends.length, 16);
    assert.deepEqual(
      sends.filter((send) => send.violation),
      [],
      'the sandbox saw no pacing or window violation',
    );
    const times = sends.map((send) => send.receivedAt.getTime());
    const before = times.filter((at) => at < closesAt);
    const later = times.filter((at) => at >= opensAt);
    t.diagnostic(`${before.length} sends before the closing, ${later.length} after the opening`);
    assert.equal(before.length + later.length, 16, 'no send between the closing and the opening');
    assert.ok(before.length > 0 && later.length > 0, 'the campaign spanned the closed window');
    assert.deepEqual(
      findViolations(times, { messageIntervalMs: 400, longerIntervalAfter: 100, greaterIntervalMs: 5_000 }),
      [],
    );
  });

  test('randomised gaps: each gap is drawn inside the range, never below its minimum', async () => {
    const seeded = await seedCompany(system, {
      pacing: { messageInterval: 0.1, longerIntervalAfter: 100, greaterInterval: 5 },
      contacts: 12,
    });
    const campaignId = await createCampaign(system, seeded.key, {
      connectionId: seeded.connectionId,
      listId: seeded.listId,
      pacing: { messageInterval: { min: 0.15, max: 0.6 } },
    });
    const view = await system.api('GET', `/v1/campaigns/${campaignId}`, undefined, seeded.key);
    assert.deepEqual(view.body.pacing.messageInterval, { min: 0.15, max: 0.6 });
    await system.api('POST', `/v1/campaigns/${campaignId}/start`, undefined, seeded.key);
    await waitForStatus(system, seeded.key, campaignId, 'completed', 30_000);
    const sends = await system.sandboxSends(seeded.connectionId);
    assert.equal(sends.length, 12);
    assert.deepEqual(
      sends.filter((send) => send.violation),
      [],
    );
    const times = sends.map((send) => send.receivedAt.getTime());
    const gaps = times.slice(1).map((at, i) => at - times[i]!);
    for (const gap of gaps) assert.ok(gap >= 150, `gap ${gap} ms ≥ the minimum`);
    assert.ok(Math.max(...gaps) - Math.min(...gaps) > 100, `the gaps vary: ${gaps.join(', ')}`);
  });

  test('a daily cap (warm-up included) stops a number at its unique recipients for the day', async () => {
    const seeded = await seedCompany(system, {
      pacing: { messageInterval: 0.05, longerIntervalAfter: 100, greaterInterval: 5 },
      contacts: 8,
    });
    const capped = await system.api(
      'PATCH',
      `/v1/connections/${seeded.connectionId}`,
      { dailyCap: { perDay: 'tier250', warmUp: [3, 10] } },
      seeded.key,
    );
    assert.equal(capped.status, 200, JSON.stringify(capped.body));
    assert.deepEqual(capped.body.dailyCap, { perDay: 250, warmUp: [3, 10] });
    const campaignId = await createCampaign(system, seeded.key, {
      connectionId: seeded.connectionId,
      listId: seeded.listId,
    });
    await system.api('POST', `/v1/campaigns/${campaignId}/start`, undefined, seeded.key);
    await waitUntil(
      'three sends',
      async () => ((await system.sandboxSends(seeded.connectionId)).length >= 3 ? true : undefined),
      20_000,
    );
    await new Promise((resolve) => setTimeout(resolve, 2_000));
    const sends = await system.sandboxSends(seeded.connectionId);
    assert.equal(sends.length, 3, 'day 0 of the warm-up allows 3 recipients');
    assert.deepEqual(
      sends.filter((send) => send.violation),
      [],
    );
    const campaign = await system.api('GET', `/v1/campaigns/${campaignId}`, undefined, seeded.key);
    assert.equal(campaign.body.status, 'running', 'the rest waits for the cap');
    await system.api('POST', `/v1/campaigns/${campaignId}/cancel`, undefined, seeded.key);
  });

  test('a company-wide cap is never exceeded by two campaigns on two numbers; progress says they wait for it', async () => {
    const seeded = await seedCompany(system, {
      pacing: { messageInterval: 0.05, longerIntervalAfter: 100, greaterInterval: 5 },
      contacts: 5,
      connections: 2,
    });
    const company = await system.api('PATCH', '/v1/company', { dailyCap: { perDay: 6 } }, seeded.key);
    assert.equal(company.status, 200, JSON.stringify(company.body));
    assert.deepEqual(company.body.dailyCap, { perDay: 6, warmUp: [] });
    // A second list of five other phones for the second number.
    const other = await system.api('POST', '/v1/contact-lists', { name: 'Outros' }, seeded.key);
    const phones = Array.from({ length: 5 }, (_, i) => ({ phone: `+55119${String(70_000_000 + i).padStart(8, '0')}` }));
    await system.api('POST', `/v1/contact-lists/${other.body.id}/contacts`, { contacts: phones }, seeded.key);
    const first = await createCampaign(system, seeded.key, {
      connectionId: seeded.connections[0],
      listId: seeded.listId,
    });
    const second = await createCampaign(system, seeded.key, {
      connectionId: seeded.connections[1],
      listId: other.body.id,
    });
    await Promise.all(
      [first, second].map((id) => system.api('POST', `/v1/campaigns/${id}/start`, undefined, seeded.key)),
    );
    const sendsOf = async () => (await Promise.all(seeded.connections.map((id) => system.sandboxSends(id)))).flat();
    await waitUntil('six sends', async () => ((await sendsOf()).length >= 6 ? true : undefined), 20_000);
    await new Promise((resolve) => setTimeout(resolve, 2_000));
    const sends = await sendsOf();
    assert.equal(sends.length, 6, 'the company’s cap of 6 unique recipients holds over both numbers');
    assert.deepEqual(
      sends.filter((send) => send.violation),
      [],
    );
    assert.equal(new Set(sends.map((send) => send.to)).size, 6);
    const progress = await system.api('GET', `/v1/campaigns/${first}/progress`, undefined, seeded.key);
    CampaignProgress.parse(progress.body);
    assert.equal(progress.body.status, 'running');
    assert.equal(progress.body.waitingFor, 'cap');
    const firstSend = Math.min(...sends.map((send) => send.receivedAt.getTime()));
    assert.ok(
      Math.abs(Date.parse(progress.body.capFreesAt) - (firstSend + 86_400_000)) < 5_000,
      `a slot frees 24 h after the oldest send (${progress.body.capFreesAt})`,
    );
    const board = await system.api('GET', '/v1/progress', undefined, seeded.key);
    assert.ok(
      board.body.campaigns.every((c: { waitingFor: string }) => c.waitingFor === 'cap'),
      'both wait for the cap on the board',
    );
    for (const id of [first, second]) await system.api('POST', `/v1/campaigns/${id}/cancel`, undefined, seeded.key);
  });

  test('a campaign on three numbers spreads its contacts over the three lanes, each paced, with no violation', async () => {
    const seeded = await seedCompany(system, {
      pacing: { messageInterval: 0.1, longerIntervalAfter: 100, greaterInterval: 5 },
      contacts: 30,
      connections: 3,
    });
    // The first number may still take 4 recipients today: it gets 4, the others share the rest.
    await system.api('PATCH', `/v1/connections/${seeded.connections[0]}`, { dailyCap: { perDay: 4 } }, seeded.key);
    const campaignId = await createCampaign(system, seeded.key, {
      connectionIds: seeded.connections,
      listId: seeded.listId,
    });
    const view = await system.api('GET', `/v1/campaigns/${campaignId}`, undefined, seeded.key);
    assert.deepEqual(view.body.connectionIds, seeded.connections);
    assert.equal(view.body.connectionId, seeded.connections[0]);
    await system.api('POST', `/v1/campaigns/${campaignId}/start`, undefined, seeded.key);
    await waitForStatus(system, seeded.key, campaignId, 'completed', 40_000);
    const perLane = await Promise.all(seeded.connections.map((id) => system.sandboxSends(id)));
    assert.deepEqual(
      perLane.map((sends) => sends.length),
      [4, 13, 13],
      'weighted by what each number may still send',
    );
    const all = perLane.flat();
    assert.equal(new Set(all.map((send) => send.to)).size, 30, 'each contact once');
    assert.deepEqual(
      all.filter((send) => send.violation),
      [],
    );
    for (const sends of perLane) {
      const times = sends.map((send) => send.receivedAt.getTime());
      assert.deepEqual(
        findViolations(times, { messageIntervalMs: 100, longerIntervalAfter: 100, greaterIntervalMs: 5_000 }),
        [],
      );
    }
    const progress = await system.api('GET', `/v1/campaigns/${campaignId}/progress`, undefined, seeded.key);
    assert.deepEqual(progress.body.connectionIds, seeded.connections);
  });

  test('a number stopped mid-campaign: its remaining contacts are sent by the others, each once', async () => {
    const seeded = await seedCompany(system, {
      pacing: { messageInterval: 0.25, longerIntervalAfter: 100, greaterInterval: 5 },
      contacts: 30,
      connections: 3,
    });
    const campaignId = await createCampaign(system, seeded.key, {
      connectionIds: seeded.connections,
      listId: seeded.listId,
    });
    await system.api('POST', `/v1/campaigns/${campaignId}/start`, undefined, seeded.key);
    const stopped = seeded.connections[1]!;
    await waitUntil(
      'a few sends on the second number',
      async () => ((await system.sandboxSends(stopped)).length >= 2 ? true : undefined),
      20_000,
    );
    const off = await system.api('POST', `/v1/connections/${stopped}/disconnect`, undefined, seeded.key);
    assert.equal(off.status, 202, JSON.stringify(off.body));
    assert.equal(off.body.pausedCampaigns, 0, 'the campaign is not paused: its other numbers take over');
    await waitForStatus(system, seeded.key, campaignId, 'completed', 40_000);
    const perLane = await Promise.all(seeded.connections.map((id) => system.sandboxSends(id)));
    const all = perLane.flat();
    assert.equal(all.length, 30, 'every contact sent once');
    assert.equal(new Set(all.map((send) => send.to)).size, 30);
    assert.ok(perLane[1]!.length < 10, `the stopped number sent only ${perLane[1]!.length} of its 10`);
    assert.deepEqual(
      all.filter((send) => send.violation),
      [],
    );
    const campaign = await system.api('GET', `/v1/campaigns/${campaignId}`, undefined, seeded.key);
    assert.equal(campaign.body.counters.sent, 30);
  });

  test('bad limits answer 400 naming the field', async () => {
    const seeded = await seedCompany(system, { contacts: 1 });
    const cases: Array<[string, string, Record<string, unknown>, string]> = [
      [
        'PATCH',
        '/v1/company',
        {
          sendingWindows: [
            { days: ['mon'], start: '09:00', end: '12:00' },
            { days: ['mon'], start: '11:00', end: '13:00' },
          ],
        },
        'body.sendingWindows.1',
      ],
      [
        'PATCH',
        '/v1/company',
        { sendingWindows: [{ days: ['mon'], start: '09:00', end: '09:00' }] },
        'body.sendingWindows.0.end',
      ],
      ['PATCH', '/v1/company', { sendingWindows: [] }, 'body.sendingWindows'],
      ['PATCH', '/v1/company', { pacing: { messageInterval: { min: 3, max: 1 } } }, 'body.pacing.messageInterval.min'],
    ];
    for (const [method, path, body, field] of cases) {
      const answer = await system.api(method, path, body, seeded.key);
      assert.equal(answer.status, 400, `${JSON.stringify(body)} → ${answer.status}`);
      assert.ok(
        answer.body.errors.some((error: { field: string }) => error.field === field),
        `${JSON.stringify(answer.body.errors)} names ${field}`,
      );
    }
    const zeroCap = await system.api(
      'PATCH',
      `/v1/connections/${seeded.connectionId}`,
      { dailyCap: { perDay: 0 } },
      seeded.key,
    );
    assert.equal(zeroCap.status, 400);
    assert.equal(zeroCap.body.errors[0].field, 'body.dailyCap.perDay');
    const campaign = await system.api(
      'POST',
      '/v1/campaigns',
      {
        name: 'x',
        connectionId: seeded.connectionId,
        listId: seeded.listId,
        variants: ['oi'],
        sendingWindows: [{ days: ['tue'], start: '10:00', end: '10:00' }],
      },
      seeded.key,
    );
    assert.equal(campaign.status, 400);
    assert.equal(campaign.body.errors[0].field, 'body.sendingWindows.0.end');
    const other = await seedCompany(system, { contacts: 1 });
    const several: Array<[Record<string, unknown>, string]> = [
      [{ connectionIds: [seeded.connectionId, other.connectionId] }, 'body.connectionIds.1'],
      [{ connectionIds: [seeded.connectionId, seeded.connectionId] }, 'body.connectionIds.1'],
      [{ connectionIds: [seeded.connectionId], connectionId: seeded.connectionId }, 'body.connectionIds'],
      [{ connectionIds: [] }, 'body.connectionIds'],
      [{}, 'body.connectionId'],
    ];
    for (const [numbers, field] of several) {
      const answer = await system.api(
        'POST',
        '/v1/campaigns',
        { name: 'x', listId: seeded.listId, variants: ['oi'], ...numbers },
        seeded.key,
      );
      assert.equal(answer.status, 400, `${JSON.stringify(numbers)} → ${answer.status}`);
      assert.ok(
        answer.body.errors.some((error: { field: string }) => error.field === field),
        `${JSON.stringify(answer.body.errors)} names ${field}`,
      );
    }
    const companyCap = await system.api('PATCH', '/v1/company', { dailyCap: { perDay: 'tier9' } }, seeded.key);
    assert.equal(companyCap.status, 400);
    assert.equal(companyCap.body.errors[0].field, 'body.dailyCap.perDay');
  });
});
