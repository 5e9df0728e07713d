/**
 * Units that cannot be computed. Kinds are deterministic, so when as many hosts as the unit's quorum
 * report the same input error, the unit fails at once with that error's own code; a job whose units all
 * fail ends `failed` with the reason, so nobody waits on a job that cannot progress. A lone error (one host
 * with a problem of its own) only asks for another replica.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { JobDoc, WorkUnit } from '../../protocol/index.js';
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

async function submit(units: number): Promise<string> {
  const iv = '0102030405060708';
  const pt = '54686520756e6b6e';
  const res = await fetch(`${coord.url}/api/jobs`, {
    method: 'POST',
    headers: { 'content-type': 'application/json', ...adminHeaders() },
    body: JSON.stringify({ kind: 'keysearch', params: { algorithm: 'rc5-32/12/9', iv, plaintext: pt, ciphertext: encryptBlock('ff0000000000000000', iv, pt), start: '000000000000000000', count: units * 256, unitSize: 256 }, policy: { minQuorum: 2, targetResults: 2, adaptive: false } }),
  });
  return ((await res.json()) as { id: string }).id;
}
const doc = async (id: string): Promise<JobDoc> => (await fetch(`${coord.url}/api/jobs/${id}`, { headers: adminHeaders() })).json() as Promise<JobDoc>;

async function hosts(n: number): Promise<FakeWorker[]> {
  const ws = await Promise.all(Array.from({ length: n }, () => FakeWorker.connect(coord.wsUrl)));
  for (const w of ws) await w.hello();
  return ws;
}
const take = async (w: FakeWorker, n: number) => {
  const r = await w.request(n);
  return r.type === 'work' ? r.units : [];
};
const fail = (w: FakeWorker, units: WorkUnit[], code: string, message: string) =>
  w.send({ type: 'failures', items: units.map((u) => ({ leaseId: u.leaseId, code, message })) });

describe('failed units', () => {
  it('the same input error from the quorum of hosts fails the unit at once; a job whose units all fail ends failed with that code', async () => {
    const id = await submit(3);
    const [a, b] = await hosts(2);
    const ua = await take(a, 3);
    const ub = await take(b, 3);
    expect(ua).toHaveLength(3);
    expect(ub).toHaveLength(3);
    fail(a, ua, 'SAH_DATA', 'data holds 142863 bytes, 262144 needed');
    await a.next('ack');
    // One host's error is not proof: the units stay open.
    const mid = await doc(id);
    expect(mid.progress.unitsFailed).toBe(0);
    expect(mid.state).toBe('running');
    fail(b, ub, 'SAH_DATA', 'data holds 142863 bytes, 262144 needed');
    await b.next('ack');
    const ended = await waitFor('the job to end', async () => {
      const d = await doc(id);
      return d.state === 'failed' ? d : undefined;
    }, 15_000);
    expect(ended.progress.unitsFailed).toBe(3);
    expect(ended.failedUnits).toEqual([0, 1, 2].map((unit) => ({ unit, code: 'SAH_DATA', reason: 'data holds 142863 bytes, 262144 needed' })));
    expect(ended.error).toEqual({ code: 'SAH_DATA', message: 'all 3 units failed; every one: data holds 142863 bytes, 262144 needed' });
    for (const w of [a, b]) w.close();
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
    const done = await waitFor('the job to end', async () => {
      const j = await doc(id);
      return j.state === 'done' ? j : undefined;
    }, 15_000);
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
