/**
 * Never lose work, with real processes: a worker killed with SIGKILL resumes its unit from the
 * checkpoint; a result finished while the coordinator is down is kept on disk and delivered to the next
 * coordinator, and so is a failure; Ctrl-C checkpoints the running unit, hands back the unstarted ones
 * and exits.
 */
import { existsSync, mkdtempSync, readdirSync, readFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Redis } from 'ioredis';
import { afterAll, describe, expect, it } from 'vitest';
import { demoJobKey, makeDemoJob } from '../../workunits/keysearch/kind.js';
import { OPS_PER_KEY } from '../../workunits/keysearch/params.js';
import { sahSource } from '../../workunits/fftscan/sah.js';
import { parseLeaseId } from '../../protocol/index.js';
import { OUTCOME, REPLICA_STATE, UNIT, UNIT_STATE } from '../../coordinator/store/unit-layout.js';
import { readFixture } from '../helpers/fixtures.js';
import { startHoldProxy } from '../helpers/hold-proxy.js';
import { redisUrl, uniquePrefix } from '../helpers/redis.js';
import { readUnitHash } from '../helpers/unit-hash.js';
import { run, startCoordinatorProcess, startWorkerProcess, submitJob, tokenHeaders, waitFor, waitForJobEnd, type Proc } from '../helpers/processes.js';

const procs: Proc[] = [];
afterAll(async () => {
  await Promise.all(procs.map((p) => p.kill('SIGKILL')));
});

/** The JSON log lines of a worker started with --json. */
const logLines = (p: Proc): Array<Record<string, any>> =>
  p.output().split('\n').filter((l) => l.startsWith('{')).map((l) => JSON.parse(l) as Record<string, any>);

/** A checkpoint on disk with keys done, as the keysearch kernel writes it ({ done, ... }). */
function checkpointWithWork(configDir: string): { leaseId: string; done: number } | undefined {
  const dir = join(configDir, 'checkpoints');
  if (!existsSync(dir)) return undefined;
  for (const f of readdirSync(dir).filter((n) => n.endsWith('.json'))) {
    const cp = JSON.parse(readFileSync(join(dir, f), 'utf8')) as { done: number };
    if (cp.done > 0) return { leaseId: f.slice(0, -5), done: cp.done };
  }
  return undefined;
}

async function keyJob(url: string, seedByte: number, count: number, unitSize: number) {
  const seed = new Uint8Array(16).fill(seedByte);
  const params = makeDemoJob(seed, { count, unitSize });
  const id = await submitJob(url, { kind: 'keysearch', params, policy: { minQuorum: 1, targetResults: 1 } });
  return { id, key: demoJobKey(seed, { count, unitSize }) };
}

