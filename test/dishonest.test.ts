/**
 * Dishonest clients that speak the protocol perfectly: a wrong digest and a fake key do not change the
 * job's answer, earn no credit, and cost the liar its trust.
 */
import { Redis } from 'ioredis';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { WorkUnit } from '../protocol/index.js';
import { encryptBlock } from '../workunits/keysearch/kind.js';
import { adminHeaders, startTestCoordinator, type TestCoordinator } from './helpers/coordinator.js';
import { FakeWorker } from './helpers/fake-worker.js';
import { honestResult } from './helpers/compute.js';
import { waitFor } from './helpers/processes.js';
import { redisUrl } from './helpers/redis.js';
import { readUnitHash } from './helpers/unit-hash.js';

let coord: TestCoordinator;
let redis: Redis;
beforeAll(async () => {
  coord = await startTestCoordinator();
  redis = new Redis(redisUrl());
});
afterAll(async () => {
  redis.disconnect();
  await coord?.stop();
});

const key = '0000000000000025c3'; // in unit 2
const params = {
  algorithm: 'rc5-32/12/9', iv: '0011223344556677', plaintext: '54686520756e6b6e',
  ciphertext: encryptBlock(key, '0011223344556677', '54686520756e6b6e'), start: '000000000000000000', count: 4 * 4096, unitSize: 4096, exhaustive: true,
};

async function submit(): Promise<string> {
  const res = await fetch(`${coord.url}/api/jobs`, { method: 'POST', headers: { 'content-type': 'application/json', ...adminHeaders() }, body: JSON.stringify({ kind: 'keysearch', params, policy: { minQuorum: 2, targetResults: 2, adaptive: false } }) });
  expect(res.status).toBe(201);
  return ((await res.json()) as { id: string }).id;
}

async function work(w: FakeWorker, n: number): Promise<WorkUnit[]> {
  const m = await w.request(n);
  return m.type === 'work' ? m.units : [];
}

async function reply(w: FakeWorker, units: WorkUnit[], lie: (u: WorkUnit, honest: any) => unknown) {
  const items = [];
  for (const u of units) items.push({ leaseId: u.leaseId, result: lie(u, await honestResult('keysearch', u.spec)), cpuS: 0.1, elapsedS: 0.1 });
  w.send({ type: 'results', items });
  return w.next('ack');
}

