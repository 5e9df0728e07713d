/**
 * Flooding: 5,000 WebSocket connect/disconnect cycles (half of them saying hello first) and a host that
 * takes every unit of a job and never returns one. The coordinator must keep serving, reissue the hoarded
 * units once their short deadline passes, let a real worker process finish the job with the right key,
 * and be left with no trace of the churn in its registry, connection counts or heap.
 */
import keysearch from '../../workunits/keysearch/kind.js';
import { randomBytes } from 'node:crypto';
import v8 from 'node:v8';
import vm from 'node:vm';
import WebSocket from 'ws';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { PROTOCOL_VERSION, SOFTWARE } from '../../protocol/index.js';
import { adminToken, startTestCoordinator, type TestCoordinator } from '../helpers/coordinator.js';
import { FakeWorker } from '../helpers/fake-worker.js';
import { startWorkerProcess, waitFor, type Proc } from '../helpers/processes.js';
import { api, keyJobParams } from './support.js';

const CYCLES = 5_000;
const PARALLEL = 16;

v8.setFlagsFromString('--expose-gc');
const gc = vm.runInNewContext('gc') as () => void;
const heapMb = () => {
  gc();
  return process.memoryUsage().heapUsed / 2 ** 20;
};

let coord: TestCoordinator;
const procs: Proc[] = [];
beforeAll(async () => {
  coord = await startTestCoordinator({ sweepMs: 200 });
});
afterAll(async () => {
  await Promise.all(procs.map((p) => p.kill('SIGKILL')));
  await coord?.stop();
});

/** One cycle: connect, maybe say hello and wait for the welcome, disconnect. */
async function cycle(i: number): Promise<void> {
  const ws = new WebSocket(coord.wsUrl);
  await new Promise((res, rej) => { ws.once('open', res); ws.once('error', rej); });
  if (i % 2 === 0) {
    const welcomed = new Promise((res) => ws.once('message', res));
    ws.send(JSON.stringify({
      type: 'hello', protocol: PROTOCOL_VERSION, hostId: `h-flood-${i}-${randomBytes(3).toString('hex')}`, hostSecret: randomBytes(24).toString('hex'),
      software: SOFTWARE, facts: { cores: 1, memoryBytes: 1 << 20, platform: 'linux', arch: 'x64' }, threads: 1, kinds: [{ name: 'keysearch', version: keysearch.version }],
    }));
    await welcomed;
  }
  const closed = new Promise((res) => ws.once('close', res));
  // Alternate a clean close with a dropped TCP connection.
  if (i % 4 < 2) ws.close();
  else ws.terminate();
  await closed;
}

describe('flooding', () => {
  it(`survives ${CYCLES} connect/disconnect cycles and a unit hoarder, and the job still completes`, async () => {
    const { params, key } = keyJobParams({ count: 2 ** 14, unitSize: 2 ** 10, keyOffset: 9_999 });
    const sub = await api(coord.url, 'POST', '/api/jobs', {
      token: adminToken(),
      body: { kind: 'keysearch', params, policy: { minQuorum: 1, targetResults: 1, adaptive: false, delayBoundS: 2 } },
    });
    expect(sub.status).toBe(201);
    const jobId = sub.body.id as string;

    const hoarder = await FakeWorker.connect(coord.wsUrl);
    await hoarder.hello({ threads: 64 });
    const took = await hoarder.request(64);
    expect(took.type === 'work' && took.units.length).toBe(16);

    const baseline = { hosts: coord.services.registry.size };
    let next = 0;
    let warm = 0;
    const started = Date.now();
    await Promise.all(Array.from({ length: PARALLEL }, async () => {
      while (next < CYCLES) {
        const i = next++;
        await cycle(i);
        if (i === 500) warm = heapMb();
      }
    }));
    const floodS = (Date.now() - started) / 1000;

    // Still serving: a fresh host is welcomed and answered at once (with a reissued unit if the hoarder's
    // deadline has passed already, which it hands straight back).
    const probe = await FakeWorker.connect(coord.wsUrl);
    await probe.hello();
    const answer = await probe.request(1);
    if (answer.type === 'work') probe.send({ type: 'release', leaseIds: answer.units.map((u) => u.leaseId), reason: 'probe' });
    else expect(answer.reason).toBe('all_leased');
    probe.close();

    const worker = startWorkerProcess(coord.url, 1);
    procs.push(worker);
    const doc = await waitFor('the job to end', async () => {
      const d = (await api(coord.url, 'GET', `/api/jobs/${jobId}`, { token: adminToken() })).body;
      return ['done', 'failed', 'cancelled'].includes(d.state) ? d : undefined;
    }, 60_000);
    expect(doc.state).toBe('done');
    expect(doc.result.found).toEqual([{ key }]);

    // The hoarder's replicas timed out (NO_REPLY), so it lost trust and earned nothing.
    const hk = coord.services.keys.key('host', { host: hoarder.hostId });
    const [timeouts, credit] = await coord.services.redis.hmget(hk, 'nTimeout', 'credit');
    expect(Number(timeouts)).toBe(16);
    expect(Number(credit ?? 0)).toBe(0);
    hoarder.close();

    await waitFor('the churn to leave no connections behind', async () =>
      coord.services.registry.size <= baseline.hosts + 1 && coord.services.progress.size === 0);
    const end = heapMb();
    console.log(`flood: ${CYCLES} cycles in ${floodS.toFixed(1)} s; heap ${warm.toFixed(1)} -> ${end.toFixed(1)} MiB; registry ${coord.services.registry.size}`);
    expect(end - warm).toBeLessThan(32);
  }, 120_000);
});
