/**
 * With --redis-wait-replicas, nothing is acknowledged before a replica holds it: a job's 201 to its
 * submitter and a result's `ack` to its host (a worker forgets a result once it is acknowledged, so an
 * acknowledged report that died with the primary used to leave its unit leased to the host, against its
 * allowance, until the deadline: docs/scaling.md).
 *
 * A real primary and replica on loopback; the replica process is stopped (SIGSTOP) while the job is
 * submitted and the result reported, so the primary has the writes and the replica has not. Neither
 * answer may come until the replica runs again, and once it comes the replica holds what was answered.
 */
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { setTimeout as sleep } from 'node:timers/promises';
import { Redis } from 'ioredis';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startRedis, type LaunchedRedis } from '../../cli/redis-launcher.js';
import type { WorkUnit } from '../../protocol/index.js';
import { replicaField } from '../../coordinator/store/unit-layout.js';
import { honestResult } from '../helpers/compute.js';
import { adminToken, startTestCoordinator, type TestCoordinator } from '../helpers/coordinator.js';
import { FakeWorker } from '../helpers/fake-worker.js';
import { freePort } from '../helpers/ports.js';
import { waitFor } from '../helpers/processes.js';
import { api, keyJobParams } from '../security/support.js';

const dir = mkdtempSync(join(tmpdir(), 'ig-replica-wait-'));
let primary: LaunchedRedis;
let replica: LaunchedRedis;
let onReplica: Redis;
let coord: TestCoordinator;

beforeAll(async () => {
  primary = await startRedis({ port: await freePort(), dir: join(dir, 'p'), appendonly: false });
  replica = await startRedis({ port: await freePort(), dir: join(dir, 'r'), appendonly: false, replicaOf: { host: '127.0.0.1', port: primary.port } });
  onReplica = new Redis(replica.url);
  await waitFor('the replica in sync', async () => (await onReplica.info('replication')).includes('master_link_status:up'), 20_000);
  coord = await startTestCoordinator({ redisUrl: primary.url, redisWaitReplicas: 1, redisWaitTimeoutMs: 30_000 });
}, 60_000);

afterAll(async () => {
  replica?.process.kill('SIGCONT');
  await coord?.stop();
  onReplica?.disconnect();
  await replica?.stop();
  await primary?.stop();
  rmSync(dir, { recursive: true, force: true });
});

/** Whether a promise settles within `ms`. */
const settlesWithin = (p: Promise<unknown>, ms: number) => Promise.race([p.then(() => true, () => true), sleep(ms).then(() => false)]);

describe('--redis-wait-replicas: acknowledged means on a replica', () => {
  it('a job\'s 201 and a result\'s ack wait for the replica, and the replica then holds both', async () => {
    const { params } = keyJobParams({ count: 2 * 4096, unitSize: 4096, keyOffset: 77 });
    const w = await FakeWorker.connect(coord.wsUrl);
    try {
      await w.hello();
      const first = await api(coord.url, 'POST', '/api/jobs', { token: adminToken(), body: { kind: 'keysearch', params } });
      expect(first.status).toBe(201);
      const m = await w.request(1);
      if (m.type !== 'work') throw new Error(`no work: ${m.message}`);
      const [u] = m.units as WorkUnit[];
      const result = await honestResult('keysearch', u.spec);
      const unitKey = coord.services.keys.key('unit', { job: u.jobId, unit: u.unit });
      const reported = replicaField('reportedAt', Number(u.leaseId.split('.').pop()));

      replica.process.kill('SIGSTOP');
      const other = keyJobParams({ count: 4096, unitSize: 4096, keyOffset: 5, start: 0x0102030405f00000n }).params;
      const second = api(coord.url, 'POST', '/api/jobs', { token: adminToken(), body: { kind: 'keysearch', params: other } });
      w.send({ type: 'results', items: [{ leaseId: u.leaseId, result, cpuS: 0, elapsedS: 0 }] });
      const ack = w.next('ack', 60_000);
      await waitFor('the report on the primary', async () => (await coord.services.redis.hexists(unitKey, reported)) === 1, 10_000);
      expect(await settlesWithin(ack, 1_500), 'the ack came while no replica had the report').toBe(false);
      expect(await settlesWithin(second, 10), 'the 201 came while no replica had the job').toBe(false);

      replica.process.kill('SIGCONT');
      expect((await ack).items).toEqual([{ leaseId: u.leaseId, status: 'accepted' }]);
      expect(await onReplica.hexists(unitKey, reported)).toBe(1);
      const job = await second;
      expect(job.status).toBe(201);
      expect(await onReplica.exists(coord.services.keys.key('job', { job: job.body.id as string }))).toBe(1);
    } finally {
      replica.process.kill('SIGCONT');
      w.close();
    }
  }, 90_000);
});
