/**
 * Ending a job withdraws its outstanding replicas and tells the hosts holding them to drop them: when a
 * key is found and validated (unless the search is exhaustive), and when the owner cancels the job.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { WorkUnit } from '../protocol/index.js';
import { encryptBlock } from '../workunits/keysearch/kind.js';
import { adminHeaders, startTestCoordinator, type TestCoordinator } from './helpers/coordinator.js';
import { FakeWorker } from './helpers/fake-worker.js';
import { honestResult } from './helpers/compute.js';
import { waitFor } from './helpers/processes.js';

let coord: TestCoordinator;
beforeAll(async () => {
  coord = await startTestCoordinator();
});
afterAll(async () => coord?.stop());

const iv = '0102030405060708';
const pt = '54686520756e6b6e';
async function submit(key: string, extra: Record<string, unknown> = {}) {
  const res = await fetch(`${coord.url}/api/jobs`, {
    method: 'POST',
    headers: { 'content-type': 'application/json', ...adminHeaders() },
    body: JSON.stringify({ kind: 'keysearch', params: { algorithm: 'rc5-32/12/9', iv, plaintext: pt, ciphertext: encryptBlock(key, iv, pt), start: '000000000000000000', count: 8 * 1024, unitSize: 1024, ...extra }, policy: { minQuorum: 1, targetResults: 1 } }),
  });
  return ((await res.json()) as { id: string }).id;
}

const job = async (id: string) => (await fetch(`${coord.url}/api/jobs/${id}`, { headers: adminHeaders() })).json();

describe('ending a job', () => {
  it('stops at a validated key and tells the other hosts to drop their units', async () => {
    const id = await submit('000000000000000005'); // in unit 0
    const finder = await FakeWorker.connect(coord.wsUrl);
    const other = await FakeWorker.connect(coord.wsUrl);
    await finder.hello();
    await other.hello();
    const [u0] = ((await finder.request(1)) as { units: WorkUnit[] }).units;
    const held = ((await other.request(4)) as { units: WorkUnit[] }).units;
    expect(u0.unit).toBe(0);
    expect(held).toHaveLength(4);
    finder.send({ type: 'results', items: [{ leaseId: u0.leaseId, result: await honestResult('keysearch', u0.spec), cpuS: 0, elapsedS: 0 }] });
    const cancel = await other.next('cancel');
    expect(cancel.leaseIds.sort()).toEqual(held.map((u) => u.leaseId).sort());
    const doc = await waitFor('done', async () => ((await job(id)).state === 'done' ? job(id) : undefined));
    expect(doc.result.found).toEqual([{ key: '000000000000000005' }]);
    // A withdrawn replica's result is refused with a code, and changes nothing.
    other.send({ type: 'results', items: [{ leaseId: held[0].leaseId, result: await honestResult('keysearch', held[0].spec), cpuS: 0, elapsedS: 0 }] });
    expect((await other.next('ack')).items[0]).toMatchObject({ status: 'rejected', error: { code: 'JOB_CANCELLED' } });
    finder.close();
    other.close();
  });

  it('searches on after a key with exhaustive, and cancelling withdraws every unit', async () => {
    const id = await submit('000000000000000005', { exhaustive: true });
    const w = await FakeWorker.connect(coord.wsUrl);
    await w.hello();
    const [u0, u1] = ((await w.request(2)) as { units: WorkUnit[] }).units;
    w.send({ type: 'results', items: [{ leaseId: u0.leaseId, result: await honestResult('keysearch', u0.spec), cpuS: 0, elapsedS: 0 }] });
    await w.next('ack');
    await new Promise((r) => setTimeout(r, 300));
    expect((await job(id)).state).toBe('running');
    const res = await fetch(`${coord.url}/api/jobs/${id}`, { method: 'DELETE', headers: adminHeaders() });
    expect((await res.json()).state).toBe('cancelled');
    expect((await w.next('cancel')).leaseIds).toEqual([u1.leaseId]);
    const again = await fetch(`${coord.url}/api/jobs/${id}`, { method: 'DELETE', headers: adminHeaders() });
    expect(again.status).toBe(409);
    w.close();
  });
});
