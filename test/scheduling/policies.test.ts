/**
 * Scheduling policies on a real coordinator: fair share between jobs, adaptive replication for trusted
 * hosts, late results, and ringers.
 */
import { Redis } from 'ioredis';
import { afterAll, afterEach, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import { OUTCOME, UNIT_STATE } from '../../coordinator/store/unit-layout.js';
import { handedBackField, readUnitHash } from '../helpers/unit-hash.js';
import type { WorkUnit } from '../../protocol/index.js';
import keysearch, { encryptBlock } from '../../workunits/keysearch/kind.js';
import { adminHeaders, startTestCoordinator, type TestCoordinator } from '../helpers/coordinator.js';
import { FakeWorker } from '../helpers/fake-worker.js';
import { honestResult } from '../helpers/compute.js';
import { redisUrl } from '../helpers/redis.js';
import { waitFor } from '../helpers/processes.js';

let coord: TestCoordinator;
let redis: Redis;
beforeAll(() => {
  redis = new Redis(redisUrl());
});
afterAll(() => redis.disconnect());
// A coordinator (and key prefix) per test, so one test's jobs never feed another's hosts.
beforeEach(async () => {
  coord = await startTestCoordinator({ sweepMs: 100 });
});
afterEach(async () => coord?.stop());

const iv = '0011223344556677';
const pt = '54686520756e6b6e';
const params = (count: number, unitSize: number, start = '000000000000000000') => ({
  algorithm: 'rc5-32/12/9', iv, plaintext: pt, ciphertext: encryptBlock('ffffffffffffffffff', iv, pt), start, count, unitSize,
});

async function submit(body: Record<string, unknown>): Promise<string> {
  const res = await fetch(`${coord.url}/api/jobs`, { method: 'POST', headers: { 'content-type': 'application/json', ...adminHeaders() }, body: JSON.stringify({ kind: 'keysearch', ...body }) });
  const doc = await res.json();
  if (res.status !== 201) throw new Error(JSON.stringify(doc));
  return doc.id;
}

async function work(w: FakeWorker, n: number): Promise<WorkUnit[]> {
  const m = await w.request(n);
  return m.type === 'work' ? m.units : [];
}

async function finish(w: FakeWorker, units: WorkUnit[]) {
  const items = [];
  for (const u of units) items.push({ leaseId: u.leaseId, result: await honestResult('keysearch', u.spec), cpuS: 0, elapsedS: 0 });
  if (!items.length) return;
  w.send({ type: 'results', items });
  await w.next('ack');
}

describe('scheduling', () => {
  it('serves a small job submitted behind a huge one at once, in proportion to weight', async () => {
    const huge = await submit({ params: params(1_000_000 * 16, 16), policy: { minQuorum: 1, targetResults: 1 } });
    const w = await FakeWorker.connect(coord.wsUrl);
    // A new host may hold 32 units (newHostLeases) whatever it declares: two requests of 16.
    await w.hello({ threads: 64 });
    const first = await work(w, 16);
    expect(first.every((u) => u.jobId === huge)).toBe(true);
    const small = await submit({ params: params(64 * 16, 16), policy: { minQuorum: 1, targetResults: 1 } });
    const next = await work(w, 16);
    const counts = { huge: next.filter((u) => u.jobId === huge).length, small: next.filter((u) => u.jobId === small).length };
    expect(counts.small).toBeGreaterThanOrEqual(7);
    expect(counts.huge).toBeGreaterThanOrEqual(7);
    await fetch(`${coord.url}/api/jobs/${huge}`, { method: 'DELETE', headers: adminHeaders() });
    await fetch(`${coord.url}/api/jobs/${small}`, { method: 'DELETE', headers: adminHeaders() });
    w.close();
  });

  it('with replication, lets a host with 10 consecutive valid results (earned under audit) run units alone, spot-checked', async () => {
    const id = await submit({ params: params(200 * 16, 16, '000000000100000000'), policy: { minQuorum: 2, targetResults: 2 } });
    const a = await FakeWorker.connect(coord.wsUrl);
    const b = await FakeWorker.connect(coord.wsUrl);
    await a.hello();
    await b.hello();
    // Build trust: both hosts return 12 valid results.
    for (let i = 0; i < 12; i++) {
      const ua = await work(a, 1);
      const ub = await work(b, 1);
      await finish(a, ua);
      await finish(b, ub);
    }
    // Each unit counts once its canonical result passed the verifier's audit.
    await waitFor('a to earn trust under audit', async () => Number(await redis.hget(`${coord.options.prefix}:host:${a.hostId}`, 'cv:keysearch')) >= 10, 20_000);
    // Now a's fresh units mostly carry no second replica: b finds nothing waiting for it.
    const alone = await work(a, 8);
    await finish(a, alone);
    const singles = [];
    for (const u of alone) singles.push(String((await readUnitHash(redis, coord.options.prefix, id, u.unit)).quorum));
    expect(singles.filter((q) => q === '1').length).toBeGreaterThanOrEqual(4);
    for (const u of alone) {
      const h = await readUnitHash(redis, coord.options.prefix, id, u.unit);
      if (h.quorum === 1) await waitFor(`unit ${u.unit} to be valid`, async () => (await readUnitHash(redis, coord.options.prefix, id, u.unit)).state === UNIT_STATE.valid, 20_000);
    }
    // An invalid result resets trust to zero.
    const [bad] = await work(a, 1);
    a.send({ type: 'results', items: [{ leaseId: bad.leaseId, result: { found: [], keys: 1, digest: '0000000000000000' }, cpuS: 0, elapsedS: 0 }] });
    await a.next('ack');
    await new Promise((r) => setTimeout(r, 200));
    expect(Number(await redis.hget(`${coord.options.prefix}:host:${a.hostId}`, 'cv:keysearch'))).toBe(0);
    await fetch(`${coord.url}/api/jobs/${id}`, { method: 'DELETE', headers: adminHeaders() });
    a.close();
    b.close();
  });

  it('compares a result that arrives after its deadline with the canonical one and credits it if it agrees', async () => {
    // Two units: the job is still running when the late result arrives (a finished job withdraws its
    // outstanding replicas instead, to spare volunteers' time).
    const id = await submit({ params: params(32, 16, '000000000200000000'), policy: { minQuorum: 2, targetResults: 3, delayBoundS: 1, adaptive: false } });
    const ws = [await FakeWorker.connect(coord.wsUrl), await FakeWorker.connect(coord.wsUrl), await FakeWorker.connect(coord.wsUrl)];
    for (const w of ws) await w.hello();
    const units = [await work(ws[0], 1), await work(ws[1], 1), await work(ws[2], 1)];
    await finish(ws[0], units[0]);
    await finish(ws[1], units[1]);
    await new Promise((r) => setTimeout(r, 1_500)); // the third replica's deadline passes
    await finish(ws[2], units[2]);
    await new Promise((r) => setTimeout(r, 300));
    const h = await readUnitHash(redis, coord.options.prefix, id, 0);
    expect(h.state).toBe(UNIT_STATE.valid);
    expect(h.replicas[2].outcome).toBe(OUTCOME.valid);
    await coord.services.credit.flush();
    expect(Number(await redis.hget(`${coord.options.prefix}:host:${ws[2].hostId}`, 'credit'))).toBeGreaterThan(0);
    for (const w of ws) w.close();
  });

  it('credits the host, its account and its team once per valid result', async () => {
    const res = await fetch(`${coord.url}/api/accounts`, { method: 'POST', headers: { 'content-type': 'application/json', ...adminHeaders() }, body: JSON.stringify({ name: 'Ada', team: 'Engines' }) });
    expect(res.status).toBe(201);
    const acct = await res.json();
    expect(acct.key).toMatch(/^igk_[A-Za-z0-9_-]{32}$/);
    await submit({ params: params(2 * 16, 16, '000000000300000000'), policy: { minQuorum: 1, targetResults: 1 } });
    const w = await FakeWorker.connect(coord.wsUrl);
    await w.hello({ account: acct.key });
    const units = await work(w, 2);
    await finish(w, units);
    // The host is told its credit for each result as it is judged.
    const told = [await w.next('credit'), await w.next('credit')];
    expect(told.map((c) => c.leaseId).sort()).toEqual(units.map((u) => u.leaseId).sort());
    for (const c of told) expect(c).toMatchObject({ valid: true, credit: (16 * 542) / 4.32e11 });
    await new Promise((r) => setTimeout(r, 200));
    const p = coord.options.prefix;
    const host = Number(await redis.hget(`${p}:host:${w.hostId}`, 'credit'));
    const perUnit = (16 * 542) / 4.32e11;
    expect(host).toBeCloseTo(2 * perUnit, 15);
    expect(Number(await redis.hget(`${p}:account:${acct.id}`, 'credit'))).toBeCloseTo(2 * perUnit, 15);
    expect(Number(await redis.zscore(`${p}:credit:teams`, 'engines'))).toBeCloseTo(2 * perUnit, 15);
    const day = Math.floor(Date.now() / 86_400_000);
    const daily = await redis.hgetall(`${p}:host:${w.hostId}:daily`);
    expect(Number(daily[`v:${day}`])).toBe(2);
    expect(Number(daily[`c:${day}`])).toBeCloseTo(2 * perUnit, 15);
    // An unknown account key is refused with a clear message.
    const stranger = await FakeWorker.connect(coord.wsUrl);
    stranger.send({ type: 'hello', protocol: 1, hostId: stranger.hostId, hostSecret: stranger.hostSecret, software: 'x', account: 'igk_nope', facts: { cores: 1, memoryBytes: 1, platform: 'linux', arch: 'x64' }, threads: 1, kinds: [{ name: 'keysearch', version: keysearch.version }] });
    expect((await stranger.next('error')).code).toBe('UNAUTHORIZED');
    w.close();
  });

  it('plants ringers: a single replica that misses one is invalid, one that finds them all is valid', async () => {
    const id = await submit({ params: { ...params(2 * 4096, 4096, '000000000400000000'), exhaustive: true }, policy: { minQuorum: 1, targetResults: 1, ringers: 2, decoys: 0 } });
    const honest = await FakeWorker.connect(coord.wsUrl);
    const cheat = await FakeWorker.connect(coord.wsUrl);
    await honest.hello();
    await cheat.hello();
    const [u0] = await work(honest, 1);
    const [u1] = await work(cheat, 1);
    expect((u0.spec as { targets: string[] }).targets).toHaveLength(3); // the job's target and two ringers
    await finish(honest, [u0]);
    const full = (await honestResult('keysearch', u1.spec)) as { found: Array<{ target: number }> };
    expect(full.found).toHaveLength(2); // the two ringers (the job's own key lies outside this range)
    // The cheater skipped part of the range and so reports no ringer.
    cheat.send({ type: 'results', items: [{ leaseId: u1.leaseId, result: { ...full, found: [] }, cpuS: 0, elapsedS: 0 }] });
    await cheat.next('ack');
    const p = coord.options.prefix;
    await waitFor('the honest result to pass its audit', async () => (await readUnitHash(redis, p, id, u0.unit)).replicas[0].outcome === OUTCOME.valid, 20_000);
    expect((await readUnitHash(redis, p, id, u1.unit)).replicas[0].outcome).toBe(OUTCOME.invalid);
    expect(Number(await redis.hget(`${p}:host:${cheat.hostId}`, 'credit') ?? 0)).toBe(0);
    honest.close();
    cheat.close();
  });

  it('gives a handed-back unit to another host first, and back to its host after the cool-down', async () => {
    const id = await submit({ params: params(16, 16, '000000000500000000'), policy: { minQuorum: 1, targetResults: 1 } });
    const a = await FakeWorker.connect(coord.wsUrl);
    await a.hello();
    const [u] = await work(a, 1);
    a.send({ type: 'release', leaseIds: [u.leaseId], reason: 'cannot finish before the deadline' });
    const again = await a.request(1);
    expect(again).toMatchObject({ type: 'no_work', reason: 'needs_other_host' });
    // Ten minutes later (moved back in Redis rather than waited for), the unit may return to this host.
    const uk = `${coord.options.prefix}:job:${id}:u:${u.unit}`;
    await redis.hset(uk, handedBackField(a.hostId), Date.now() - 11 * 60_000);
    const [back] = await work(a, 1);
    expect(back.unit).toBe(u.unit);
    expect(back.leaseId).not.toBe(u.leaseId);
    await finish(a, [back]);
    await waitFor('the unit to be valid', async () => (await readUnitHash(redis, coord.options.prefix, id, u.unit)).state === UNIT_STATE.valid, 20_000);
    a.close();
  });
});