describe('dishonest hosts', () => {
  it('cannot change the answer with a wrong digest or a fake key', async () => {
    const id = await submit();
    const liar = await FakeWorker.connect(coord.wsUrl);
    const faker = await FakeWorker.connect(coord.wsUrl);
    const honest = [await FakeWorker.connect(coord.wsUrl), await FakeWorker.connect(coord.wsUrl)];
    for (const w of [liar, faker, ...honest]) await w.hello();

    // The liar cuts units 0 and 1; the faker gets their second replicas (needed replicas go first), so both
    // replicas of those units are bad and honest hosts must supply the quorum.
    const lied = await work(liar, 2);
    const faked = await work(faker, 2);
    expect(lied.map((u) => u.unit)).toEqual([0, 1]);
    expect(faked.map((u) => u.unit)).toEqual([0, 1]);
    await reply(liar, lied, (_u, h) => ({ ...h, digest: 'deadbeefdeadbeef' }));
    const ack = await reply(faker, faked, (u, h) => ({ ...h, found: [{ key: (u.spec as { start: string }).start, target: 0 }] }));
    expect(ack.items.every((i) => i.status === 'accepted')).toBe(true);

    for (let round = 0; round < 6; round++) {
      for (const w of honest) {
        const units = await work(w, 4);
        if (units.length) await reply(w, units, (_u, h) => h);
      }
      const doc = await (await fetch(`${coord.url}/api/jobs/${id}`, { headers: adminHeaders() })).json();
      if (doc.state === 'done') break;
    }
    const doc = await waitFor('job done', async () => {
      const d = await (await fetch(`${coord.url}/api/jobs/${id}`, { headers: adminHeaders() })).json();
      return d.state === 'done' ? d : undefined;
    }, 15_000);
    expect(doc.result.found).toEqual([{ key }]);

    const p = coord.options.prefix;
    // Each liar is told its results were invalid, for no credit.
    for (const w of [liar, faker]) expect(await w.next('credit')).toMatchObject({ valid: false, credit: 0 });
    for (const w of [liar, faker]) {
      const h = await redis.hgetall(`${p}:host:${w.hostId}`);
      expect(Number(h.credit ?? 0)).toBe(0);
      expect(Number(h.nInvalid)).toBe(2);
      expect(Number(h['cv:keysearch'] ?? 0)).toBe(0);
    }
    for (const w of honest) expect(Number((await redis.hgetall(`${p}:host:${w.hostId}`)).credit)).toBeGreaterThan(0);
    for (const w of [liar, faker, ...honest]) w.close();
  });

  it('refuses a result for a lease another host holds, and a replay', async () => {
    await submit();
    const a = await FakeWorker.connect(coord.wsUrl);
    const b = await FakeWorker.connect(coord.wsUrl);
    await a.hello();
    await b.hello();
    const [u] = await work(a, 1);
    const result = await honestResult('keysearch', u.spec);
    b.send({ type: 'results', items: [{ leaseId: u.leaseId, result, cpuS: 0, elapsedS: 0 }] });
    expect((await b.next('ack')).items[0]).toMatchObject({ status: 'rejected', error: { code: 'LEASE_NOT_YOURS' } });
    a.send({ type: 'results', items: [{ leaseId: u.leaseId, result, cpuS: 0, elapsedS: 0 }] });
    expect((await a.next('ack')).items[0].status).toBe('accepted');
    a.send({ type: 'results', items: [{ leaseId: u.leaseId, result, cpuS: 0, elapsedS: 0 }] });
    expect((await a.next('ack')).items[0]).toMatchObject({ status: 'rejected', error: { code: 'DUPLICATE_RESULT' } });
    b.send({ type: 'results', items: [{ leaseId: 'zzzzzzzz.0.0', result, cpuS: 0, elapsedS: 0 }] });
    expect((await b.next('ack')).items[0]).toMatchObject({ status: 'rejected', error: { code: 'UNKNOWN_LEASE' } });
    a.close();
    b.close();
  });

  // A coordinator stores the reports that arrive together in one report.lua call (report-queue.ts): a
  // thief whose results for another host's leases share a call with the holder's own gains nothing.
  it('refuses results for another host\'s leases sent at the same moment as the holder\'s, in a shared call too', async () => {
    let shared = false;
    for (let round = 0; round < 10 && !shared; round++) {
      await submit();
      // The holder and six thieves, each its own host on its own address.
      const [a, ...thieves] = await Promise.all([11, 12, 13, 14, 15, 16, 17].map((n) => FakeWorker.connect(coord.wsUrl, { localAddress: `127.0.0.${n}` })));
      for (const w of [a, ...thieves]) await w.hello();
      const units = await work(a, 4);
      expect(units).toHaveLength(4);
      const honest = await Promise.all(units.map((u) => honestResult('keysearch', u.spec)));
      const frame = { type: 'results', items: units.map((u, i) => ({ leaseId: u.leaseId, result: honest[i], cpuS: 0.1, elapsedS: 0.1 })) };
      const before = { calls: coord.services.reports.calls, reports: coord.services.reports.requests };
      // The frames leave in one tick, the holder's last, so that it joins a call of thieves' reports
      // (the first ones go out at once); the thieves send results that pass the kind's check (the right
      // ones, copied or computed), claiming the leases as theirs.
      for (const w of [...thieves, a]) w.send(frame);
      const [ackA, ...thiefAcks] = await Promise.all([a, ...thieves].map((w) => w.next('ack')));
      shared ||= coord.services.reports.calls - before.calls < coord.services.reports.requests - before.reports;
      expect(ackA.items.map((x) => x.status)).toEqual(['accepted', 'accepted', 'accepted', 'accepted']);
      for (const ack of thiefAcks) for (const x of ack.items) expect(x).toMatchObject({ status: 'rejected', error: { code: 'LEASE_NOT_YOURS' } });
      for (const [i, u] of units.entries()) {
        const stored = (await readUnitHash(redis, coord.options.prefix, u.jobId, u.unit)).replicas[Number(u.leaseId.split('.')[2])];
        expect([stored.host, JSON.parse(stored.raw!)]).toEqual([a.hostId, honest[i]]);
      }
      for (const w of [a, ...thieves]) w.close();
    }
    // The race above ran at least once with reports of several hosts in one call.
    expect(shared).toBe(true);
  });
});
