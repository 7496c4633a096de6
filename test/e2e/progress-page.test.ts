import assert from 'node:assert/strict';
import { after, before, describe, test } from 'node:test';
import type { Browser, Page } from 'playwright-core';
import { launchChromium } from '../support/browser';
import { createCampaign, seedCompany, startSystem, type TestSystem, waitUntil } from '../support/system';

/** 12 sends about 0.5 s apart: a campaign that runs long enough to be watched. */
const pacing = { messageInterval: 0.5, longerIntervalAfter: 50, greaterInterval: 1 };
const CONTACTS = 12;

describe('the progress page, in headless Chromium', () => {
  let system: TestSystem;
  let browser: Browser;
  before(async () => {
    [system, browser] = await Promise.all([startSystem('progress-page'), launchChromium()]);
  });
  after(async () => {
    await browser?.close();
    await system?.stop();
  });

  /** Console errors include Content-Security-Policy violations: the page must raise none. */
  function watch(page: Page) {
    const problems: string[] = [];
    const urls: string[] = [];
    page.on('console', (message) => {
      if (message.type() === 'error') problems.push(message.text());
    });
    page.on('pageerror', (error) => problems.push(error.message));
    page.on('request', (request) => urls.push(request.url()));
    return { problems, urls };
  }

  const sentOn = async (page: Page, campaignId: string) =>
    Number((await page.textContent(`[data-campaign-id="${campaignId}"] [data-field="sent"]`))!.replace(/\D/g, ''));

  test('shows a running sandbox campaign, its counts move until it completes; the key never reaches a URL', async () => {
    const seeded = await seedCompany(system, { pacing, contacts: CONTACTS });
    const campaignId = await createCampaign(system, seeded.key, {
      name: 'Campanha visível',
      connectionId: seeded.connectionId,
      listId: seeded.listId,
    });
    assert.equal((await system.api('POST', `/v1/campaigns/${campaignId}/start`, undefined, seeded.key)).status, 202);

    const page = await browser.newPage({ viewport: { width: 1100, height: 900 } });
    const seen = watch(page);
    await page.goto(`${system.apiUrl}/progress#key=${seeded.key}`);
    const row = `[data-campaign-id="${campaignId}"]`;
    await page.waitForSelector(row, { timeout: 15_000 });
    assert.equal(await page.textContent(`${row} .name`), 'Campanha visível');
    assert.equal(await page.textContent('#company'), 'Loja Teste');
    assert.doesNotMatch(page.url(), /key=/, 'the key is wiped from the address bar');

    // Counts move while the campaign runs: the page polls, nobody reloads it.
    const first = await waitUntil(
      'a first send shown',
      async () => {
        const sent = await sentOn(page, campaignId);
        return sent > 0 && sent < CONTACTS ? sent : undefined;
      },
      20_000,
      100,
    );
    assert.equal(await page.textContent(`${row} [data-field="status"]`), 'running');
    const later = await waitUntil(
      'the sent count to move',
      async () => {
        const sent = await sentOn(page, campaignId);
        return sent > first ? sent : undefined;
      },
      15_000,
      100,
    );
    assert.ok(later > first, `sent moved from ${first} to ${later}`);
    assert.ok((await page.$$('#chart svg rect')).length > 0, 'the chart draws the sends');

    await waitUntil(
      'the page to show the campaign completed',
      async () => (await page.textContent(`${row} [data-field="status"]`)) === 'completed',
      30_000,
      200,
    );
    assert.equal(await sentOn(page, campaignId), CONTACTS);
    assert.equal(await page.textContent(`${row} [data-field="percent"]`), '100%');
    assert.equal(await page.isVisible('#no-failures'), true);
    await page.screenshot({
      path: process.env.PROGRESS_SCREENSHOT ?? '/tmp/disparo-progress-page.png',
      fullPage: true,
    });

    assert.deepEqual(seen.problems, [], 'no script errors and no Content-Security-Policy violations');
    assert.ok(
      seen.urls.some((url) => url.includes('/v1/progress?')),
      'the page polled the API',
    );
    assert.deepEqual(
      seen.urls.filter((url) => url.includes(seeded.key)),
      [],
      'no request carried the key in its URL',
    );
    await page.close();
  });

  test('without a key it asks for one, and a wrong key is refused', async () => {
    const page = await browser.newPage();
    const seen = watch(page);
    await page.goto(`${system.apiUrl}/progress`);
    assert.equal(await page.isVisible('#signin'), true);
    await page.fill('#key-input', 'dsp_not-a-real-key');
    await page.click('#signin button[type=submit]');
    await page.waitForSelector('#signin-error:not([hidden])', { timeout: 10_000 });
    assert.match((await page.textContent('#signin-error'))!, /not accepted/);
    assert.deepEqual(
      seen.problems.filter((text) => !/401/.test(text)),
      [],
      'only the refused request is reported',
    );
    await page.close();
  });
});
