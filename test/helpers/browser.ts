/**
 * Headless Chromium for tests and benchmarks: the system's /usr/bin/chromium through playwright-core,
 * with the project's flags, a profile folder of its own (fresh unless one is passed back in, to reopen
 * the same browser), and a record of what went wrong on its pages: script errors, console errors
 * (Content-Security-Policy refusals among them) and failed requests.
 */
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { chromium, type BrowserContext, type Page } from 'playwright-core';

export const CHROMIUM = '/usr/bin/chromium';
export const CHROMIUM_FLAGS = ['--headless', '--no-sandbox', '--disable-gpu', '--disable-background-networking', '--disable-component-update', '--disable-sync'];

export interface TestBrowser {
  context: BrowserContext;
  /** The profile folder: open another TestBrowser on it to reopen "the same browser". */
  profile: string;
  /** Problems seen on any page of this browser. */
  errors: string[];
  page(): Promise<Page>;
  close(): Promise<void>;
  /** Close and delete the profile. */
  dispose(): Promise<void>;
}

export async function openBrowser(profile = mkdtempSync(join(tmpdir(), 'ig-chromium-'))): Promise<TestBrowser> {
  const context = await chromium.launchPersistentContext(profile, { executablePath: CHROMIUM, headless: true, args: CHROMIUM_FLAGS, viewport: { width: 1100, height: 900 } });
  const errors: string[] = [];
  const watch = (page: Page) => {
    page.on('pageerror', (e) => errors.push(`page error: ${e.message}`));
    page.on('console', (m) => m.type() === 'error' && errors.push(`console: ${m.text()}`));
    page.on('response', (r) => r.status() >= 400 && errors.push(`HTTP ${r.status()} ${r.url()}`));
  };
  context.on('page', watch);
  context.pages().forEach(watch);
  let closed = false;
  const close = async () => {
    if (closed) return;
    closed = true;
    await context.close().catch(() => {});
  };
  return {
    context,
    profile,
    errors,
    page: async () => context.pages()[0] ?? (await context.newPage()),
    close,
    async dispose() {
      await close();
      // Chromium's helpers may still be writing into the profile for a moment after the browser closed.
      rmSync(profile, { recursive: true, force: true, maxRetries: 10, retryDelay: 200 });
    },
  };
}
