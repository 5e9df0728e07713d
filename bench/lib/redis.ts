/**
 * A Redis of the benchmark's own: redis-server on a free loopback port (cli/redis-launcher.ts, the code
 * `npm start` uses), in memory only (no append-only file: an AOF rewrite forking mid-run would be noise),
 * removed afterwards. Plus the few INFO fields the benchmarks read.
 */
import { spawnSync } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Redis } from 'ioredis';
import { ensureRedisBinary, startRedis } from '../../cli/redis-launcher.js';
import { freePort } from '../../test/helpers/ports.js';
import { startRedisCluster } from '../../test/helpers/cluster.js';
import { startSentinelGroup, type SentinelGroup, type SentinelGroupOptions } from '../../test/helpers/sentinel.js';
import { connectStore } from '../../coordinator/store/redis.js';
import { adopt } from './procs.js';

export interface BenchRedis {
  url: string;
  pid: number;
  /** A client of the store (a cluster client for a cluster). */
  client: Redis;
  /** For a cluster, one plain client per master, for what a node reports of itself (INFO). */
  nodes?: Redis[];
  stop(): Promise<void>;
}

export async function startBenchRedis(): Promise<BenchRedis> {
  const dir = mkdtempSync(join(tmpdir(), 'idlegrid-bench-redis-'));
  const launched = await startRedis({ port: await freePort(), dir, appendonly: false });
  // Ended with the benchmark's other children if the run dies before stop().
  adopt(launched.process);
  const client = new Redis(launched.url, { maxRetriesPerRequest: 3 });
  client.on('error', () => {});
  return {
    url: launched.url,
    pid: launched.process.pid!,
    client,
    async stop() {
      client.disconnect();
      await launched.stop();
      rmSync(dir, { recursive: true, force: true });
    },
  };
}

/** INFO <section> as a map of field -> value. */
export async function info(client: Redis, section: string): Promise<Record<string, string>> {
  const text = await client.info(section);
  const out: Record<string, string> = {};
  for (const line of text.split('\r\n')) {
    const i = line.indexOf(':');
    if (i > 0 && !line.startsWith('#')) out[line.slice(0, i)] = line.slice(i + 1);
  }
  return out;
}

/** used_memory in bytes, read a few times and taking the least (client buffers come and go). */
export async function usedMemory(client: Redis): Promise<number> {
  let least = Infinity;
  for (let i = 0; i < 3; i++) least = Math.min(least, Number((await info(client, 'memory')).used_memory));
  return least;
}

/**
 * Bytes the keys matching `pattern` take (MEMORY USAGE ... SAMPLES 0, summed over a SCAN). Unlike
 * used_memory it does not move with client buffers, so small differences can be measured.
 */
export async function keyspaceBytes(client: Redis, pattern: string): Promise<{ bytes: number; keys: number }> {
  let cursor = '0';
  let bytes = 0;
  let keys = 0;
  do {
    const [next, batch] = await client.scan(cursor, 'MATCH', pattern, 'COUNT', 1000);
    cursor = next;
    if (!batch.length) continue;
    const p = client.pipeline();
    for (const k of batch) p.memory('USAGE', k, 'SAMPLES', '0');
    for (const [err, n] of (await p.exec()) ?? []) {
      if (!err && n !== null) {
        bytes += Number(n);
        keys++;
      }
    }
  } while (cursor !== '0');
  return { bytes, keys };
}

/**
 * A Redis Cluster of `masters` masters for a benchmark (test/helpers/cluster.ts starts it): `pid` is the
 * first master's, `pids` all of them, named redis0, redis1, ...
 */
export async function startBenchCluster(masters = 3): Promise<BenchRedis & { pids: Record<string, number> }> {
  const cluster = await startRedisCluster(masters);
  for (const n of cluster.nodes) adopt(n.process);
  const client = connectStore(cluster.url);
  const nodes = cluster.nodes.map((n) => {
    const c = new Redis(n.port, '127.0.0.1', { maxRetriesPerRequest: 3 });
    c.on('error', () => {});
    return c;
  });
  return {
    url: cluster.url,
    pid: cluster.nodes[0].process.pid!,
    pids: Object.fromEntries(cluster.nodes.map((n, i) => [`redis${i}`, n.process.pid!])),
    client,
    nodes,
    async stop() {
      client.disconnect();
      for (const c of nodes) c.disconnect();
      await cluster.stop();
    },
  };
}

/**
 * A Sentinel group for a benchmark (test/helpers/sentinel.ts starts it): `url` is the redis+sentinel://
 * one, `client`, `pid` and `replicaPid` the current primary's and its first replica's, as they are at
 * start (a benchmark that fails over reads the group itself).
 */
export async function startBenchSentinel(o: SentinelGroupOptions): Promise<BenchRedis & { group: SentinelGroup; replicaPid: number }> {
  const group = await startSentinelGroup(o);
  for (const p of [...group.servers, ...group.sentinels]) adopt(p.process);
  const primaryPort = await group.primaryPort();
  const primary = group.servers.find((s) => s.port === primaryPort)!;
  const client = new Redis(primary.url, { maxRetriesPerRequest: 1 });
  client.on('error', () => {});
  return {
    group,
    url: group.url,
    pid: primary.process.pid!,
    replicaPid: group.servers.find((s) => s !== primary)!.process.pid!,
    client,
    async stop() {
      client.disconnect();
      await group.stop();
    },
  };
}

/** Per-command call counts and microseconds (INFO commandstats); commands run inside Lua count too. */
export async function commandStats(client: Redis): Promise<Record<string, { calls: number; usec: number }>> {
  const out: Record<string, { calls: number; usec: number }> = {};
  for (const [k, v] of Object.entries(await info(client, 'commandstats'))) {
    const calls = /calls=(\d+)/.exec(v);
    const usec = /usec=(\d+)/.exec(v);
    if (calls && usec) out[k.replace(/^cmdstat_/, '')] = { calls: Number(calls[1]), usec: Number(usec[1]) };
  }
  return out;
}

export function redisVersion(): string {
  try {
    const r = spawnSync(ensureRedisBinary(), ['--version'], { encoding: 'utf8' });
    return /v=([\d.]+)/.exec(r.stdout)?.[1] ?? r.stdout.trim();
  } catch (err) {
    return `unavailable (${(err as Error).message.split('.')[0]})`;
  }
}
