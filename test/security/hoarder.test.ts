/**
 * The hoarder, as measured in issue 14: a hand-written client says hello claiming 4096 threads, asks for
 * all the units it can get of a 3,000-unit job and goes silent. Before: it was granted 16,384 leases,
 * took 2,688 units and held them to the 300 s deadline, so an honest job of 1.5 s took 302 s. Now it gets
 * a new host's allowance (32 units), which are handed to others a few heartbeat periods after it went
 * quiet (released, not timed out). One honest `idlegrid worker` process runs the same job alone and then
 * beside the hoarder; the second run must take a small multiple of the first, measured in the same test.
 * The jobs here have 1,000 units (a new host's allowance is still a thirtieth of them), so that the two
 * runs take half a minute rather than a minute and a half.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { adminToken, startTestCoordinator, type TestCoordinator } from '../helpers/coordinator.js';
import { FakeWorker } from '../helpers/fake-worker.js';
import { startWorkerProcess, waitFor, type Proc } from '../helpers/processes.js';
import { api, keyJobParams } from './support.js';

const UNITS = 1_000;
const HEARTBEAT_MS = 500;

let coord: TestCoordinator;
const procs: Proc[] = [];
beforeAll(async () => {
  coord = await startTestCoordinator({ heartbeatMs: HEARTBEAT_MS, sweepMs: 100 });
});
afterAll(async () => {
  await Promise.all(procs.map((p) => p.kill('SIGKILL')));
  await coord?.stop();
});

/** A job of one-key units that must all be searched (the key is in the last one). */
async function submit(n: number): Promise<{ id: string; key: string }> {
  const { params, key } = keyJobParams({ count: UNITS, unitSize: 1, keyOffset: UNITS - 1, start: (BigInt(Date.now()) << 20n) + BigInt(n) * 2n ** 16n });
  const sub = await api(coord.url, 'POST', '/api/jobs', {
    token: adminToken(),
    body: { kind: 'keysearch', params: { ...params, exhaustive: true }, policy: { minQuorum: 1, targetResults: 1, adaptive: false } },
  });
  expect(sub.status).toBe(201);
  return { id: sub.body.id, key };
}

/** Seconds from starting an honest worker to the job's end, and the job's answer. */
async function honestRun(id: string): Promise<{ seconds: number; doc: any }> {
  const started = Date.now();
  const worker = startWorkerProcess(coord.url, 2);
  procs.push(worker);
  const doc = await waitFor('the job to end', async () => {
    const d = (await api(coord.url, 'GET', `/api/jobs/${id}`, { token: adminToken() })).body;
    return ['done', 'failed', 'cancelled'].includes(d.state) ? d : undefined;
  }, 200_000, 50);
  const seconds = (Date.now() - started) / 1000;
  await worker.kill('SIGKILL');
  return { seconds, doc };
}

describe('a silent hoarder', () => {
  it('gets a new host\'s allowance, loses it a few heartbeats after going quiet, and barely slows an honest job', async () => {
    const alone = await submit(0);
    const first = await honestRun(alone.id);
    expect(first.doc.state).toBe('done');
    expect(first.doc.result.found).toEqual([{ key: alone.key }]);

    const contested = await submit(1);
    const hoarder = await FakeWorker.connect(coord.wsUrl);
    await hoarder.hello({ threads: 4096 });
    let took = 0;
    for (;;) {
      const r = await hoarder.request(64);
      if (r.type !== 'work') {
        expect(r.reason).toBe('quota');
        break;
      }
      took += r.units.length;
    }
    expect(took).toBe(32);
    // From here the hoarder says nothing.
    const second = await honestRun(contested.id);
    expect(second.doc.state).toBe('done');
    expect(second.doc.result.found).toEqual([{ key: contested.key }]);
    const ratio = second.seconds / first.seconds;
    console.log(`hoarder: ${UNITS} units alone in ${first.seconds.toFixed(1)} s; beside a silent hoarder holding ${took} in ${second.seconds.toFixed(1)} s (x${ratio.toFixed(2)}; heartbeat ${HEARTBEAT_MS} ms)`);
    expect(ratio).toBeLessThan(5);

    // Released, not timed out: no deadline passed and no trust lost for it, only the units.
    const [timeouts, credit] = await coord.services.redis.hmget(coord.services.keys.key('host', { host: hoarder.hostId }), 'nTimeout', 'credit');
    expect(Number(timeouts ?? 0)).toBe(0);
    expect(Number(credit ?? 0)).toBe(0);
    hoarder.close();
  }, 450_000);
});
