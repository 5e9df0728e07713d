/**
 * Requests for work of several hosts served by one lease.lua call (dispatch.ts, group-commit.ts), against
 * a real Redis: requests that arrive while a call is out gather into the next; each host gets its own
 * units, never a second replica of a unit it holds; the lease indexes hold exactly what was leased; and a
 * host that asks twice within one call gets no more than its allowance in all, while a host beside it in
 * the same call is served.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { parseLeaseId } from '../protocol/index.js';
import { Dispatcher, type LeaseRequest } from './dispatch.js';
import { startTestCoordinator, type TestCoordinator } from '../test/helpers/coordinator.js';

let coord: TestCoordinator;
beforeAll(async () => {
  coord = await startTestCoordinator({ sweepMs: 60_000 });
});
afterAll(async () => coord?.stop());

const UNIT_KEYS = 16;

/** A key search of `units` units, two replicas each, no audits, ringers or decoys. */
async function job(units: number): Promise<string> {
  const doc = await coord.services.jobs.submit({
    kind: 'keysearch',
    params: { algorithm: 'rc5-32/12/9', iv: '0000000000000000', plaintext: '0000000000000000', ciphertext: '0000000000000000', start: '000000000000000000', count: units * UNIT_KEYS, unitSize: UNIT_KEYS },
    policy: { minQuorum: 2, targetResults: 2, maxTotalResults: 10, adaptive: false, audit: 0, probation: 0, ringers: 0, decoys: 0 },
  }, null);
  return doc.id;
}

const ask = (hostId: string, count: number, threads = 4): LeaseRequest => ({ hostId, accountId: '', kinds: ['keysearch'], count, network: '', threads });

describe('Dispatcher: several hosts per lease.lua call', () => {
  it('gathers the requests that arrive while a call is out, and gives each host its own units', async () => {
    const svc = coord.services;
    const id = await job(12);
    const d = new Dispatcher(svc.redis, svc.keys, svc.jobs, svc.options, { concurrency: 1 });
    const hosts = ['g1', 'g2', 'g3', 'g4', 'g5', 'g6'].map((h) => `${h}-${id}`);
    const answers = await Promise.all(hosts.map((h) => d.lease(ask(h, 3))));
    // The first request went at once; the five that came while it ran went together.
    expect([d.calls, d.requests]).toEqual([2, 6]);
    const byHost = new Map(hosts.map((h, i) => [h, answers[i].units.map((u) => u.leaseId)]));
    for (const [h, ids] of byHost) {
      expect(ids).toHaveLength(3);
      // What the host was told is what the store says it holds.
      expect((await svc.redis.smembers(svc.keys.key('hostLeases', { host: h }))).sort()).toEqual([...ids].sort());
    }
    const all = [...byHost.values()].flat();
    expect(new Set(all).size).toBe(18);
    expect((await svc.redis.smembers(svc.keys.key('jobLeases', { job: id }))).sort()).toEqual([...all].sort());
    for (const lid of all) expect(await svc.redis.zscore(svc.keys.key('leases'), lid)).not.toBeNull();
    // Second replicas go out before fresh units are cut: nine units, each with both replicas out, on two hosts.
    const holders = new Map<number, string[]>();
    for (const [h, ids] of byHost) for (const lid of ids) holders.set(parseLeaseId(lid).unit, [...(holders.get(parseLeaseId(lid).unit) ?? []), h]);
    expect(holders.size).toBe(9);
    for (const hs of holders.values()) expect(new Set(hs).size).toBe(2);
  });

  it('holds a host that asks twice within one call to its allowance, and serves the host beside it', async () => {
    const svc = coord.services;
    const id = await job(20);
    // A new host may hold newHostLeases (2 here) whatever it asks for.
    const d = new Dispatcher(svc.redis, svc.keys, svc.jobs, { leasesPerThread: 4, newHostLeases: 2 }, { concurrency: 1 });
    const [first, again, twice, beside] = await Promise.all([
      d.lease(ask(`a-${id}`, 1)), // goes alone; the three below share the next call
      d.lease(ask(`greedy-${id}`, 2)),
      d.lease(ask(`greedy-${id}`, 2)),
      d.lease(ask(`b-${id}`, 2)),
    ]);
    expect(d.calls).toBe(2);
    expect(first.units).toHaveLength(1);
    expect(again.units).toHaveLength(2);
    expect(twice.units).toEqual([]);
    expect(twice.reason).toBe('quota');
    expect(twice.quota).toEqual({ limit: 'held', held: 2, allowance: 2 });
    expect(beside.units).toHaveLength(2);
    expect(await svc.redis.scard(svc.keys.key('hostLeases', { host: `greedy-${id}` }))).toBe(2);
  });
});
