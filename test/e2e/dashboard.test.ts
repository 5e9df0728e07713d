/**
 * The dashboard as a person sees it: real redis, coordinator and worker processes run a key search while
 * headless Chromium watches the page. The FLOPS figure rises above zero, the job's bar reaches 100%, its
 * page shows the key, nothing is fetched from anywhere but the coordinator, and a phone-width screen
 * needs no sideways scrolling. Takes a screenshot into a temporary folder; `npm run docs:screenshot` runs
 * this test with IDLEGRID_SCREENSHOT=docs/dashboard.png to refresh the README's picture (the suite itself
 * never writes a tracked file).
 */
import { mkdtempSync, rmSync, statSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { chromium, type BrowserContext } from 'playwright-core';
import { afterAll, describe, expect, it } from 'vitest';
import type { JobDoc } from '../../protocol/index.js';
import { demoJobKey, makeDemoJob } from '../../workunits/keysearch/kind.js';
import { ROOT, startCoordinatorProcess, startWorkerProcess, tokenHeaders, type Proc } from '../helpers/processes.js';
import { redisUrl, uniquePrefix } from '../helpers/redis.js';

const CHROMIUM = '/usr/bin/chromium';
const procs: Proc[] = [];
const profile = mkdtempSync(join(tmpdir(), 'ig-chromium-'));
const SCREENSHOT = process.env.IDLEGRID_SCREENSHOT ? resolve(ROOT, process.env.IDLEGRID_SCREENSHOT) : join(profile, 'dashboard.png');
let browser: BrowserContext | undefined;

afterAll(async () => {
  await browser?.close();
  await Promise.all(procs.map((p) => p.kill('SIGKILL')));
  rmSync(profile, { recursive: true, force: true });
});

describe('dashboard in a browser', () => {
  it('shows live FLOPS, a job reaching 100% and its result', async () => {
    const coord = await startCoordinatorProcess(redisUrl(), uniquePrefix('dash'));
    procs.push(coord);
    const worker = startWorkerProcess(coord.url, 1);
    procs.push(worker);

    const seed = new TextEncoder().encode('dashboard e2e');
    // Exhaustive: every unit is searched, so the bar reaches 100% by units and not only by the job ending.
    const params = { ...makeDemoJob(seed, { count: 2 ** 21, unitSize: 2 ** 17 }), exhaustive: true };
    const res = await fetch(`${coord.url}/api/jobs`, {
      method: 'POST',
      headers: { 'content-type': 'application/json', ...tokenHeaders() },
      body: JSON.stringify({ kind: 'keysearch', name: 'RC5-72 demo', params, policy: { minQuorum: 1, targetResults: 1 }, public: true }),
    });
    expect(res.status).toBe(201);
    const job = (await res.json()) as JobDoc;

    browser = await chromium.launchPersistentContext(profile, {
      executablePath: CHROMIUM,
      headless: true,
      args: ['--headless', '--no-sandbox', '--disable-gpu', '--disable-background-networking', '--disable-component-update', '--disable-sync'],
      viewport: { width: 1100, height: 860 },
    });
    const page = browser.pages()[0] ?? (await browser.newPage());
    const errors: string[] = [];
    const foreign: string[] = [];
    page.on('pageerror', (e) => errors.push(e.message));
    // Console errors include Content-Security-Policy refusals, which the coordinator's helmet headers would cause.
    page.on('console', (m) => m.type() === 'error' && errors.push(m.text()));
    page.on('response', (r) => r.status() >= 400 && errors.push(`HTTP ${r.status()} ${r.url()}`));
    page.on('request', (r) => !r.url().startsWith(coord.url) && foreign.push(r.url()));

    await page.goto(`${coord.url}/`);
    const bar = page.getByTestId(`progress-${job.id}`);
    try {
      await expect.poll(() => bar.getAttribute('aria-valuenow'), { timeout: 90_000, interval: 250 }).toBe('100.0');
    } catch (err) {
      // Say where it stuck: the job as the API sees it, and what the processes said.
      const doc = await (await fetch(`${coord.url}/api/jobs/${job.id}`, { headers: tokenHeaders() })).text();
      throw new Error(`${(err as Error).message}\njob: ${doc.slice(0, 1500)}\nworker: ${worker.output().slice(-3000)}\ncoordinator: ${coord.output().slice(-3000)}`);
    }
    await expect.poll(async () => Number(await page.getByTestId('flops').getAttribute('data-value')), { timeout: 20_000 }).toBeGreaterThan(0);
    expect(await page.getByTestId('flops').textContent()).toMatch(/FLOPS$/);
    expect(await page.getByTestId(`job-row-${job.id}`).textContent()).toMatch(/done/);
    // The chart gets the FLOPS of the validated work once a sample follows it (samples come every 10 s).
    await expect.poll(async () => Number(await page.getByTestId('history-chart').getAttribute('data-max-flops')), { timeout: 25_000 }).toBeGreaterThan(0);
    expect(await page.locator('.figure.hero .tip').textContent()).toMatch(/validated work/);
    await page.screenshot({ path: SCREENSHOT });

    await page.getByRole('link', { name: 'RC5-72 demo' }).click();
    await expect.poll(() => page.getByTestId('result-key').textContent(), { timeout: 20_000 }).toBe(demoJobKey(seed, { count: 2 ** 21, unitSize: 2 ** 17 }));
    expect(await page.getByTestId('job-progress').getAttribute('aria-valuenow')).toBe('100.0');

    await page.goto(`${coord.url}/#/leaderboard`);
    await expect.poll(() => page.locator('.boards table').count(), { timeout: 15_000 }).toBeGreaterThan(0);
    await page.goto(`${coord.url}/#/hosts`);
    await page.locator('tbody a').first().click();
    await expect.poll(() => page.getByTestId('host-error-rate').textContent(), { timeout: 15_000 }).toBe('0.0%');

    // Readable on a phone: nothing wider than the screen.
    await page.setViewportSize({ width: 390, height: 844 });
    await page.goto(`${coord.url}/`);
    await page.getByTestId('flops').waitFor();
    expect(await page.evaluate(() => document.documentElement.scrollWidth)).toBeLessThanOrEqual(390);

    expect(errors).toEqual([]);
    expect(foreign).toEqual([]);
    expect(statSync(SCREENSHOT).size).toBeGreaterThan(10_000);
    expect(statSync(SCREENSHOT).size).toBeLessThan(300_000);
  }, 180_000);
});
