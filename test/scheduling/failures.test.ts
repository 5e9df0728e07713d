/**
 * Units that cannot be computed. Kinds are deterministic, so when two hosts (and at least the unit's
 * quorum) report the same code that the unit's kind raises for a bad input, the unit fails at once with
 * that code; a job whose units all fail ends `failed` with the reason, so nobody waits on a job that cannot
 * progress. A lone error (one host with a problem of its own, or lying) only asks for another replica, and
 * a code the kind never raises counts as an error like any other.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { JobDoc, WorkUnit } from '../../protocol/index.js';
import fftscan from '../../workunits/fftscan/kind.js';
import { encryptBlock } from '../../workunits/keysearch/kind.js';
import { adminHeaders, startTestCoordinator, type TestCoordinator } from '../helpers/coordinator.js';
import { FakeWorker } from '../helpers/fake-worker.js';
import { honestResult } from '../helpers/compute.js';
import { waitFor } from '../helpers/processes.js';

let coord: TestCoordinator;
beforeAll(async () => {
  coord = await startTestCoordinator();
});
afterAll(async () => coord?.stop());

/** A key search of `units` units of 256 keys from 0 for `key` (by default one outside the range): 2 replicas unless `policy` says otherwise. */
async function submit(units: number, policy: Record<string, unknown> = { minQuorum: 2, targetResults: 2, adaptive: false }, key = 'ff0000000000000000'): Promise<string> {
  const iv = '0102030405060708';
  const pt = '54686520756e6b6e';
  const res = await fetch(`${coord.url}/api/jobs`, {
    method: 'POST',
    headers: { 'content-type': 'application/json', ...adminHeaders() },
    body: JSON.stringify({ kind: 'keysearch', params: { algorithm: 'rc5-32/12/9', iv, plaintext: pt, ciphertext: encryptBlock(key, iv, pt), start: '000000000000000000', count: units * 256, unitSize: 256 }, policy }),
  });
  return ((await res.json()) as { id: string }).id;
}
const doc = async (id: string): Promise<JobDoc> => (await fetch(`${coord.url}/api/jobs/${id}`, { headers: adminHeaders() })).json() as Promise<JobDoc>;
/** The job's document once it has ended in `state`. */
const endsAs = (id: string, state: JobDoc['state']): Promise<JobDoc> =>
  waitFor(`the job to end ${state}`, async () => {
    const d = await doc(id);
    return d.state === state ? d : undefined;
  }, 15_000);

let address = 0;
async function hosts(n: number, hello: Parameters<FakeWorker['hello']>[0] = {}): Promise<FakeWorker[]> {
  // Each on a loopback address and an account of its own, as volunteers' different machines (or colluders that
  // made themselves look so).
  const ws = await Promise.all(Array.from({ length: n }, () => FakeWorker.connect(coord.wsUrl, { localAddress: `127.0.3.${++address}` })));
  for (const w of ws) {
    const res = await fetch(`${coord.url}/api/accounts`, { method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify({ name: `failures ${address}-${w.hostId}`.slice(0, 40) }) });
    expect(res.status).toBe(201);
    await w.hello({ ...hello, account: ((await res.json()) as { key: string }).key });
  }
  return ws;
}
const take = async (w: FakeWorker, n: number) => {
  const r = await w.request(n);
  return r.type === 'work' ? r.units : [];
};
const fail = (w: FakeWorker, units: WorkUnit[], code: string, message: string) =>
  w.send({ type: 'failures', items: units.map((u) => ({ leaseId: u.leaseId, code, message })) });

