/**
 * A coordinator that cannot start says why in one line and exits 1 (a service manager sees a failed
 * start, not a healthy-looking process); one that is told to stop stops, whatever state its Redis is in.
 * Real processes. The time bounds are generous (the machine is shared): what they catch is a process that
 * hangs, not a slow one.
 */
import { mkdtempSync, rmSync } from 'node:fs';
import { createServer, type Server } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { pingRedis, startRedis } from '../../cli/redis-launcher.js';
import { freePort } from '../helpers/ports.js';
import { run, waitFor, type Proc } from '../helpers/processes.js';
import { startRedisCluster, type RedisCluster } from '../helpers/cluster.js';
import { redisUrl } from '../helpers/redis.js';
import { connectStore } from '../../coordinator/store/redis.js';
import { clusterReplicasOf } from '../../coordinator/store/ready.js';

const procs: Proc[] = [];
const dirs: string[] = [];
afterAll(async () => {
  await Promise.all(procs.map((p) => p.kill('SIGKILL')));
  for (const d of dirs) rmSync(d, { recursive: true, force: true });
});

const tmp = () => {
  const d = mkdtempSync(join(tmpdir(), 'ig-start-'));
  dirs.push(d);
  return d;
};

async function coordinator(args: string[], env: Record<string, string> = {}): Promise<{ code: number | null; ms: number; out: string }> {
  const started = Date.now();
  const p = run(['coordinator', '--data-dir', tmp(), '--log-level', 'warn', ...args], env);
  procs.push(p);
  const code = await new Promise<number | null>((resolve) => {
    if (p.proc.exitCode !== null) return resolve(p.proc.exitCode);
    p.proc.once('exit', (c) => resolve(c));
  });
  return { code, ms: Date.now() - started, out: p.output() };
}

const errorLine = (out: string) => out.split('\n').filter((l) => l.startsWith('error: '));

describe('a coordinator that cannot start', () => {
  it('exits 1 naming the port when it is taken', async () => {
    const port = await freePort();
    const taken: Server = createServer().listen(port, '127.0.0.1');
    try {
      const r = await coordinator(['--port', String(port), '--redis', redisUrl()]);
      expect(r.code).toBe(1);
      expect(errorLine(r.out)).toEqual([`error: cannot listen on 127.0.0.1:${port}: the port is already in use (another coordinator?); choose another with --port`]);
      expect(r.ms).toBeLessThan(30_000);
    } finally {
      taken.close();
    }
  });

  it('exits 1 naming an address that is not one', async () => {
    const r = await coordinator(['--host', '999.1.1.1', '--port', String(await freePort()), '--redis', redisUrl()]);
    expect(r.code).toBe(1);
    expect(errorLine(r.out)).toEqual([expect.stringMatching(/^error: cannot listen on 999\.1\.1\.1:\d+: 999\.1\.1\.1 is not a valid address/)]);
  });

  it('exits 1 on an admin token too short to be safe, before touching Redis', async () => {
    const r = await coordinator(['--port', String(await freePort()), '--redis', 'redis://127.0.0.1:1'], { IDLEGRID_ADMIN_TOKEN: 'short' });
    expect(r.code).toBe(1);
    expect(errorLine(r.out)).toEqual(['error: IDLEGRID_ADMIN_TOKEN must be at least 32 random characters (128 bits); make one with: openssl rand -base64 32']);
  });

  it('exits 1 naming a flag given a value out of range, before touching Redis', async () => {
    const r = await coordinator(['--port', String(await freePort()), '--redis', 'redis://127.0.0.1:1', '--verifier-threads', '0']);
    expect(r.code).toBe(1);
    expect(errorLine(r.out)).toEqual(["error: option '--verifier-threads <n>' argument '0' is invalid. --verifier-threads must be an integer >= 1 and <= 256"]);
  });

  it('exits 1 when Redis does not answer within --redis-timeout, saying what it tried', async () => {
    const r = await coordinator(['--port', String(await freePort()), '--redis', 'redis://127.0.0.1:1', '--redis-timeout', '1']);
    expect(r.code).toBe(1);
    expect(errorLine(r.out)).toEqual([expect.stringMatching(/^error: cannot reach Redis at redis:\/\/127\.0\.0\.1:1 within 1 s \(\d+ failed attempts?; last: connect ECONNREFUSED 127\.0\.0\.1:1\); start redis-server/)]);
    expect(r.ms).toBeLessThan(30_000);
  });
});

