import { existsSync } from 'node:fs';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { TestContext } from 'node:test';
import { chromium } from 'playwright-core';
import type { BrowserContext, Page } from 'playwright-core';
import { need } from './services.js';

/** Debian's Chromium (never a downloaded browser). */
export const CHROMIUM_PATH = '/usr/bin/chromium';

const ARGS = [
  '--headless',
  '--no-sandbox',
  '--disable-gpu',
  '--disable-background-networking',
  '--disable-component-update',
  '--disable-sync',
  '--no-first-run',
  '--disable-quic',
];

/** A headless Chromium with its own temporary profile. */
export interface Chromium {
  readonly context: BrowserContext;
  /** A new page whose console errors and page errors are collected in `errors`. */
  newPage(): Promise<{ page: Page; errors: string[] }>;
  /** Closes the browser and removes the profile. */
  close(): Promise<void>;
}

/**
 * Starts /usr/bin/chromium through playwright-core with a new temporary user-data-dir
 * (viewport 1400×900). Returns undefined (test skipped, or failed under
 * HEAPSTER_REQUIRE_SERVICES=1) when Chromium is not installed.
 */
export async function startChromium(t: TestContext): Promise<Chromium | undefined> {
  if (!need(t, existsSync(CHROMIUM_PATH), 'install Debian package chromium')) return undefined;
  const profile = await mkdtemp(join(tmpdir(), 'heapster-chromium-'));
  let context: BrowserContext;
  try {
    context = await chromium.launchPersistentContext(profile, {
      executablePath: CHROMIUM_PATH,
      headless: true,
      args: ARGS,
      viewport: { width: 1400, height: 900 },
      timeout: 30_000,
    });
  } catch (err) {
    await rm(profile, { recursive: true, force: true });
    throw err;
  }
  return {
    context,
    async newPage() {
      const page = await context.newPage();
      const errors: string[] = [];
      page.on('console', (m) => {
        if (m.type() === 'error') errors.push(m.text());
      });
      page.on('pageerror', (e) => errors.push(`pageerror: ${e.message}`));
      return { page, errors };
    },
    async close() {
      await context.close();
      await rm(profile, { recursive: true, force: true });
    },
  };
}
