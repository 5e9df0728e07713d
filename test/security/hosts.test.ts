/**
 * No hoarders, no ghosts, with scripted hosts on real coordinators: a host holds what it has proved, not
 * what it claims; a host that disconnects or goes silent has its units handed to others within seconds
 * (no penalty: it may come back), also when it moves between coordinators; host records that never
 * proved anything expire; and new host ids are rationed per address. Heartbeat periods are short here so
 * that "a few periods" pass quickly.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { WorkUnit } from '../../protocol/index.js';
import { REPLICA_STATE, STANDING } from '../../coordinator/store/unit-layout.js';
import { honestResult } from '../helpers/compute.js';
import { adminToken, startTestCoordinator, type TestCoordinator } from '../helpers/coordinator.js';
import { FakeWorker } from '../helpers/fake-worker.js';
import { waitFor } from '../helpers/processes.js';
import { uniquePrefix } from '../helpers/redis.js';
import { readUnitHash } from '../helpers/unit-hash.js';
import { api, keyJobParams } from './support.js';

const coords: TestCoordinator[] = [];
const workers: FakeWorker[] = [];
afterAll(async () => {
  for (const w of workers) w.close();
  await Promise.all(coords.map((c) => c.stop()));
});

async function coordinator(opts: Parameters<typeof startTestCoordinator>[0]): Promise<TestCoordinator> {
  const c = await startTestCoordinator({ sweepMs: 100, ...opts });
  coords.push(c);
  return c;
}

async function host(c: TestCoordinator, hello: Parameters<FakeWorker['hello']>[0] = {}, conn: Parameters<typeof FakeWorker.connect>[1] = {}): Promise<FakeWorker> {
  const w = await FakeWorker.connect(c.wsUrl, conn);
  workers.push(w);
  await w.hello(hello);
  return w;
}

/** A key search of `units` units, each replica enough on its own (quorum 1). */
async function job(c: TestCoordinator, units: number, unitSize = 16): Promise<string> {
  const { params } = keyJobParams({ count: units * unitSize, unitSize, keyOffset: units * unitSize - 1, start: BigInt(Date.now()) << 20n });
  const sub = await api(c.url, 'POST', '/api/jobs', { token: adminToken(), body: { kind: 'keysearch', params: { ...params, exhaustive: true }, policy: { minQuorum: 1, targetResults: 1, adaptive: false } } });
  expect(sub.status).toBe(201);
  return sub.body.id;
}

async function take(w: FakeWorker, n: number): Promise<WorkUnit[]> {
  const r = await w.request(n);
  return r.type === 'work' ? r.units : [];
}

async function answer(w: FakeWorker, units: WorkUnit[]): Promise<void> {
  const items = [];
  for (const u of units) items.push({ leaseId: u.leaseId, result: await honestResult('keysearch', u.spec), cpuS: 0, elapsedS: 0 });
  w.send({ type: 'results', items });
  expect((await w.next('ack')).items.every((i) => i.status === 'accepted')).toBe(true);
  for (let i = 0; i < units.length; i++) expect((await w.next('credit')).valid).toBe(true);
}

const replicaState = async (c: TestCoordinator, u: WorkUnit) =>
  (await readUnitHash(c.services.redis, c.services.keys.prefix, u.jobId, u.unit)).replicas[Number(u.leaseId.split('.')[2])].state;
const hostField = async (c: TestCoordinator, hostId: string, field: string) => c.services.redis.hget(c.services.keys.key('host', { host: hostId }), field);

/** Heartbeats every `ms` until stopped, as a live worker sends them. */
function beat(w: FakeWorker, ms: number): () => void {
  let seq = 0;
  const t = setInterval(() => w.send({ type: 'heartbeat', seq: ++seq, sentAt: Date.now() }), ms);
  return () => clearInterval(t);
}

