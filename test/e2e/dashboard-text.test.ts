/**
 * Names and failure reasons reach the page without control characters: a job stored with ESC[2J, BEL,
 * a C1 CSI and a bidirectional override in its name (as an older coordinator kept it) and a host's
 * failure reason with an OSC title sequence, shown in headless Chromium.
 */
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Redis } from 'ioredis';
import { chromium, type BrowserContext } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { adminToken, startTestCoordinator, type TestCoordinator } from '../helpers/coordinator.js';
import { redisUrl } from '../helpers/redis.js';
import { api, keyJobParams } from '../security/support.js';

const CONTROL = /[\u0000-\u001f\u007f-\u009f\u202a-\u202e\u2066-\u2069]/;
const profile = mkdtempSync(join(tmpdir(), 'ig-chromium-text-'));
const redis = new Redis(redisUrl());
let coord: TestCoordinator;
let browser: BrowserContext | undefined;

beforeAll(async () => {
  coord = await startTestCoordinator();
});
afterAll(async () => {
  await browser?.close();
  await coord?.stop();
  redis.disconnect();
  rmSync(profile, { recursive: true, force: true });
});

describe('the dashboard shows text from others without control characters', () => {
  it('in a job\'s name and its failed units', async () => {
    const made = await api<{ id: string }>(coord.url, 'POST', '/api/jobs', {
      token: adminToken(), body: { kind: 'keysearch', name: 'plain', public: true, params: keyJobParams({ count: 8192, unitSize: 4096, keyOffset: 1 }).params },
    });
    expect(made.status).toBe(201);
    const id = made.body.id;
    const keys = coord.services.keys;
    await redis.hset(keys.key('job', { job: id }), 'name', 'evil\x1b[2J\x07 job\u009b31m\u202etxt');
    await redis.hset(keys.key('failed', { job: id }), '1', JSON.stringify({ code: 'UNIT_ERROR', message: 'out of memory\x1b]0;owned\x07' }));

    browser = await chromium.launchPersistentContext(profile, {
      executablePath: '/usr/bin/chromium',
      headless: true,
      args: ['--headless', '--no-sandbox', '--disable-gpu', '--disable-background-networking', '--disable-component-update', '--disable-sync'],
    });
    const page = browser.pages()[0] ?? (await browser.newPage());
    await page.goto(`${coord.url}/#/jobs/${id}`);
    const title = page.locator('h1');
    await expect.poll(() => title.textContent(), { timeout: 20_000 }).toMatch(/^evil/);
    const heading = (await title.textContent())!;
    expect(heading).not.toMatch(CONTROL);
    expect(heading).toBe('evil[2J job31mtxt queued');
    const failed = (await page.getByTestId('failed-units').textContent())!;
    expect(failed).not.toMatch(CONTROL);
    expect(failed).toContain('UNIT_ERROR: out of memory]0;owned');
  }, 60_000);
});
