import assert from 'node:assert/strict';
import { after, before, describe, test } from 'node:test';
import type { Browser } from 'playwright-core';
import { launchChromium } from '../support/browser';
import { seedCompany, startSystem, type TestSystem } from '../support/system';

type Json = Record<string, any>;

/** /docs is Swagger UI from this server: it loads offline, and a key entered once tries calls. */
describe('the /docs page, in headless Chromium', () => {
  let system: TestSystem;
  let browser: Browser;
  before(async () => {
    [system, browser] = await Promise.all([startSystem('docs-page', { workers: [] }), launchChromium()]);
  });
  after(async () => {
    await browser?.close();
    await system?.stop();
  });

  test('serves Swagger UI with its assets from the API itself, under a self-only policy', async () => {
    const page = await fetch(`${system.apiUrl}/docs`);
    assert.equal(page.status, 200);
    const csp = page.headers.get('content-security-policy') ?? '';
    assert.match(csp, /default-src 'none'/);
    assert.match(csp, /script-src 'self'(;|$)/);
    assert.doesNotMatch(csp, /https?:|\*/, 'no other origin allowed');
    const html = await page.text();
    const assets = [...html.matchAll(/(?:src|href)="([^"]+)"/g)].map((match) => match[1]!);
    assert.ok(assets.includes('/docs/assets/swagger-ui-bundle.js'), assets.join(', '));
    for (const asset of assets.filter((url) => url.startsWith('/docs/assets/'))) {
      const response = await fetch(`${system.apiUrl}${asset}`);
      assert.equal(response.status, 200, asset);
      assert.ok((await response.arrayBuffer()).byteLength > 0, asset);
    }
    assert.ok(
      assets.every((url) => url.startsWith('/')),
      'every asset is served by the API itself',
    );
    assert.equal((await fetch(`${system.apiUrl}/docs/assets/package.json`)).status, 400, 'only the page’s files');
  });

  test('the page renders every operation offline, keeps the key once authorized, and tries a call', async () => {
    const { key } = await seedCompany(system, { contacts: 0 });
    const document = (await (await fetch(`${system.apiUrl}/openapi.json`)).json()) as Json;
    const operations = Object.values(document.paths as Json).flatMap((path) => Object.keys(path as Json)).length;
    const context = await browser.newContext();
    const page = await context.newPage();
    const problems: string[] = [];
    const urls: string[] = [];
    page.on('console', (message) => {
      if (message.type() === 'error') problems.push(message.text());
    });
    page.on('pageerror', (error) => problems.push(error.message));
    page.on('request', (request) => urls.push(request.url()));

    await page.goto(`${system.apiUrl}/docs`);
    await page.waitForFunction(
      (count) => (globalThis as any).document.querySelectorAll('.opblock').length >= count,
      operations,
      {
        timeout: 20_000,
      },
    );
    // The key entered once in the Authorize dialog; kept across a reload.
    await page.locator('.auth-wrapper button.authorize').click();
    const scheme = page.locator('.auth-container', { hasText: 'X-Api-Key' });
    await scheme.locator('input').fill(key);
    await scheme.locator('button.authorize').click();
    await page.locator('.modal-ux button.close-modal').click();
    await page.reload();
    await page.waitForSelector('.opblock', { timeout: 20_000 });
    const authorized = await page.evaluate(() => (globalThis as any).ui.authSelectors.authorized().toJS());
    assert.ok(authorized.apiKey, `authorized after a reload: ${JSON.stringify(Object.keys(authorized))}`);

    const operationId = document.paths['/v1/company'].get.operationId as string;
    const block = page.locator(`.opblock:has([data-path="/v1/company"]).opblock-get`).first();
    await block.locator('.opblock-summary').click();
    const answer = page.waitForResponse((response) => response.url() === `${system.apiUrl}/v1/company`);
    await block.locator('button.execute').click();
    const response = await answer;
    assert.equal(response.status(), 200, `try it out on ${operationId}`);
    assert.equal(response.request().headers()['x-api-key'], key);
    await block.locator('.live-responses-table .response-col_status').first().waitFor({ timeout: 10_000 });

    const foreign = urls.filter((url) => !url.startsWith(system.apiUrl) && !url.startsWith('data:'));
    assert.deepEqual(foreign, [], 'nothing loaded from elsewhere');
    assert.deepEqual(problems, [], 'no console errors (CSP violations included)');
    await context.close();
  });
});
