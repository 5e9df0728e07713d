/**
 * validate.lua decides a whole batch of units in one call and writes what valid results add to a host
 * once per host (credit, counters, trust, quotas, proven count, vouched set). It must leave a host
 * exactly where deciding its results one at a time would: here a host's batch of seven results, one of
 * them a lie in the middle, is checked field by field against the one-at-a-time arithmetic.
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
beforeAll(async () => {
  coord = await startTestCoordinator();
});
afterAll(async () => coord?.stop());

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
      // Granted once per valid result in the batch, and all of it taken back.
      expect(Number(host.nValid)).toBe(0);
      expect(Number(host.credit)).toBeCloseTo(0, 9);
      expect(Number(await coord.services.redis.zscore(coord.services.keys.key('creditHosts'), w.hostId))).toBeCloseTo(0, 9);
      expect(await coord.services.redis.exists(coord.services.keys.key('hostVouched', { host: w.hostId }))).toBe(0);
    } finally {
      w.close();
      await api(coord.url, 'DELETE', `/api/jobs/${sub.body.id as string}`, { token: adminToken() });
    }
  });
});
