/**
 * The browser volunteer (/join) against real processes: redis, a coordinator process, Node worker
 * processes, and headless Chromium pressing Start. Jobs with two replicas per unit and adaptive
 * replication off are computed by the tab and a Node worker: the two platforms' results must be the same
 * bits and validate each other, for the key search and for a signal scan whose input slices the tab
 * fetches with its lease's proof. A hidden tab keeps completing units; a closed tab hands its units back
 * at once; a tab that died mid-unit resumes from its IndexedDB checkpoint when it is opened again.
 */
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { Redis } from 'ioredis';
import type { Page } from 'playwright-core';
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import { Keys } from '../../coordinator/store/keys.js';
import { parseSigmfMeta } from '../../workunits/fftscan/sigmf.js';
import { demoJobKey, makeDemoJob } from '../../workunits/keysearch/kind.js';
import { openBrowser, type TestBrowser } from '../helpers/browser.js';
import { fixturePath, readFixture } from '../helpers/fixtures.js';
import { redisUrl, uniquePrefix } from '../helpers/redis.js';
import { readUnitHash } from '../helpers/unit-hash.js';
import {
  jobDoc, startCoordinatorProcess, startWorkerProcess, submitJob, tokenHeaders, waitFor, waitForJobEnd, type Proc,
} from '../helpers/processes.js';

let coordinator: Proc & { url: string } | undefined;
let url = '';
let prefix = '';
let redis: Redis;
let keys: Keys;
const procs: Proc[] = [];
const browsers: TestBrowser[] = [];

beforeAll(async () => {
  prefix = uniquePrefix('join');
  coordinator = await startCoordinatorProcess(redisUrl(), prefix);
  url = coordinator.url;
  redis = new Redis(redisUrl());
  keys = new Keys(prefix);
});

afterEach(async () => {
  await Promise.all(procs.splice(0).map((p) => p.kill('SIGKILL')));
  // Newest first: a browser reopened on an earlier one's profile closes before that profile is deleted.
  for (const b of browsers.splice(0).reverse()) await b.dispose();
});

afterAll(async () => {
  redis?.disconnect();
  await coordinator?.kill('SIGKILL');
});

async function browser(profile?: string): Promise<TestBrowser> {
  const b = await openBrowser(profile);
  browsers.push(b);
  return b;
}

/** A Node worker process and the host id it made for itself. */
async function nodeWorker(): Promise<{ proc: Proc; hostId: string }> {
  const w = startWorkerProcess(url, 1, ['--suspend-cpu', '0']);
  procs.push(w);
  const hostId = await waitFor('the Node worker host id', () => {
    try {
      return (JSON.parse(readFileSync(join(w.configDir, 'host.json'), 'utf8')) as { hostId: string }).hostId;
    } catch {
      return undefined;
    }
  });
  return { proc: w, hostId };
}

async function startTab(page: Page): Promise<string> {
  if (!page.url().endsWith('/join')) await page.goto(`${url}/join`);
  await page.getByTestId('join-start').click();
  return (await page.getByTestId('join-host-id').textContent())!;
}

interface Replica {
  host: string;
  state: string;
  outcome: string | undefined;
  result: string | undefined;
}

async function replicas(jobId: string, unit: number): Promise<{ st: string; replicas: Replica[] }> {
  const h = await readUnitHash(redis, prefix, jobId, unit);
  return { st: h.state, replicas: h.replicas.map((r) => ({ host: r.host, state: r.state, outcome: r.outcome, result: r.raw })) };
}

/** Every unit valid, validated by the tab and the Node worker with results equal to the last byte. */
async function expectSameBitsFromBothPlatforms(jobId: string, unitsTotal: number, tab: string, node: string): Promise<void> {
  for (let u = 0; u < unitsTotal; u++) {
    const { st, replicas: rs } = await replicas(jobId, u);
    expect(st, `unit ${u}`).toBe('valid');
    const fromTab = rs.filter((r) => r.host === tab && r.outcome === 'V');
    const fromNode = rs.filter((r) => r.host === node && r.outcome === 'V');
    expect(fromTab.length, `unit ${u}: valid results from the tab`).toBe(1);
    expect(fromNode.length, `unit ${u}: valid results from the Node worker`).toBe(1);
    expect(fromTab[0].result, `unit ${u}: the tab's result, byte for byte`).toBe(fromNode[0].result);
  }
}