describe('worker never loses work', () => {
  it('killed with SIGKILL and started again, resumes the unit from its checkpoint and the result validates', async () => {
    const prefix = uniquePrefix('wkill');
    const coord = await startCoordinatorProcess(redisUrl(), prefix);
    procs.push(coord);
    const job = await keyJob(coord.url, 41, 2 ** 26, 2 ** 26);
    const first = startWorkerProcess(coord.url, 1, ['--checkpoint-interval', '1']);
    procs.push(first);
    const cp = await waitFor('a checkpoint with keys done', async () => checkpointWithWork(first.configDir), 60_000);
    await first.kill('SIGKILL');

    const again = run(['worker', '--coordinator', coord.url, '--threads', '1', '--config-dir', first.configDir, '--json', '--checkpoint-interval', '1']);
    procs.push(again);
    const done = await waitForJobEnd(coord.url, job.id, 90_000);
    expect(done.state).toBe('done');
    expect(done.result.found).toEqual([{ key: job.key }]);

    const resumed = logLines(again).find((l) => typeof l.msg === 'string' && l.msg.startsWith('resumed '));
    expect(resumed, again.output()).toBeDefined();
    expect(resumed!.leaseId).toBe(cp.leaseId);
    expect(resumed!.opsDone).toBeGreaterThanOrEqual(cp.done * OPS_PER_KEY);

    const redis = new Redis(redisUrl());
    const unit = await readUnitHash(redis, prefix, job.id, 0);
    redis.disconnect();
    expect(unit.state).toBe(UNIT_STATE.valid);
    const hostId = (JSON.parse(readFileSync(join(first.configDir, 'host.json'), 'utf8')) as { hostId: string }).hostId;
    expect(unit.replicas[0].host).toBe(hostId);
    expect(unit.replicas[0].outcome).toBe(OUTCOME.valid);
    expect(readdirSync(join(first.configDir, 'checkpoints')).filter((f) => f.endsWith('.json'))).toEqual([]);
  }, 150_000);

  it('a result finished while the coordinator is down waits on disk and reaches the next coordinator', async () => {
    const prefix = uniquePrefix('wdown');
    const coord = await startCoordinatorProcess(redisUrl(), prefix);
    procs.push(coord);
    const job = await keyJob(coord.url, 42, 2 ** 25, 2 ** 25);
    const worker = startWorkerProcess(coord.url, 1, ['--checkpoint-interval', '1']);
    procs.push(worker);
    await waitFor('the unit running', async () => checkpointWithWork(worker.configDir), 60_000);
    await coord.kill('SIGKILL');

    const outbox = join(worker.configDir, 'outbox');
    await waitFor('the result kept in the outbox', async () => readdirSync(outbox).some((f) => f.endsWith('.json')), 60_000);
    await waitFor('the worker saying the coordinator is down', async () => logLines(worker).some((l) => /^waiting for work: coordinator down/.test(l.state ?? '')), 10_000);

    const again = await startCoordinatorProcess(redisUrl(), prefix, [], coord.port);

    procs.push(again);
    const done = await waitForJobEnd(again.url, job.id, 90_000);
    expect(done.state).toBe('done');
    expect(done.result.found).toEqual([{ key: job.key }]);
    await waitFor('the outbox emptied by the acknowledgement', async () => !readdirSync(outbox).some((f) => f.endsWith('.json')), 10_000);
    expect(logLines(worker).some((l) => l.msg === 'delivering 1 result(s) kept while the coordinator was unreachable')).toBe(true);
  }, 150_000);

  it('a unit that fails while the coordinator is down: the failure waits on disk and the next coordinator counts it', async () => {
    const prefix = uniquePrefix('wfail');
    const dataDir = mkdtempSync(join(tmpdir(), 'ig-data-'));
    const coord = await startCoordinatorProcess(redisUrl(), prefix, ['--data-dir', dataDir]);
    procs.push(coord);
    const bytes = new Uint8Array(readFixture('seti_reference_work_unit.sah'));
    const up = await fetch(`${coord.url}/api/data`, { method: 'POST', headers: { 'content-type': 'application/octet-stream', ...tokenHeaders() }, body: bytes });
    const { sha256 } = (await up.json()) as { sha256: string };
    const jobId = await submitJob(coord.url, {
      kind: 'fftscan',
      params: { source: sahSource(bytes, sha256), fftSize: 131072, maxDrift: 5.3, chirpResolution: 0.333 * 27 },
      policy: { minQuorum: 1, targetResults: 1 },
    });
    // The worker reaches the coordinator through a proxy that holds its first input download: the
    // coordinator is killed while it is held, then the download ends with one byte changed.
    const proxy = await startHoldProxy(coord.port);
    const hold = proxy.holdNextDownload();
    const worker = startWorkerProcess(proxy.url, 1);
    procs.push(worker);
    try {
      await hold.held;
      await coord.kill('SIGKILL');
      await waitFor('the worker warning that the coordinator is down', async () => logLines(worker).some((l) => l.level === 40 && /unreachable/.test(l.msg)), 30_000);
      hold.release((b) => Buffer.concat([Buffer.from([b[0] ^ 0xff]), b.subarray(1)]));

      const outbox = join(worker.configDir, 'outbox');
      const kept = await waitFor('the failure kept in the outbox', async () => readdirSync(outbox)
        .map((f) => JSON.parse(readFileSync(join(outbox, f), 'utf8')) as { type: string; leaseId: string; code: string; message: string })
        .find((e) => e.type === 'failure'), 30_000);
      expect(kept.code).toBe('INPUT_HASH');
      expect(kept.message).toMatch(/^input slice hash [0-9a-f]{64} does not match [0-9a-f]{64}/);
      // The other units wait for their input instead of failing: the coordinator's absence is not theirs.
      expect(readdirSync(outbox)).toHaveLength(1);

      const again = await startCoordinatorProcess(redisUrl(), prefix, ['--data-dir', dataDir], coord.port);
      procs.push(again);
      await waitFor('the failure acknowledged', async () => !existsSync(join(outbox, `${kept.leaseId}.json`)), 30_000);
      expect(logLines(worker).some((l) => l.msg === 'delivering 1 failure report(s) kept while the coordinator was unreachable')).toBe(true);
      const { unit, replica } = parseLeaseId(kept.leaseId);
      const redis = new Redis(redisUrl());
      const u = await readUnitHash(redis, prefix, jobId, unit);
      redis.disconnect();
      expect(u.replicas[replica].state).toBe(REPLICA_STATE.error);
      expect(u.raw[UNIT.errors]).toBe('1');
      expect(JSON.parse(u.replicas[replica].raw!)).toEqual({ code: 'INPUT_HASH', message: kept.message });
    } finally {
      await proxy.close();
    }
  }, 120_000);

  it('Ctrl-C: checkpoints the running unit, hands the unstarted ones back to the coordinator and exits 0', async () => {
    const prefix = uniquePrefix('wint');
    const coord = await startCoordinatorProcess(redisUrl(), prefix);
    procs.push(coord);
    const job = await keyJob(coord.url, 43, 4 * 2 ** 30, 2 ** 30);
    const worker = startWorkerProcess(coord.url, 1, ['--checkpoint-interval', '1']);
    procs.push(worker);
    // Keys done before the signal (a loaded machine may give a nice-19 thread no slice for a while).
    await waitFor('the unit running with keys done', async () => checkpointWithWork(worker.configDir), 60_000);
    const redis = new Redis(redisUrl());
    const held = await waitFor('three leases held', async () => {
      const ids = await redis.keys(`${prefix}:host:*:leases`);
      const members = ids.length ? await redis.smembers(ids[0]) : [];
      return members.length === 3 ? members : undefined;
    });
    worker.proc.kill('SIGINT');
    const code = await new Promise<number | null>((r) => worker.proc.once('exit', (c) => r(c)));
    expect(code).toBe(0);
    expect(worker.output()).toContain('SIGINT: stopping at the next slice and saving checkpoints');

    const cp = checkpointWithWork(worker.configDir);
    expect(cp).toBeDefined();
    expect(held).toContain(cp!.leaseId);
    // The unstarted units were released at once (replica state X); the checkpointed one is kept for a restart.
    for (const lease of held) {
      const { unit, replica } = parseLeaseId(lease);
      const { state } = (await readUnitHash(redis, prefix, job.id, unit)).replicas[replica];
      expect(state, lease).toBe(lease === cp!.leaseId ? REPLICA_STATE.leased : REPLICA_STATE.released);
    }
    redis.disconnect();
  }, 120_000);
});