describe('npm start (the demo) on a port that is taken', () => {
  it('exits 1 naming the port, and stops the redis-server it had started', async () => {
    const port = await freePort();
    const redisPort = await freePort();
    const taken: Server = createServer().listen(port, '127.0.0.1');
    try {
      const started = Date.now();
      const p = run(['demo', '--port', String(port), '--redis-port', String(redisPort)], { REDIS_URL: '', IDLEGRID_ADMIN_TOKEN: '' });
      procs.push(p);
      const code = await new Promise<number | null>((resolve) => p.proc.once('exit', (c) => resolve(c)));
      expect(code).toBe(1);
      expect(errorLine(p.output())).toEqual([`error: cannot listen on 127.0.0.1:${port}: the port is already in use (another coordinator?); choose another with --port (npm start -- --port N)`]);
      expect(Date.now() - started).toBeLessThan(60_000);
      expect(await pingRedis(`redis://127.0.0.1:${redisPort}`)).toBe(false);
    } finally {
      taken.close();
    }
  }, 90_000);
});

describe('a coordinator told to stop', () => {
  it('stops on SIGTERM after its Redis died, and on SIGTERM while still waiting for Redis', async () => {
    const dir = tmp();
    const redisPort = await freePort();
    const redis = await startRedis({ port: redisPort, dir, appendonly: false });
    const port = await freePort();
    const p = run(['coordinator', '--port', String(port), '--redis', redis.url, '--data-dir', tmp(), '--log-level', 'warn']);
    procs.push(p);
    await waitFor('the coordinator to listen', async () => (await fetch(`http://127.0.0.1:${port}/livez`).catch(() => null))?.ok, 30_000);
    await redis.stop();
    await waitFor('the coordinator to see Redis gone', async () => (await fetch(`http://127.0.0.1:${port}/readyz`)).status === 503, 15_000);
    const started = Date.now();
    const code = await new Promise<number | null>((resolve) => {
      p.proc.once('exit', (c) => resolve(c));
      p.proc.kill('SIGTERM');
    });
    expect(code).toBe(0);
    expect(Date.now() - started).toBeLessThan(10_000);

    const waiting = run(['coordinator', '--port', String(await freePort()), '--redis', 'redis://127.0.0.1:1', '--redis-timeout', '600', '--data-dir', tmp()]);
    procs.push(waiting);
    await waitFor('the coordinator to wait for Redis', async () => waiting.output().includes('connecting to Redis at redis://127.0.0.1:1'), 30_000);
    const t0 = Date.now();
    const code2 = await new Promise<number | null>((resolve) => {
      waiting.proc.once('exit', (c) => resolve(c));
      waiting.proc.kill('SIGTERM');
    });
    expect(code2).toBe(0);
    expect(Date.now() - t0).toBeLessThan(10_000);
  }, 90_000);
});

describe('a coordinator given the wrong form of Redis URL for what is there', () => {
  // Refused at start in words, not left to fail with MOVED on the first job or to retry forever.
  let cluster: RedisCluster | undefined;
  afterAll(async () => cluster?.stop());

  it('exits 1 naming the right form: a cluster node given as redis://, one server given as redis+cluster://', async () => {
    cluster = await startRedisCluster(3);
    const node = `redis://127.0.0.1:${cluster.nodes[0].port}`;
    const r = await coordinator(['--port', String(await freePort()), '--redis', node]);
    expect(r.code).toBe(1);
    expect(errorLine(r.out)).toEqual([expect.stringMatching(new RegExp(`^error: Redis at ${node.replace(/[./]/g, '\\$&')} is a node of a Redis Cluster \\(cluster_enabled:1\\); give --redis the cluster as redis\\+cluster://`))]);
    // The same cluster, rightly named, has no replicas: nothing to wait for by default.
    const client = connectStore(`redis+cluster://127.0.0.1:${cluster.nodes[2].port}`);
    expect(await clusterReplicasOf(client, '{ig}')).toBe(0);
    client.disconnect();
    const single = redisUrl().replace(/^redis:/, 'redis+cluster:');
    const u = await coordinator(['--port', String(await freePort()), '--redis', single, '--redis-timeout', '60']);
    expect(u.code).toBe(1);
    // At once, not after the 60 s it was told it may wait: no retry turns one server into a cluster.
    expect(u.ms).toBeLessThan(30_000);
    expect(errorLine(u.out)).toEqual([expect.stringMatching(/is not a Redis Cluster \(it says: .*cluster support disabled.*\); give --redis one server as redis:\/\/HOST\[:PORT\]/)]);
  });
});