describe('a host holds what it has proved', () => {
  let c: TestCoordinator;
  beforeAll(async () => {
    c = await coordinator({});
  });

  it('a hello claiming 4096 threads gets a new host allowance of 32, growing by one per validated result', async () => {
    await job(c, 1000);
    const w = await host(c, { threads: 4096 });
    const first = await take(w, 64);
    expect(first).toHaveLength(32);
    const refused = await w.request(64);
    expect(refused).toMatchObject({ type: 'no_work', reason: 'quota' });
    expect(refused.type === 'no_work' && refused.message).toMatch(/holds 32 units, all it may hold for now \(32/);
    await answer(w, first.slice(0, 10));
    // 22 still in hand; the allowance is now 32 + 10.
    expect(await take(w, 64)).toHaveLength(20);
    expect(Number(await hostField(c, w.hostId, STANDING.provenE))).toBeCloseTo(10, 3);
  });

  it('an honest new host keeps its threads busy from the first request, up to its threads x 4', async () => {
    const sixteen = await host(c, { threads: 16 });
    expect(await take(sixteen, 64)).toHaveLength(32);
    const two = await host(c, { threads: 2 });
    expect(await take(two, 64)).toHaveLength(8);
  });
});

describe('ghosts: units of hosts that left or went silent go to others', () => {
  // Heartbeats every 1 s: silent after 3 s, a disconnect's grace 1 s.
  const HEARTBEAT_MS = 1_000;
  let c: TestCoordinator;
  beforeAll(async () => {
    c = await coordinator({ heartbeatMs: HEARTBEAT_MS });
  });

  it('a disconnected host\'s units are handed back after the grace, with no penalty; back within it, it keeps them', async () => {
    await job(c, 50);
    const w = await host(c);
    await answer(w, await take(w, 1));
    const held = await take(w, 4);
    expect(held).toHaveLength(4);

    // Back within the grace: the same units, still leased to it.
    w.close();
    const again = await FakeWorker.connect(c.wsUrl);
    workers.push(again);
    const welcome = await again.hello({ hostId: w.hostId, hostSecret: w.hostSecret });
    expect(welcome.leases.map((u) => u.leaseId).sort()).toEqual(held.map((u) => u.leaseId).sort());
    expect(await Promise.all(held.map((u) => replicaState(c, u)))).toEqual(held.map(() => REPLICA_STATE.leased));

    // Gone for good: released (not timed out) within seconds, and another host gets them first.
    const left = Date.now();
    again.close();
    await waitFor('the units to be handed back', async () => (await Promise.all(held.map((u) => replicaState(c, u)))).every((s) => s === REPLICA_STATE.released), 10_000, 50);
    const tookS = (Date.now() - left) / 1000;
    const other = await host(c);
    const next = await take(other, 4);
    expect(next.map((u) => u.unit).sort()).toEqual(held.map((u) => u.unit).sort());
    expect(Number((await hostField(c, w.hostId, 'nTimeout')) ?? 0)).toBe(0);
    expect(await hostField(c, w.hostId, 'cv:keysearch')).toBe('1');
    console.log(`ghosts: a disconnected host's units were handed back ${tookS.toFixed(1)} s after it left (grace ${HEARTBEAT_MS / 1000} s)`);
  });

  it('a connected host that goes silent loses its units after a few heartbeat periods and is told; one that beats keeps them', async () => {
    await job(c, 50);
    const live = await host(c);
    const silent = await host(c);
    const stop = beat(live, HEARTBEAT_MS / 2);
    try {
      const kept = await take(live, 4);
      const lost = await take(silent, 4);
      const cancel = await silent.next('cancel', 15_000);
      expect(cancel.leaseIds.sort()).toEqual(lost.map((u) => u.leaseId).sort());
      expect(await Promise.all(lost.map((u) => replicaState(c, u)))).toEqual(lost.map(() => REPLICA_STATE.released));
      expect(await Promise.all(kept.map((u) => replicaState(c, u)))).toEqual(kept.map(() => REPLICA_STATE.leased));
      expect(Number((await hostField(c, silent.hostId, 'nTimeout')) ?? 0)).toBe(0);
      // Speaking again makes it live again, and it may work on.
      silent.send({ type: 'heartbeat', seq: 1, sentAt: Date.now() });
      expect(await take(silent, 2)).toHaveLength(2);
    } finally {
      stop();
    }
  });

  it('holds with several coordinators: a host that moves keeps its units; the old coordinator\'s close does not take them', async () => {
    // Slower beats here (grace 2 s, silence 6 s), so that "past the grace, before the silence" is a wide window.
    const prefix = uniquePrefix('moves');
    const a = await coordinator({ heartbeatMs: 2 * HEARTBEAT_MS, prefix });
    const b = await coordinator({ heartbeatMs: 2 * HEARTBEAT_MS, prefix });
    await job(a, 50);
    const onA = await host(a);
    const held = await take(onA, 4);
    // The host says hello to B before A sees its old connection close (a reconnect racing the close).
    const onB = await FakeWorker.connect(b.wsUrl);
    workers.push(onB);
    const welcome = await onB.hello({ hostId: onA.hostId, hostSecret: onA.hostSecret });
    expect(welcome.leases.map((u) => u.leaseId).sort()).toEqual(held.map((u) => u.leaseId).sort());
    onA.close();
    // Past A's grace with no word from the host since its hello to B: had A's close counted, the units
    // would be gone; B's connection speaks for the host now, so they stay until B's silence limit.
    await new Promise((r) => setTimeout(r, 4 * HEARTBEAT_MS));
    expect(await Promise.all(held.map((u) => replicaState(a, u)))).toEqual(held.map(() => REPLICA_STATE.leased));
    // Away from B too: whichever coordinator's transitioner comes first hands the units back.
    onB.close();
    await waitFor('the units to be handed back', async () => (await Promise.all(held.map((u) => replicaState(a, u)))).every((s) => s === REPLICA_STATE.released), 10_000, 50);
  });
});

describe('host records and hellos', () => {
  it('host records that never returned a valid result expire; a proven host\'s stays', async () => {
    const c = await coordinator({ heartbeatMs: 400, unprovenHostTtlS: 2 });
    await job(c, 10);
    const fresh = await Promise.all(Array.from({ length: 20 }, () => host(c)));
    const proven = await host(c);
    await answer(proven, await take(proven, 1));
    const staying = await host(c);
    const stop = beat(staying, 200);
    const { redis, keys } = c.services;
    const exists = (h: string) => redis.exists(keys.key('host', { host: h }));
    try {
      expect(await exists(fresh[0].hostId)).toBe(1);
      for (const w of [...fresh, proven]) w.close();
      await waitFor('the unproven records to expire', async () => (await Promise.all(fresh.map((w) => exists(w.hostId)))).every((e) => e === 0), 10_000, 100);
      for (const w of fresh) expect(await redis.zscore(keys.key('hosts'), w.hostId)).toBeNull();
      expect(await exists(proven.hostId)).toBe(1);
      // Still talking, so not expired though it has proved nothing yet.
      expect(await exists(staying.hostId)).toBe(1);
      expect(await redis.zrange(keys.key('hostsUnproven'), '0', '-1')).toEqual([staying.hostId]);
    } finally {
      stop();
    }
  });

  it('rations new host ids per address: each loopback address its own count, known hosts always welcome', async () => {
    const c = await coordinator({ loopbackNewHostsPerHour: 3 });
    const from2 = { localAddress: '127.0.0.2' };
    const first = await host(c, {}, from2);
    await host(c, {}, from2);
    await host(c, {}, from2);
    const refused = await FakeWorker.connect(c.wsUrl, from2);
    workers.push(refused);
    await expect(refused.hello()).rejects.toThrow(/closed \(4008/);
    const err = await refused.next('error');
    expect(err.code).toBe('RATE_LIMITED');
    expect(err.message).toMatch(/more than 3 new host ids said hello from this address in an hour; .* retry in (\d+ min|\d+ s)/);
    // A host the grid knows reconnects from the same address; a new one from another address is welcome.
    first.close();
    await host(c, { hostId: first.hostId, hostSecret: first.hostSecret }, from2);
    await host(c, {}, { localAddress: '127.0.0.3' });
  });

  it('behind a trusted proxy, rations by the client address the proxy reports', async () => {
    const c = await coordinator({ trustProxy: true, newHostsPerHour: 2 });
    const via = (ip: string) => ({ headers: { 'x-forwarded-for': ip } });
    await host(c, {}, via('203.0.113.5'));
    await host(c, {}, via('203.0.113.5'));
    const refused = await FakeWorker.connect(c.wsUrl, via('203.0.113.5'));
    workers.push(refused);
    await expect(refused.hello()).rejects.toThrow(/closed \(4008/);
    expect((await refused.next('error')).code).toBe('RATE_LIMITED');
    await host(c, {}, via('203.0.113.6'));
  });
});
