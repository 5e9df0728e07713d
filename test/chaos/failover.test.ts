/**
 * Redis failover with real processes on loopback, two ways: a primary, a replica and three sentinels
 * (the coordinators given the redis+sentinel:// URL), and a Redis Cluster of three masters with a replica
 * each (redis+cluster://). Short timeouts: a failover takes seconds. Two coordinators, three workers on a
 * key search. The primary (on the cluster, the master holding the deployment's slot) is SIGKILLed in the
 * middle of the job: the coordinators follow the promoted replica without a restart, the job completes
 * with the right answer, every unit is validated once and credit is granted once per valid result; a
 * recording acknowledged before the kill is still served.
 */
import { createHash, randomBytes } from 'node:crypto';
import { afterEach, describe, expect, it } from 'vitest';
import { encryptBlock } from '../../workunits/keysearch/kind.js';
import { OPS_PER_KEY } from '../../workunits/keysearch/params.js';
import { auditJob } from '../helpers/grid.js';
import { uniquePrefix } from '../helpers/redis.js';
import { startSentinelGroup } from '../helpers/sentinel.js';
import { startRedisCluster } from '../helpers/cluster.js';
import type { LaunchedRedis } from '../../cli/redis-launcher.js';
import { jobDoc, startCoordinatorProcess, startWorkerProcess, submitJob, tokenHeaders, waitFor, waitForJobEnd, type Proc } from '../helpers/processes.js';

const procs: Proc[] = [];
let redis: Topology | undefined;
afterEach(async () => {
  await Promise.all(procs.splice(0).map((p) => p.kill('SIGKILL')));
  await redis?.stop();
  redis = undefined;
});

/** A Redis with replicas that fails over on its own, seen the same way whatever its kind. */
interface Topology {
  url: string;
  /** The server that holds the deployment's state now. */
  primary(): Promise<LaunchedRedis>;
  /** Resolves with a URL for the new primary's data once one other than `port` serves it. */
  failedOverFrom(port: number): Promise<string>;
  stop(): Promise<void>;
}

const TOPOLOGIES: Array<[string, (prefix: string) => Promise<Topology>]> = [
  ['through Sentinel', async () => {
    const group = await startSentinelGroup({ replicas: 1, sentinels: 3, downAfterMs: 1_000, failoverTimeoutMs: 3_000 });
    return {
      url: group.url,
      primary: async () => {
        const port = await group.primaryPort();
        return group.servers.find((s) => s.port === port)!;
      },
      failedOverFrom: async (port) => `redis://127.0.0.1:${await group.failedOverFrom(port)}`,
      stop: () => group.stop(),
    };
  }],
  ['on a Redis Cluster', async (prefix) => {
    const cluster = await startRedisCluster(3, 1);
    const slot = `{${prefix}}`;
    return {
      url: cluster.url,
      primary: async () => {
        const port = await cluster.masterOf(slot);
        return cluster.nodes.find((n) => n.port === port)!;
      },
      failedOverFrom: async (port) => {
        await cluster.failedOverFrom(port, slot);
        return cluster.url;
      },
      stop: () => cluster.stop(),
    };
  }],
];

const UNIT = 2 ** 21;

describe.each(TOPOLOGIES)('Redis failover %s', (_name, start) => {
  it('the primary SIGKILLed mid-job: the job completes, each unit validated once, credit granted once', async () => {
    const prefix = uniquePrefix('failover');
    const topo = await start(prefix);
    redis = topo;
    // After the failover no replica is left to acknowledge: each wait then ends at this timeout.
    const extra = ['--redis-wait-timeout', '300'];
    const [a, b] = await Promise.all([startCoordinatorProcess(topo.url, prefix, extra), startCoordinatorProcess(topo.url, prefix, extra)]);
    procs.push(a, b);

    const recording = randomBytes(2 * (1 << 20) + 17);
    const up = await fetch(`${a.url}/api/data`, { method: 'POST', headers: { 'content-type': 'application/octet-stream', ...tokenHeaders() }, body: new Uint8Array(recording) });
    expect(up.status).toBe(201);
    const { sha256 } = (await up.json()) as { sha256: string };

    const units = 40;
    const iv = '0f1e2d3c4b5a6978';
    const plaintext = '54686520756e6b6e';
    const id = await submitJob(b.url, {
      kind: 'keysearch',
      // No key in range: every unit is searched, before, during and after the failover.
      params: { algorithm: 'rc5-32/12/9', iv, plaintext, ciphertext: encryptBlock('ffffffffffffffffff', iv, plaintext), start: '00000000000b000000', count: units * UNIT, unitSize: UNIT, exhaustive: true },
      // A lease lost with the primary, or handed out by a request resent after reconnecting, is held by
      // no host and waits for its deadline (docs/scaling.md): one well inside the wait below lets such
      // units be reissued in time.
      policy: { adaptive: false, delayBoundS: 45 },
    });
    procs.push(startWorkerProcess(a.url, 1, ['--suspend-cpu', '0']), startWorkerProcess(b.url, 1, ['--suspend-cpu', '0']), startWorkerProcess(a.url, 1, ['--suspend-cpu', '0']));
    const before = await waitFor('some progress', async () => {
      const done = (await jobDoc(b.url, id)).progress.unitsDone;
      return done >= 4 && done;
    }, 90_000, 100);

    const primary = await topo.primary();
    primary.process.kill('SIGKILL');
    expect(before).toBeLessThan(units / 2); // the kill comes mid-job: most of it runs on the promoted replica
    const promoted = await topo.failedOverFrom(primary.port);

    const doc = await waitForJobEnd(a.url, id, 150_000).catch(async (err: Error) => {
      // What the coordinators said is what tells a stuck Redis client from slow workers; the job's
      // progress tells units still out from a finished job never assembled.
      const said = [a, b].map((c, i) => `coordinator ${i}:\n${c.output().split('\n').slice(-15).join('\n')}`).join('\n');
      const progress = await jobDoc(b.url, id).then((d) => JSON.stringify({ state: d.state, ...d.progress }), (e: Error) => e.message);
      throw new Error(`${err.message}; job: ${progress}\n${said}`);
    });
    expect(doc.state).toBe('done');
    expect(doc.result.keysSearched).toBe(units * UNIT);
    expect(doc.result.found).toEqual([]);
    const audit = await auditJob(promoted, prefix, id, UNIT * OPS_PER_KEY);
    expect(audit.unitsValid).toBe(units);
    expect(audit.unitsDoneCounter).toBe(units);
    expect(audit.validResults).toBeGreaterThanOrEqual(units);
    expect(audit.hostCredit).toBeCloseTo(audit.expectedCredit, 9);

    // The recording, acknowledged before the kill, is on the promoted replica.
    const got = await fetch(`${b.url}/api/data/${sha256}`, { headers: tokenHeaders() });
    expect(got.status).toBe(200);
    expect(createHash('sha256').update(Buffer.from(await got.arrayBuffer())).digest('hex')).toBe(sha256);
  }, 240_000);
});
