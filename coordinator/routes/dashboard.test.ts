/**
 * The dashboard's data routes on an in-process coordinator with a real Redis, fed known store contents:
 * shapes (protocol/dashboard.ts), the numbers derived from them, and the event stream.
 */
import { Redis } from 'ioredis';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { DashboardEvent, GridStats, History, HostDetail, HostList, Leaderboard } from '../../protocol/index.js';
import { makeDemoJob } from '../../workunits/keysearch/kind.js';
import { adminHeaders, startTestCoordinator, type TestCoordinator } from '../../test/helpers/coordinator.js';
import { redisUrl } from '../../test/helpers/redis.js';
import { webBuilt } from '../views/assets.js';
import { toPoints } from '../views/history-view.js';

let coord: TestCoordinator;
const raw = new Redis(redisUrl());
const now = Date.now();
const DAY = 86_400_000;
const hostA = 'host-aaaaaaaa';
const hostB = 'host-bbbbbbbb';

beforeAll(async () => {
  coord = await startTestCoordinator();
  const k = coord.services.keys;
  await raw.hset(k.key('account', { account: 'acc1' }), { id: 'acc1', name: 'Ada', team: 'tm', keyHash: 'SECRET-KEY-HASH' });
  await raw.hset(k.key('team', { team: 'tm' }), { name: 'The Team', racE: 700, racT: now, credit: 100 });
  await raw.hset(k.key('host', { host: hostA }), {
    id: hostA, name: 'lab-pc', account: 'acc1', secret: 'SECRET-HOST-HASH', threads: 4, lastSeen: now - 2_000, firstSeen: now - 3 * DAY,
    facts: JSON.stringify({ cores: 8, memoryBytes: 2 ** 34, platform: 'linux', arch: 'x64' }), kinds: 'keysearch', software: 'idlegrid/0.1.0',
    credit: 100, racE: 700, racT: now, nValid: 30, nInvalid: 1, nError: 2, nTimeout: 1, 'cv:keysearch': 12, 'cv:fftscan': 0,
  });
  // B earned more in all but long ago: 5 half-lives have passed since.
  await raw.hset(k.key('host', { host: hostB }), { id: hostB, threads: 2, lastSeen: now - 10 * 60_000, credit: 5000, racE: 7000, racT: now - 35 * DAY });
  await raw.zadd(k.key('hosts'), now - 2_000, hostA, now - 10 * 60_000, hostB);
  const today = Math.floor(now / DAY);
  await raw.hset(k.key('hostDaily', { host: hostA }), { [`c:${today}`]: 1.5, [`v:${today}`]: 3, [`v:${today - 1}`]: 2, [`e:${today - 1}`]: 1, [`v:${today - 40}`]: 9 });
  await raw.zadd(k.key('creditHosts'), 100, hostA, 5000, hostB);
  await raw.zadd(k.key('creditAccounts'), 100, 'acc1');
  await raw.zadd(k.key('creditTeams'), 100, 'tm');
});

afterAll(async () => {
  await coord.stop();
  raw.disconnect();
});

