/**
 * validate.lua decides a whole batch of units in one call and writes what valid results add to a host
 * once per host (credit, counters, trust, quotas, proven count, vouched sets). It must leave a host
 * exactly where deciding its results one at a time would: here a host's batch of seven results, one of
 * them a lie in the middle, is checked field by field against the one-at-a-time arithmetic. And what a
 * host vouched for is kept per job, as unit numbers, only while the job runs.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { WorkUnit } from '../../protocol/index.js';
import { OUTCOME, SHARED, STANDING } from '../../coordinator/store/unit-layout.js';
import { honestResult } from '../helpers/compute.js';
import { adminToken, startTestCoordinator, type TestCoordinator } from '../helpers/coordinator.js';
import { FakeWorker } from '../helpers/fake-worker.js';
import { waitFor } from '../helpers/processes.js';
import { readUnitHash } from '../helpers/unit-hash.js';
import { api, keyJobParams } from '../security/support.js';

const UNIT_KEYS = 4096;
let coord: TestCoordinator;
let redis: TestCoordinator['services']['redis'];
let keys: TestCoordinator['services']['keys'];
beforeAll(async () => {
  coord = await startTestCoordinator();
  ({ redis, keys } = coord.services);
});
afterAll(async () => coord?.stop());

/**
 * A running job of 8 units, one host per unit and no audits (so every valid result is vouched for, none
 * recomputed whole), and a host holding `count` of its units. `offset` keeps each test's keys apart.
 */
async function vouchingHost(count: number, offset: bigint): Promise<{ job: string; w: FakeWorker; units: WorkUnit[] }> {
  const { params } = keyJobParams({ count: 8 * UNIT_KEYS, unitSize: UNIT_KEYS, keyOffset: 9 * UNIT_KEYS, start: (BigInt(Date.now()) << 20n) + (offset << 40n) });
  const policy = { minQuorum: 1, targetResults: 1, audit: 0, probation: 0, ringers: 0, decoys: 0, adaptive: false };
  const sub = await api(coord.url, 'POST', '/api/jobs', { token: adminToken(), body: { kind: 'keysearch', params, policy } });
  expect(sub.status).toBe(201);
  const w = await FakeWorker.connect(coord.wsUrl);
  await w.hello();
  const m = await w.request(count);
  if (m.type !== 'work') throw new Error(`no work: ${m.message}`);
  return { job: sub.body.id as string, w, units: m.units as WorkUnit[] };
}

/** Honest results of `units`, as a host sends them. */
const honestItems = (units: WorkUnit[]) => Promise.all(units.map(async (u) => ({ leaseId: u.leaseId, result: await honestResult('keysearch', u.spec), cpuS: 0, elapsedS: 0 })));

