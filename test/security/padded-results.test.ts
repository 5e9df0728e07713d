/**
 * A result padded with fields its kind does not know. The protocol carries a result as any JSON up to a
 * frame's megabyte, and the kind's schema accepts it if the fields it knows are right; what the store
 * keeps, in the unit and again as the job's canonical result, must be what the schema made of it, or one
 * host could make Redis hold a megabyte per unit it leases; and a key search result may name each key once,
 * and no more keys than its unit has targets. Hosts are scripted clients speaking
 * docs/protocol.md (test/helpers/fake-worker.ts), each on its own loopback address.
 */
import { describe, expect, it } from 'vitest';
import { parseLeaseId, type WorkUnit } from '../../protocol/index.js';
import { replicaField } from '../../coordinator/store/unit-layout.js';
import { honestResult } from '../helpers/compute.js';
import { adminToken } from '../helpers/coordinator.js';
import { FakeWorker } from '../helpers/fake-worker.js';
import { api, coordinatorForFile, keyJobParams } from './support.js';

const file = coordinatorForFile();
async function work(w: FakeWorker, count: number): Promise<WorkUnit[]> {
  const got = await w.request(count);
  if (got.type !== 'work') throw new Error(`no work: ${JSON.stringify(got)}`);
  return got.units;
}

/** The job's document once it is no longer running (20 s at most). */
async function ended(id: string) {
  const read = async () => (await api(file.coord.url, 'GET', `/api/jobs/${id}`, { token: adminToken() })).body;
  let job = await read();
  for (const deadline = Date.now() + 20_000; job.state !== 'done' && Date.now() < deadline; job = await read()) await new Promise((r) => setTimeout(r, 100));
  return job;
}

type KeyResult = { found: Array<{ key: string; target: number }>; keys: number; digest: string; blocks: string[] };

describe('a result padded beyond what its kind defines', () => {
  it('is stored as its schema reads it: the padding is not kept, and the job still finds its key', async () => {
    const { key, params } = keyJobParams({ count: 2 * 4096, unitSize: 4096, keyOffset: 77, start: BigInt(Date.now()) << 20n });
    const policy = { minQuorum: 2, targetResults: 2, adaptive: false, audit: 0, probation: 0, ringers: 0, decoys: 0 };
    const sub = await api(file.coord.url, 'POST', '/api/jobs', { token: adminToken(), body: { kind: 'keysearch', params, policy } });
    expect(sub.status).toBe(201);

    const padder = await file.host({}, '127.0.0.31');
    const units = await work(padder, 2);
    expect(units).toHaveLength(2);
    const right = new Map<string, KeyResult>();
    for (const u of units) right.set(u.leaseId, (await honestResult('keysearch', u.spec)) as KeyResult);
    // Padding at the top level and inside a find: about 600 KB in one frame, under its 1 MiB.
    padder.send({
      type: 'results',
      items: units.map((u) => {
        const r = right.get(u.leaseId)!;
        return {
          leaseId: u.leaseId, cpuS: 0, elapsedS: 0,
          result: { ...r, padding: 'x'.repeat(300_000), found: r.found.map((f) => ({ ...f, note: 'y'.repeat(200_000) })) },
        };
      }),
    });
    const ack = await padder.next('ack');
    expect(ack.items.map((i) => i.status)).toEqual(['accepted', 'accepted']);
    expect([...right.values()].some((r) => r.found.length === 1)).toBe(true);

    for (const u of units) {
      const { replica } = parseLeaseId(u.leaseId);
      const stored = await file.coord.services.redis.hget(file.coord.services.keys.key('unit', { job: u.jobId, unit: u.unit }), replicaField('result', replica));
      expect(stored!.length).toBeLessThan(2_000);
      expect(JSON.parse(stored!)).toEqual(right.get(u.leaseId));
    }

    // A second host agrees: both units validate, and the answer is the key.
    const honest = await file.host({}, '127.0.0.32');
    const second = await work(honest, 2);
    honest.send({ type: 'results', items: await Promise.all(second.map(async (u) => ({ leaseId: u.leaseId, cpuS: 0, elapsedS: 0, result: await honestResult('keysearch', u.spec) }))) });
    expect((await honest.next('ack')).items.every((i) => i.status === 'accepted')).toBe(true);
    const job = await ended(sub.body.id);
    expect(job.state).toBe('done');
    expect(job.result.found.map((f: { key: string }) => f.key)).toEqual([key]);
  });

  it('a key named again and again is not stored as more finds: 65 are refused, a repeat makes the result invalid', async () => {
    // The default policy: every unit holds ringer keys the coordinator planted, which an honest host finds.
    const { key, params } = keyJobParams({ count: 2 * 4096, unitSize: 4096, keyOffset: 4096 + 5, start: BigInt(Date.now() + 1) << 20n });
    const sub = await api(file.coord.url, 'POST', '/api/jobs', { token: adminToken(), body: { kind: 'keysearch', params } });
    expect(sub.status).toBe(201);
    const acct = (await api(file.coord.url, 'POST', '/api/accounts', { body: { name: 'repeater' } })).body;
    const repeater = await file.host({ account: acct.key }, '127.0.0.33');
    const [a, b] = await work(repeater, 2);
    const ra = (await honestResult('keysearch', a.spec)) as KeyResult;
    const rb = (await honestResult('keysearch', b.spec)) as KeyResult;
    expect(ra.found.length).toBeGreaterThan(0);
    repeater.send({
      type: 'results',
      items: [
        { leaseId: a.leaseId, cpuS: 0, elapsedS: 0, result: { ...ra, found: [...ra.found, ...ra.found] } },
        { leaseId: b.leaseId, cpuS: 0, elapsedS: 0, result: { ...rb, found: Array.from({ length: 65 }, () => rb.found[0]) } },
      ],
    });
    const ack = await repeater.next('ack');
    expect(ack.items.map((i) => [i.status, i.error?.code])).toEqual([['accepted', undefined], ['rejected', 'BAD_RESULT']]);
    const credit = await repeater.next('credit', 15_000);
    expect(credit).toMatchObject({ leaseId: a.leaseId, valid: false, credit: 0 });

    // An honest host on its own address and account computes both units again; the answer is the key alone.
    const acct2 = (await api(file.coord.url, 'POST', '/api/accounts', { body: { name: 'honest' } })).body;
    const honest = await file.host({ account: acct2.key }, '127.0.0.34');
    const again = await work(honest, 2);
    expect(again.map((u) => u.unit).sort()).toEqual([a.unit, b.unit].sort());
    honest.send({ type: 'results', items: await Promise.all(again.map(async (u) => ({ leaseId: u.leaseId, cpuS: 0, elapsedS: 0, result: await honestResult('keysearch', u.spec) }))) });
    expect((await honest.next('ack')).items.every((i) => i.status === 'accepted')).toBe(true);
    const job = await ended(sub.body.id);
    expect(job.state).toBe('done');
    expect(job.result.found.map((f: { key: string }) => f.key)).toEqual([key]);
  });
});
