/**
 * No single point of failure, with real processes killed for real: a coordinator SIGKILLed mid-job,
 * redis-server SIGKILLed and restarted from its append-only file, a worker SIGKILLed mid-unit. Each time
 * the job completes, every unit is validated once and credit is granted once per valid result.
 */
import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { startRedis, type LaunchedRedis } from '../../cli/redis-launcher.js';
import { encryptBlock } from '../../workunits/keysearch/kind.js';
import { OPS_PER_KEY } from '../../workunits/keysearch/params.js';
import { auditJob } from '../helpers/grid.js';
import { freePort } from '../helpers/ports.js';
import { keysOn, onCluster, redisUrl, testRedis, uniquePrefix } from '../helpers/redis.js';
import { startCoordinatorProcess, startWorkerProcess, submitJob, waitFor, waitForJobEnd, jobDoc, type Proc } from '../helpers/processes.js';

const procs: Proc[] = [];
const redises: LaunchedRedis[] = [];
afterEach(async () => {
  await Promise.all(procs.splice(0).map((p) => p.kill('SIGKILL')));
  await Promise.all(redises.splice(0).map((r) => r.stop()));
});

const UNIT = 2 ** 20;
function keyJob(units: number, policy: Record<string, unknown> = {}) {
  const iv = '0f1e2d3c4b5a6978';
  const plaintext = '54686520756e6b6e';
  return {
    kind: 'keysearch',
    // No key in range: every unit must be searched, so the whole job runs through the crash.
    params: { algorithm: 'rc5-32/12/9', iv, plaintext, ciphertext: encryptBlock('ffffffffffffffffff', iv, plaintext), start: '00000000000a000000', count: units * UNIT, unitSize: UNIT, exhaustive: true },
    policy: { adaptive: false, ...policy },
  };
}

async function expectCompleteAndAudited(url: string, redis: string, prefix: string, id: string, units: number) {
  const doc = await waitForJobEnd(url, id, 150_000);
  expect(doc.state).toBe('done');
  expect(doc.result.keysSearched).toBe(units * UNIT);
  const audit = await auditJob(redis, prefix, id, UNIT * OPS_PER_KEY);
  expect(audit.unitsValid).toBe(units);
  expect(audit.unitsDoneCounter).toBe(units);
  expect(audit.hostCredit).toBeCloseTo(audit.expectedCredit, 9);
}

describe('crashes', () => {
  it('(a) two coordinators, one SIGKILLed mid-job: the job completes', async () => {
    const prefix = uniquePrefix('chaos-a');
    const a = await startCoordinatorProcess(redisUrl(), prefix);
    // B audits with two threads: it takes over what A was auditing when A dies.
    const b = await startCoordinatorProcess(redisUrl(), prefix, ['--verifier-threads', '2']);
    procs.push(a, b);
    // The flag reaches the verifier's thread pool.
    expect(await (await fetch(`${b.url}/metrics`)).text()).toMatch(/^idlegrid_verifier_threads 2$/m);
    const w = [startWorkerProcess(a.url, 1), startWorkerProcess(b.url, 1), startWorkerProcess(a.url, 1)];
    procs.push(...w);
    const units = 24;
    const id = await submitJob(b.url, keyJob(units));
    await waitFor('some progress', async () => (await jobDoc(b.url, id)).progress.unitsDone >= 3, 60_000);
    await a.kill('SIGKILL');
    // A supervisor (or the load balancer's other backend) brings a coordinator back on A's address.
    const a2 = await startCoordinatorProcess(redisUrl(), prefix, [], a.port);
    procs.push(a2);
    await expectCompleteAndAudited(b.url, redisUrl(), prefix, id, units);
  }, 240_000);

  // About one server's restart from its own file: the cluster pass (IDLEGRID_TEST_REDIS=cluster) has no
  // single server to kill, and this case starts its own anyway.
  it.skipIf(onCluster())('(b) redis-server SIGKILLed and restarted from its append-only file mid-job: the job completes', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'ig-chaos-redis-'));
    const port = await freePort();
    redises.push(await startRedis({ port, dir }));
    const url = redises[0].url;
    const prefix = uniquePrefix('chaos-b');
    const c = await startCoordinatorProcess(url, prefix);
    procs.push(c);
    procs.push(startWorkerProcess(c.url, 1), startWorkerProcess(c.url, 1));
    const units = 16;
    const id = await submitJob(c.url, keyJob(units));
    await waitFor('some progress', async () => (await jobDoc(c.url, id)).progress.unitsDone >= 3, 60_000);
    await new Promise((r) => setTimeout(r, 1_500)); // let the append-only file catch up (fsync every second)
    redises[0].process.kill('SIGKILL');
    await new Promise((r) => redises[0].process.once('exit', r));
    await new Promise((r) => setTimeout(r, 1_000));
    redises[0] = await startRedis({ port, dir });
    await expectCompleteAndAudited(c.url, url, prefix, id, units);
  }, 240_000);

  it('(c) a worker SIGKILLed mid-unit: its replicas are reissued after the deadline and the job completes', async () => {
    const prefix = uniquePrefix('chaos-c');
    const c = await startCoordinatorProcess(redisUrl(), prefix);
    procs.push(c);
    const victim = startWorkerProcess(c.url, 1);
    procs.push(victim);
    const units = 8;
    const id = await submitJob(c.url, keyJob(units, { delayBoundS: 4 }));
    await waitFor('the victim to hold units', async () => victim.output().includes('"state":"running"'), 30_000);
    await victim.kill('SIGKILL');
    procs.push(startWorkerProcess(c.url, 1), startWorkerProcess(c.url, 1));
    await expectCompleteAndAudited(c.url, redisUrl(), prefix, id, units);
    const redis = testRedis();
    expect(Number(await redis.hget(keysOn(redis, prefix).key('stats'), 'results_timeout'))).toBeGreaterThanOrEqual(1);
    redis.disconnect();
  }, 240_000);
});
