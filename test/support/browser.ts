import { existsSync } from 'node:fs';
import { type Browser, chromium } from 'playwright-core';

/**
 * Headless Chromium for the page tests: Debian's `chromium` package (scripts/provision-browser.sh
 * installs it; `npm test` runs that first), or CHROMIUM_PATH. Driven by playwright-core, which
 * downloads no browser of its own.
 */
export async function launchChromium(): Promise<Browser> {
  const executablePath = process.env.CHROMIUM_PATH || '/usr/bin/chromium';
  if (!existsSync(executablePath)) {
    throw new Error(
      `no Chromium at ${executablePath}: run scripts/provision-browser.sh (npm test does) or set CHROMIUM_PATH`,
    );
  }
  return chromium.launch({ executablePath, headless: true });
}