describe('validating a batch of results in one script call', () => {
  it('leaves the host where one result at a time would, a lie in the middle included', async () => {
    // No audits: each result is decided as it arrives, the whole batch in one validate.lua call.
    const { params } = keyJobParams({ count: 8 * UNIT_KEYS, unitSize: UNIT_KEYS, keyOffset: 9 * UNIT_KEYS, start: BigInt(Date.now()) << 20n });
    const policy = { audit: 0, probation: 0, ringers: 0, decoys: 0, adaptive: false };
    const sub = await api(coord.url, 'POST', '/api/jobs', { token: adminToken(), body: { kind: 'keysearch', params, policy } });
    expect(sub.status).toBe(201);
    const w = await FakeWorker.connect(coord.wsUrl);
    try {
      await w.hello();
      const m = await w.request(7);
      if (m.type !== 'work') throw new Error(`no work: ${m.message}`);
      const units = m.units as WorkUnit[];
      expect(units).toHaveLength(7);
      const hostKey = coord.services.keys.key('host', { host: w.hostId });
      const quota0 = Number(await coord.services.redis.hget(hostKey, `${STANDING.quota}keysearch`));
      expect(quota0).toBeGreaterThan(0);

      const LIE = 3;
      const items = await Promise.all(units.map(async (u, i) => {
        const r = (await honestResult('keysearch', u.spec)) as { found: Array<{ key: string; target: number }> };
        const result = i === LIE ? { ...r, found: [...r.found, { key: (u.spec as { start: string }).start, target: 0 }] } : r;
        return { leaseId: u.leaseId, result, cpuS: 0, elapsedS: 0 };
      }));
      w.send({ type: 'results', items });
      expect((await w.next('ack')).items.every((i) => i.status === 'accepted')).toBe(true);
      // The lie is caught, so everything the host vouched for in this running job is taken back after the
      // batch (reopen.lua): its six valid results end invalid, their credit withdrawn. That they all are
      // shows each was in the host's vouched set.
      const host = await waitFor('the lie caught and the vouched results taken back', async () => {
        const h = await coord.services.redis.hgetall(hostKey);
        return Number(h.nInvalid) === 7 ? h : undefined;
      }, 20_000);
      for (const u of units) {
        const h = await readUnitHash(coord.services.redis, coord.options.prefix, u.jobId, u.unit);
        expect(h.replicas[0].outcome, `unit ${u.unit}`).toBe(OUTCOME.invalid);
      }

      // One at a time: 3 valid (quota x2 each, trust and proven +1 each), the lie (quota halves, trust and
      // proven to 0), 3 valid (quota x2 each, proven +1 each; trust stays 0: they arrived before the reset).
      // Taking results back changes none of these.
      const step = (q: number, f: number) => Math.max(1, Math.min(SHARED.QUOTA_MAX, Math.floor(q * f)));
      let quota = quota0;
      for (const f of [2, 2, 2, 0.5, 2, 2, 2]) quota = step(quota, f);
      expect(Number(host[`${STANDING.quota}keysearch`])).toBe(quota);
      expect(Number(host['cv:keysearch'])).toBe(0);
      expect(Number(host[STANDING.provenE])).toBeCloseTo(3, 3);
      // Granted once per valid result in the batch, and all of it taken back (once the grants, queued by
      // validate.lua, are in the totals).
      expect(Number(host.nValid)).toBe(0);
      await coord.services.credit.flush();
      expect(Number(await coord.services.redis.hget(hostKey, 'credit'))).toBeCloseTo(0, 9);
      expect(Number(await coord.services.redis.zscore(coord.services.keys.key('creditHosts'), w.hostId))).toBeCloseTo(0, 9);
      // What it vouched for was taken back, so nothing of it is kept to take back again.
      expect(await redis.exists(keys.key('hostVouchedJobs', { host: w.hostId }), keys.key('jobVouched', { job: sub.body.id, host: w.hostId }))).toBe(0);
      expect(await redis.smembers(keys.key('jobVouchers', { job: sub.body.id }))).toEqual([]);
    } finally {
      w.close();
      await api(coord.url, 'DELETE', `/api/jobs/${sub.body.id as string}`, { token: adminToken() });
    }
  });

  it('takes back what a store written before the per-job sets holds in the host\'s old sorted set', async () => {
    const { job, w, units: [a, b, c] } = await vouchingHost(3, 2n);
    try {
      w.send({ type: 'results', items: await honestItems([a, b]) });
      expect((await w.next('ack')).items.every((i) => i.status === 'accepted')).toBe(true);
      const vouchedKey = keys.key('jobVouched', { job, host: w.hostId });
      await waitFor('the two results vouched for', async () => ((await redis.scard(vouchedKey)) === 2 ? true : undefined), 20_000);
      // As a store of before 2026-12-07 holds them: "job.unit.replica" scored by time, per host.
      await redis.del(vouchedKey, keys.key('jobVouchers', { job }), keys.key('hostVouchedJobs', { host: w.hostId }));
      await redis.zadd(keys.key('hostVouched', { host: w.hostId }), Date.now(), a.leaseId, Date.now(), b.leaseId);

      const r = (await honestResult('keysearch', c.spec)) as { found: Array<{ key: string; target: number }> };
      const lie = { ...r, found: [...r.found, { key: (c.spec as { start: string }).start, target: 0 }] };
      w.send({ type: 'results', items: [{ leaseId: c.leaseId, result: lie, cpuS: 0, elapsedS: 0 }] });
      expect((await w.next('ack')).items[0].status).toBe('accepted');
      for (const u of [a, b]) {
        await waitFor(`unit ${u.unit} taken back`, async () => {
          const h = await readUnitHash(redis, coord.options.prefix, u.jobId, u.unit);
          return h.replicas[0].outcome === OUTCOME.invalid ? true : undefined;
        }, 20_000);
      }
      expect(await redis.exists(keys.key('hostVouched', { host: w.hostId }))).toBe(0);
    } finally {
      w.close();
      await api(coord.url, 'DELETE', `/api/jobs/${job}`, { token: adminToken() });
    }
  });

  it('keeps what a host vouched for as unit numbers per job while the job runs, and forgets them when it ends', async () => {
    const { job, w, units } = await vouchingHost(5, 1n);
    try {
      w.send({ type: 'results', items: await honestItems(units) });
      expect((await w.next('ack')).items.every((i) => i.status === 'accepted')).toBe(true);
      const vouchedKey = keys.key('jobVouched', { job, host: w.hostId });
      const vouched = await waitFor('the results validated and vouched for', async () => {
        const members = await redis.smembers(vouchedKey);
        return members.length === units.length ? members : undefined;
      }, 20_000);
      expect(vouched.map(Number).sort((a, b) => a - b)).toEqual(units.map((u) => u.unit).sort((a, b) => a - b));
      expect(await redis.object('ENCODING', vouchedKey)).toBe('intset');
      expect(await redis.smembers(keys.key('hostVouchedJobs', { host: w.hostId }))).toEqual([job]);
      expect(await redis.smembers(keys.key('jobVouchers', { job }))).toEqual([w.hostId]);

      expect((await api(coord.url, 'DELETE', `/api/jobs/${job}`, { token: adminToken() })).status).toBeLessThan(300);
      // Only a running job's results are ever reopened: an ended job keeps nothing for it.
      expect(await redis.exists(vouchedKey, keys.key('jobVouchers', { job }), keys.key('hostVouchedJobs', { host: w.hostId }))).toBe(0);
    } finally {
      w.close();
      await api(coord.url, 'DELETE', `/api/jobs/${job}`, { token: adminToken() });
    }
  });
});