describe('failed units', () => {
  it('the same input error from two hosts fails the unit at once; a job whose units all fail ends failed with that code', async () => {
    // A signal scan of two units under the default policy (a quorum of 1), from synthetic samples (no upload).
    const res = await fetch(`${coord.url}/api/jobs`, {
      method: 'POST',
      headers: { 'content-type': 'application/json', ...adminHeaders() },
      body: JSON.stringify({ kind: 'fftscan', params: { source: { format: 'synthetic', seed: 1, sampleRateHz: 8192, centreFrequencyHz: 1.42e9, sampleCount: 1 << 16, signals: [] }, fftSize: 1024, maxDrift: 4, opsPerUnit: 1e8, unitSamples: 1 << 15 } }),
    });
    expect(res.status).toBe(201);
    const { id } = (await res.json()) as { id: string };
    const scan = { kinds: [{ name: fftscan.name, version: fftscan.version }] };
    const [a, b] = await hosts(2, scan);
    const ua = await take(a, 2);
    expect(ua).toHaveLength(2);
    fail(a, ua, 'SAH_DATA', 'data holds 142863 bytes, 262144 needed');
    await a.next('ack');
    // One host's error is not proof, even where one result would be: the units are handed out again.
    const mid = await doc(id);
    expect(mid.progress.unitsFailed).toBe(0);
    expect(mid.state).toBe('running');
    const ub = await take(b, 2);
    expect(ub.map((u) => u.unit).sort()).toEqual(ua.map((u) => u.unit).sort());
    fail(b, ub, 'SAH_DATA', 'data holds 142863 bytes, 262144 needed');
    await b.next('ack');
    const ended = await endsAs(id, 'failed');
    expect(ended.progress.unitsFailed).toBe(2);
    expect(ended.failedUnits).toEqual([0, 1].map((unit) => ({ unit, code: 'SAH_DATA', reason: 'data holds 142863 bytes, 262144 needed' })));
    expect(ended.error).toEqual({ code: 'SAH_DATA', message: 'all 2 units failed; every one: data holds 142863 bytes, 262144 needed' });
    for (const w of [a, b]) w.close();
  });

  it('a recording\'s error named for a key search unit, even by two hosts, is an error like any other: the search goes on and finds its key', async () => {
    const id = await submit(1, {}, '0000000000000000a7');
    const [a, b, c] = await hosts(3);
    for (const w of [a, b]) {
      const [u] = await take(w, 1);
      fail(w, [u], 'SAH_DATA', 'data holds 142863 bytes, 262144 needed');
      await w.next('ack');
    }
    expect((await doc(id)).progress.unitsFailed).toBe(0);
    const [x] = await take(c, 1);
    c.send({ type: 'results', items: [{ leaseId: x.leaseId, result: await honestResult('keysearch', x.spec), cpuS: 0, elapsedS: 0 }] });
    await c.next('ack');
    const done = await endsAs(id, 'done');
    expect(done.failedUnits).toEqual([]);
    expect((done.result as { found: Array<{ key: string }> }).found.map((f) => f.key)).toEqual(['0000000000000000a7']);
    for (const w of [a, b, c]) w.close();
  });

  it('a lone error, or errors that differ, ask for another replica; honest results still validate the unit', async () => {
    const id = await submit(1);
    const [a, b, c, d] = await hosts(4);
    const [u] = await take(a, 1);
    fail(a, [u], 'UNIT_ERROR', 'out of memory');
    await a.next('ack');
    const [ub] = await take(b, 1);
    fail(b, [ub], 'FFTSCAN_INPUT', 'something else');
    await b.next('ack');
    expect((await doc(id)).progress.unitsFailed).toBe(0);
    for (const w of [c, d]) {
      const [x] = await take(w, 1);
      expect(x.unit).toBe(u.unit);
      w.send({ type: 'results', items: [{ leaseId: x.leaseId, result: await honestResult('keysearch', x.spec), cpuS: 0, elapsedS: 0 }] });
      await w.next('ack');
    }
    const done = await endsAs(id, 'done');
    expect(done.progress.unitsDone).toBe(1);
    expect(done.failedUnits).toEqual([]);
    for (const w of [a, b, c, d]) w.close();
  });

  it('a code nobody registered is refused as a bad message, never stored', async () => {
    await submit(1);
    const [a] = await hosts(1);
    const [u] = await take(a, 1);
    a.send({ type: 'failures', items: [{ leaseId: u.leaseId, code: 'MADE_UP', message: 'x' }] });
    const err = await a.next('error');
    expect(err.code).toBe('BAD_MESSAGE');
    expect(err.message).toMatch(/items\.0\.code/);
    a.close();
  });
});