async function jobFailureReport(jobId: string, b: TestBrowser, page: Page | null, worker?: Proc): Promise<string> {
  const doc = await jobDoc(url, jobId);
  const log = page && !page.isClosed() ? await page.getByTestId('join-log').textContent().catch(() => '') : '';
  return `job: ${JSON.stringify(doc).slice(0, 1500)}\npage log: ${log}\nbrowser errors: ${b.errors.join('; ')}\nworker: ${worker?.output().slice(-2000) ?? ''}\ncoordinator: ${coordinator!.output().slice(-2000)}`;
}

async function waitDone(jobId: string, b: TestBrowser, page: Page | null, worker?: Proc, timeoutMs = 150_000) {
  try {
    const doc = await waitForJobEnd(url, jobId, timeoutMs);
    expect(doc.state).toBe('done');
    return doc;
  } catch (err) {
    throw new Error(`${(err as Error).message}\n${await jobFailureReport(jobId, b, page, worker)}`);
  }
}

describe('contributing from a browser tab', () => {
  it('a key search computed by a tab and a Node worker: the same bits from both, validating each other', async () => {
    const node = await nodeWorker();
    const seed = new TextEncoder().encode('join e2e keysearch');
    const options = { count: 2 ** 23, unitSize: 2 ** 19 };
    const params = { ...makeDemoJob(seed, options), exhaustive: true };
    const jobId = await submitJob(url, { kind: 'keysearch', params, policy: { minQuorum: 2, targetResults: 2, adaptive: false }, public: true });

    // Served under the strict policy (same origin only, plus compiling WebAssembly), CORS closed.
    const head = await fetch(`${url}/join`, { headers: { origin: 'http://elsewhere.example' } });
    const csp = head.headers.get('content-security-policy') ?? '';
    expect(csp).toContain("default-src 'self'");
    expect(csp).toContain("script-src 'self' 'wasm-unsafe-eval'");
    expect(csp).toContain("connect-src 'self'");
    expect(csp).not.toMatch(/unsafe-inline|'unsafe-eval'/);
    expect(head.headers.get('access-control-allow-origin')).toBeNull();

    const b = await browser();
    const page = await b.page();
    const foreign: string[] = [];
    page.on('request', (r) => !r.url().startsWith(url) && foreign.push(r.url()));
    const home = await page.goto(`${url}/`);
    expect(home?.status()).toBe(200);
    await page.getByTestId('contribute').click();
    await page.waitForURL(`${url}/join`);
    // The install commands carry this coordinator's address.
    expect(await page.getByTestId('join-install').textContent()).toBe(`npm install -g ${url}/download/idlegrid.tgz\nidlegrid worker --coordinator ${url}`);
    // Nothing computes until Start is pressed.
    expect(await page.getByTestId('join-state').textContent()).toMatch(/^not started: press Start/);

    // An account made on the page is attached to the tab's host.
    await page.getByText('No account yet? Create one here').click();
    await page.locator('#account-name').fill('Ada in a browser');
    await page.locator('#account-team').fill('Tabs');
    await page.getByRole('button', { name: 'Create account' }).click();
    await expect.poll(() => page.locator('#account').inputValue()).toMatch(/\S{20,}/);

    const tab = await startTab(page);
    expect(tab).toMatch(/^b-[A-Za-z0-9_-]{16}$/);
    const doc = await waitDone(jobId, b, page, node.proc);
    expect((doc.result as { found: Array<{ key: string }> }).found).toEqual([{ key: demoJobKey(seed, options) }]);
    await expectSameBitsFromBothPlatforms(jobId, doc.progress.unitsTotal, tab, node.hostId);

    // The tab said hello as a browser, with its own software name, for the account made above.
    const host = await redis.hgetall(keys.key('host', { host: tab }));
    expect(JSON.parse(host.facts)).toMatchObject({ platform: 'browser' });
    expect(host.software).toMatch(/^idlegrid-browser\/\d+\.\d+\.\d+ \(Chrom(e|ium) \d+; Linux\)$/);
    expect(await redis.hget(keys.key('account', { account: host.account }), 'name')).toBe('Ada in a browser');
    await expect.poll(() => page.getByTestId('join-units-done').textContent()).toBe(String(doc.progress.unitsTotal));
    await page.getByTestId('join-stop').click();
    await expect.poll(() => page.getByTestId('join-state').textContent()).toBe('stopped: stopped by the volunteer');
    expect(await page.getByTestId('join-start').isEnabled()).toBe(true);

    // Readable on a phone: nothing wider than the screen.
    await page.setViewportSize({ width: 390, height: 844 });
    expect(await page.evaluate(() => document.documentElement.scrollWidth)).toBeLessThanOrEqual(390);
    await page.setViewportSize({ width: 1100, height: 900 });

    // The dashboard shows it as a browser tab.
    await page.goto(`${url}/#/hosts/${tab}`);
    await expect.poll(() => page.getByTestId('host-browser').textContent()).toBe('browser tab');
    expect(b.errors).toEqual([]);
    expect(foreign).toEqual([]);
  }, 240_000);

  it('a signal scan of an uploaded SigMF recording: slices fetched with the lease\'s proof, the same bits from both', async () => {
    const node = await nodeWorker();
    // Uploaded as a scientist would; its parameters cut the three-second recording into ten units.
    const data = readFixture('sigmf_logo.sigmf-data');
    const up = await fetch(`${url}/api/data`, { method: 'POST', headers: { 'content-type': 'application/octet-stream', ...tokenHeaders() }, body: data as Uint8Array<ArrayBuffer> });
    expect(up.status).toBe(201);
    const meta = parseSigmfMeta(readFileSync(fixturePath('sigmf_logo.sigmf-meta'), 'utf8'));
    const source = {
      format: 'sigmf', sha256: ((await up.json()) as { sha256: string }).sha256, datatype: meta.datatype, dataOffset: 0, numChannels: meta.numChannels,
      channel: 0, sampleRateHz: meta.sampleRate, centreFrequencyHz: meta.centerFrequencyHz, sampleCount: Math.floor(data.length / (meta.bytesPerSample * meta.numChannels)),
    };
    const jobId = await submitJob(url, { kind: 'fftscan', params: { source, maxDrift: 20, opsPerUnit: 3e7 }, policy: { minQuorum: 2, targetResults: 2, adaptive: false } });
    const b = await browser();
    const page = await b.page();
    const downloads: string[] = [];
    page.on('request', (r) => r.url().includes('/api/data/') && downloads.push(r.url()));
    const tab = await startTab(page);
    const doc = await waitDone(jobId, b, page, node.proc);
    expect(doc.progress.unitsTotal).toBe(10);
    await expectSameBitsFromBothPlatforms(jobId, doc.progress.unitsTotal, tab, node.hostId);
    // Every unit the tab computed, it fetched for its own lease.
    expect(downloads.length).toBe(doc.progress.unitsTotal);
    for (const d of downloads) expect(new URL(d).searchParams.get('lease')).toMatch(new RegExp(`^${jobId}\\.\\d+\\.\\d+$`));
    expect(b.errors).toEqual([]);
  }, 240_000);

  it('keeps completing units while the page is hidden (its timers throttled as Chrome throttles a hidden tab)', async () => {
    const params = { ...makeDemoJob(new TextEncoder().encode('join hidden'), { count: 12 * 2 ** 20, unitSize: 2 ** 20 }), exhaustive: true };
    const b = await browser();
    const page = await b.page();
    // Hidden as Chrome hides a background tab: document.visibilityState, no animation frames, and the
    // main thread's timers (whenever they were set) firing only at one wake-up a minute, as under Chrome's
    // intensive throttling. Dedicated workers keep their timers, as in Chrome.
    await page.addInitScript(() => {
      let hidden = false;
      let hiddenAt = 0;
      let wakeUp: number | null = null;
      const held = new Set<() => void>();
      const frames: FrameRequestCallback[] = [];
      Object.defineProperty(Document.prototype, 'visibilityState', { configurable: true, get: () => (hidden ? 'hidden' : 'visible') });
      Object.defineProperty(Document.prototype, 'hidden', { configurable: true, get: () => hidden });
      const [setT, setI, clearT, raf] = [window.setTimeout.bind(window), window.setInterval.bind(window), window.clearTimeout.bind(window), window.requestAnimationFrame.bind(window)];
      const release = () => {
        wakeUp = null;
        const due = [...held];
        held.clear();
        for (const f of due) f();
      };
      const gate = (fn: TimerHandler, args: unknown[]) => {
        const run = () => (typeof fn === 'function' ? fn(...args) : undefined);
        return () => {
          if (!hidden) return run();
          held.add(run);
          wakeUp ??= setT(release, 60_000 - ((Date.now() - hiddenAt) % 60_000));
        };
      };
      window.setTimeout = ((fn: TimerHandler, ms?: number, ...a: unknown[]) => setT(gate(fn, a), ms)) as typeof setTimeout;
      window.setInterval = ((fn: TimerHandler, ms?: number, ...a: unknown[]) => setI(gate(fn, a), ms)) as typeof setInterval;
      window.requestAnimationFrame = (cb: FrameRequestCallback) => (hidden ? frames.push(cb) : raf(cb));
      (window as unknown as { setHidden(h: boolean): void }).setHidden = (h: boolean) => {
        hidden = h;
        hiddenAt = Date.now();
        document.dispatchEvent(new Event('visibilitychange'));
        if (h) return;
        if (wakeUp !== null) clearT(wakeUp);
        release();
        for (const cb of frames.splice(0)) raf(cb);
      };
    });
    await page.goto(`${url}/join`);
    const tab = await startTab(page);
    await page.evaluate(() => (window as unknown as { setHidden(h: boolean): void }).setHidden(true));
    const hiddenAt = Date.now();
    const jobId = await submitJob(url, { kind: 'keysearch', params, policy: { minQuorum: 1, targetResults: 1 } });
    const doc = await waitDone(jobId, b, page);
    expect(await page.evaluate(() => document.visibilityState)).toBe('hidden');
    for (let u = 0; u < doc.progress.unitsTotal; u++) expect((await replicas(jobId, u)).replicas.map((r) => r.host)).toEqual([tab]);
    // Its heartbeats (every 15 s) keep reaching the coordinator while hidden: two of them inside the first
    // minute, when no main-thread timer of a hidden page has fired yet. Each one stamps the host record.
    const beats = new Set<number>();
    let state = '';
    // Every message stamps lastSeen; only heartbeats carry the status line, so wait for that as well.
    while ((beats.size < 2 || !state) && Date.now() < hiddenAt + 58_000) {
      const [seen, st] = await redis.hmget(keys.key('host', { host: tab }), 'lastSeen', 'state');
      if (Number(seen) > hiddenAt) beats.add(Number(seen));
      state = st ?? '';
      await new Promise((r) => setTimeout(r, 250));
    }
    expect(beats.size).toBeGreaterThanOrEqual(2);
    expect(state).toMatch(/^(running|waiting for work)/);
    // Nothing was drawn while hidden; shown again, the page catches up.
    await page.evaluate(() => (window as unknown as { setHidden(h: boolean): void }).setHidden(false));
    await expect.poll(() => page.getByTestId('join-units-done').textContent()).toBe(String(doc.progress.unitsTotal));
    expect(b.errors).toEqual([]);
  }, 180_000);

  it('closing the page mid-unit hands its units back at once; a Node worker then computes them', async () => {
    const params = { ...makeDemoJob(new TextEncoder().encode('join close'), { count: 2 * 2 ** 26, unitSize: 2 ** 26 }), exhaustive: true };
    const jobId = await submitJob(url, { kind: 'keysearch', params, policy: { minQuorum: 1, targetResults: 1 } });
    const b = await browser();
    const page = await b.page();
    const tab = await startTab(page);
    await expect.poll(async () => Number(await page.getByTestId('thread-0-progress').getAttribute('aria-valuenow')), { timeout: 60_000 }).toBeGreaterThan(0);
    // Pause keeps the units; Resume goes on.
    await page.getByTestId('join-pause').click();
    await expect.poll(() => page.getByTestId('thread-0-state').textContent()).toBe('paused');
    await page.getByTestId('join-pause').click();
    await expect.poll(() => page.getByTestId('thread-0-state').textContent()).toBe('computing');

    const held = await redis.smembers(keys.key('hostLeases', { host: tab }));
    expect(held.length).toBe(2); // one running, one in the buffer
    const deadlines = await Promise.all(held.map((l) => redis.zscore(keys.key('leases'), l)));
    await page.close();
    // Released (X), not timed out (T): long before their deadlines.
    const released = await waitFor('the units handed back', async () => {
      const states = await Promise.all([0, 1].map(async (u) => (await replicas(jobId, u)).replicas[0].state));
      return states.every((s) => s === 'X') ? Date.now() : undefined;
    }, 30_000, 100);
    for (const d of deadlines) expect(released).toBeLessThan(Number(d));
    expect(await redis.scard(keys.key('hostLeases', { host: tab }))).toBe(0);

    const node = await nodeWorker();
    const doc = await waitDone(jobId, b, null, node.proc);
    for (let u = 0; u < 2; u++) {
      const rs = (await replicas(jobId, u)).replicas;
      expect(rs.map((r) => [r.host, r.state])).toEqual([[tab, 'X'], [node.hostId, 'R']]);
    }
    expect(doc.progress.unitsDone).toBe(2);
    expect(b.errors).toEqual([]);
  }, 240_000);

  it('a tab that died mid-unit resumes the unit from its IndexedDB checkpoint when it is opened again', async () => {
    // Long enough that a checkpoint (every 5 s) is seen, and the tab crashed, before the unit ends: 2^27
    // keys took a tab 12 s on a fast core, and it sometimes ended before the test saw a checkpoint.
    const options = { count: 2 ** 28, unitSize: 2 ** 28 };
    const seed = new TextEncoder().encode('join resume');
    const jobId = await submitJob(url, { kind: 'keysearch', params: makeDemoJob(seed, options), policy: { minQuorum: 1, targetResults: 1 } });
    const first = await browser();
    const page = await first.page();
    const tab = await startTab(page);
    const leaseId = `${jobId}.0.0`;
    const saved = await waitFor('a checkpoint in IndexedDB', () => page.evaluate(async (key) => {
      const db = await new Promise<IDBDatabase>((res, rej) => {
        const r = indexedDB.open('idlegrid');
        r.onsuccess = () => res(r.result);
        r.onerror = () => rej(r.error);
      });
      const c = await new Promise<{ fraction: number } | undefined>((res) => {
        const r = db.transaction('checkpoints').objectStore('checkpoints').get(key);
        r.onsuccess = () => res(r.result as { fraction: number } | undefined);
      });
      db.close();
      return c && c.fraction > 0 ? c.fraction : undefined;
    }, `${jobId}.0`), 60_000, 500);

    // The renderer dies without pagehide (a crash, a killed browser): the unit stays leased to this host.
    const cdp = await page.context().newCDPSession(page);
    const crashed = new Promise((resolve) => page.once('crash', resolve));
    // The command never answers: its page is gone. The crash event says it happened.
    void cdp.send('Page.crash').catch(() => {});
    await crashed;
    await first.close();
    expect((await replicas(jobId, 0)).replicas.map((r) => [r.host, r.state])).toEqual([[tab, 'L']]);

    // The same browser profile again: the same host, the unit given back in welcome, resumed where it was.
    const again = await browser(first.profile);
    const page2 = await again.page();
    await page2.goto(`${url}/join`);
    expect(await startTab(page2)).toBe(tab);
    await expect.poll(() => page2.getByTestId('join-log').textContent(), { timeout: 30_000 }).toMatch(new RegExp(`resumed ${leaseId.replace(/\./g, '\\.')} from its checkpoint at (\\d+\\.\\d)%`));
    const at = Number(/from its checkpoint at (\d+\.\d)%/.exec((await page2.getByTestId('join-log').textContent())!)![1]);
    expect(at).toBeGreaterThanOrEqual(Math.floor(saved * 1000) / 10);
    const doc = await waitDone(jobId, again, page2);
    expect(doc.result).toMatchObject({ found: [{ key: demoJobKey(seed, options) }], keysSearched: options.count });
    expect((await replicas(jobId, 0)).replicas.map((r) => [r.host, r.state])).toEqual([[tab, 'R']]);
    expect(again.errors).toEqual([]);
  }, 240_000);
});