describe('dashboard data routes', () => {
  it('GET /api/stats gives the grid figures', async () => {
    const res = await coord.app.inject('/api/stats');
    expect(res.statusCode).toBe(200);
    const s = GridStats.parse(res.json());
    expect(s).toMatchObject({ hostsActive: 1, threadsActive: 4, units: { queued: 0, inFlight: 0, validating: 0 } });
  });

  it('GET /api/hosts lists hosts newest first, with error rate and RAC, and no secrets', async () => {
    const res = await coord.app.inject('/api/hosts');
    expect(res.body).not.toMatch(/SECRET/);
    const list = HostList.parse(res.json());
    expect(list.total).toBe(2);
    expect(list.hosts.map((h) => h.id)).toEqual([hostA, hostB]);
    const a = list.hosts[0];
    expect(a).toMatchObject({ name: 'lab-pc', account: 'Ada', active: true, threads: 4, results: { valid: 30, invalid: 1, error: 2, timeout: 1 } });
    expect(a.errorRate).toBeCloseTo(4 / 34, 10);
    expect(a.rac).toBeCloseTo((700 * Math.LN2) / 7, 3);
    expect(list.hosts[1].active).toBe(false);
  });

  it('GET /api/hosts/:id gives one host with its trust per kind; unknown ids are 404', async () => {
    const res = await coord.app.inject(`/api/hosts/${hostA}`);
    expect(res.body).not.toMatch(/SECRET/);
    const h = HostDetail.parse(res.json());
    expect(h).toMatchObject({ trust: { keysearch: 12, fftscan: 0 }, kinds: ['keysearch'], firstSeen: now - 3 * DAY, facts: { cores: 8 }, unitsHeld: 0 });
    // Its record per day: the last 30 days only, oldest first.
    expect(h.daily).toEqual([
      { day: new Date((Math.floor(now / DAY) - 1) * DAY).toISOString().slice(0, 10), credit: 0, valid: 2, invalid: 0, errors: 1 },
      { day: new Date(Math.floor(now / DAY) * DAY).toISOString().slice(0, 10), credit: 1.5, valid: 3, invalid: 0, errors: 0 },
    ]);
    expect((await coord.app.inject('/api/hosts/host-nobody1')).json().error.code).toBe('NOT_FOUND');
    expect((await coord.app.inject('/api/hosts/..%2F..%2Fetc')).statusCode).toBe(404);
  });

  it('GET /api/leaderboard ranks by total credit or by recent average credit', async () => {
    const total = Leaderboard.parse((await coord.app.inject('/api/leaderboard')).json());
    expect(total.hosts.map((r) => [r.rank, r.id])).toEqual([[1, hostB], [2, hostA]]);
    expect(total.accounts).toEqual([{ rank: 1, id: 'acc1', name: 'Ada', credit: 100, rac: 0 }]);
    expect(total.teams[0]).toMatchObject({ name: 'The Team', credit: 100 });
    const recent = Leaderboard.parse((await coord.app.inject('/api/leaderboard?by=recent')).json());
    expect(recent.hosts.map((r) => r.id)).toEqual([hostA, hostB]);
    expect(recent.hosts[1].rac).toBeCloseTo(((7000 / 32) * Math.LN2) / 7, 3);
    expect((await coord.app.inject('/api/leaderboard?by=best')).json().error.code).toBe('BAD_REQUEST');
  });

  it('GET /api/history returns points for each range and refuses others', async () => {
    const k = coord.services.keys.key('history');
    const sample = (t: number, ops: number) => JSON.stringify({ t, ops, results: 0, valid: 0, invalid: 0, credit: 0, hosts: 1, threads: 4, queued: 0, inFlight: 0, validating: 0 });
    const t0 = Math.floor(now / 600_000) * 600_000 - 3_600_000;
    // 1e9 operations per second, sampled every 10 minutes, then no coordinator for half an hour.
    for (const min of [0, 10, 20, 30, 60]) await raw.zadd(k, t0 + min * 60_000, sample(t0 + min * 60_000, min * 60 * 1e9));
    const day = History.parse((await coord.app.inject('/api/history?range=day')).json());
    expect(day.stepS).toBe(300);
    const mine = day.points.filter((p) => p.t <= t0 + 3_600_000);
    expect(mine.map((p) => [(p.t - t0) / 60_000, p.flops])).toEqual([[10, 1e9], [20, 1e9], [30, 1e9], [35, null], [60, 1e9]]);
    History.parse((await coord.app.inject('/api/history?range=week')).json());
    expect((await coord.app.inject('/api/history?range=year')).statusCode).toBe(400);
  });

  it('GET /api/events streams snapshots, with private jobs\' progress but not their names', async () => {
    const submit = (name: string, pub: boolean) => coord.app.inject({
      method: 'POST', url: '/api/jobs', headers: adminHeaders(),
      payload: { kind: 'keysearch', name, public: pub, params: makeDemoJob(new TextEncoder().encode(name)) },
    });
    const hidden = (await submit('private-job-name', false)).json().id as string;
    const shown = (await submit('public-job-name', true)).json().id as string;
    const ctl = new AbortController();
    const res = await fetch(`${coord.url}/api/events`, { signal: ctl.signal });
    expect(res.headers.get('content-type')).toMatch(/^text\/event-stream/);
    const reader = res.body!.getReader();
    let text = '';
    let event: DashboardEvent | undefined;
    // Figures may be up to a second old (they are shared between viewers): read until the jobs count.
    while (!event || event.stats.units.queued === 0) {
      text += new TextDecoder().decode((await reader.read()).value);
      const frames = [...text.matchAll(/event: snapshot\ndata: (.*)\n\n/g)];
      if (frames.length) event = DashboardEvent.parse(JSON.parse(frames[frames.length - 1][1]));
    }
    ctl.abort();
    expect(event.stats.hostsActive).toBe(1);
    expect(event.stats.units.queued).toBe(32);
    expect(text).not.toMatch(/private-job-name/);
    expect(event.jobs.find((j) => j.id === hidden)).toMatchObject({ state: 'queued', fraction: 0, unitsTotal: 16, owner: 'admin' });
    expect(event.jobs.find((j) => j.id === hidden)?.name).toBeUndefined();
    expect(event.jobs.find((j) => j.id === shown)?.name).toBe('public-job-name');
  });

  it('serves the built page at / and keeps coded 404s for unknown paths', async () => {
    expect(webBuilt(), 'run `node scripts/build.mjs` first: it builds the page').toBe(true);
    const page = await coord.app.inject('/');
    expect(page.statusCode).toBe(200);
    expect(page.body).toMatch(/<script type="module" src="app\.js\?v=[0-9a-f]{12}">/);
    expect((await coord.app.inject('/app.js')).statusCode).toBe(200);
    expect((await coord.app.inject('/nope')).json().error.code).toBe('NOT_FOUND');
  });
});

describe('history points', () => {
  it('are rates between consecutive samples, null across a counter reset', () => {
    const s = (t: number, ops: number) => ({ t, ops, results: ops / 1e6, valid: 0, invalid: 0, credit: 0, hosts: 2, threads: 8, queued: 0, inFlight: 0, validating: 0 });
    const pts = toPoints([s(0, 0), s(10_000, 5e9), s(20_000, 1e9)], 10_000);
    expect(pts).toEqual([
      { t: 10_000, flops: 5e8, resultsPerS: 500, hosts: 2, threads: 8 },
      { t: 20_000, flops: null, resultsPerS: null, hosts: 2, threads: 8 },
    ]);
  });
});

describe('closing a coordinator', () => {
  it('ends its open event streams instead of waiting for them', async () => {
    const c = await startTestCoordinator();
    const res = await fetch(`${c.url}/api/events`);
    const reader = res.body!.getReader();
    await reader.read();
    const closed = c.stop().then(() => 'closed');
    expect(await Promise.race([closed, new Promise((r) => setTimeout(() => r('hung'), 5_000))])).toBe('closed');
    // The stream ends (done) rather than staying open.
    for (;;) if ((await reader.read()).done) break;
  });
});
