/**
 * A Redis Sentinel deployment on loopback for failover tests and the failover benchmark: a primary, its
 * replicas and three sentinels (cli/redis-launcher.ts starts each), with short timeouts so that a
 * failover takes seconds. Ready only once the replicas are in sync and every sentinel knows every other
 * one and the replicas: a failover needs a quorum and an elected leader.
 */
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Redis } from 'ioredis';
import { startRedis, startSentinel, type LaunchedRedis } from '../../cli/redis-launcher.js';
import { waitFor } from '../../bench/lib/procs.js';
import { freePort } from './ports.js';

export interface SentinelGroup {
  /** The redis+sentinel:// URL a coordinator is given. */
  url: string;
  name: string;
  /** The first started as the primary, the others as its replicas. */
  servers: LaunchedRedis[];
  sentinels: LaunchedRedis[];
  /** The primary's port, as the sentinels say now. */
  primaryPort(): Promise<number>;
  /** Resolves once the sentinels name a primary other than `port`. */
  failedOverFrom(port: number, timeoutMs?: number): Promise<number>;
  stop(): Promise<void>;
}

export interface SentinelGroupOptions {
  replicas?: number;
  sentinels?: number;
  downAfterMs?: number;
  failoverTimeoutMs?: number;
}

/** One command to the Redis (or sentinel) on a loopback port, on a connection of its own. */
export async function ask<T>(port: number, ...args: string[]): Promise<T> {
  const c = new Redis(port, '127.0.0.1', { maxRetriesPerRequest: 1, enableReadyCheck: false, lazyConnect: true });
  c.on('error', () => {});
  try {
    await c.connect();
    return (await c.call(args[0], ...args.slice(1))) as T;
  } finally {
    c.disconnect();
  }
}

/** A flat [field, value, ...] reply as an object. */
const fields = (flat: string[]): Record<string, string> => Object.fromEntries(Array.from({ length: flat.length / 2 }, (_, i) => [flat[2 * i], flat[2 * i + 1]]));

export async function startSentinelGroup(o: SentinelGroupOptions = {}): Promise<SentinelGroup> {
  const name = 'idlegrid';
  const dir = mkdtempSync(join(tmpdir(), 'ig-sentinel-'));
  const servers: LaunchedRedis[] = [];
  const sentinels: LaunchedRedis[] = [];
  const stop = async () => {
    await Promise.all([...sentinels, ...servers].map((p) => p.stop()));
    rmSync(dir, { recursive: true, force: true });
  };
  try {
    const primaryPort = await freePort();
    servers.push(await startRedis({ port: primaryPort, dir: join(dir, 'primary'), appendonly: false }));
    for (let i = 0; i < (o.replicas ?? 1); i++) {
      servers.push(await startRedis({ port: await freePort(), dir: join(dir, `replica${i}`), appendonly: false, replicaOf: { host: '127.0.0.1', port: primaryPort } }));
    }
    const count = o.sentinels ?? 3;
    for (let i = 0; i < count; i++) {
      sentinels.push(await startSentinel({
        port: await freePort(), dir: join(dir, `sentinel${i}`), name, master: { host: '127.0.0.1', port: primaryPort },
        quorum: Math.floor(count / 2) + 1, downAfterMs: o.downAfterMs ?? 1_000, failoverTimeoutMs: o.failoverTimeoutMs ?? 3_000,
      }));
    }
    await waitFor('the replicas in sync and every sentinel knowing the others', async () => {
      for (const r of servers.slice(1)) {
        if (!(await ask<string>(r.port, 'INFO', 'replication')).includes('master_link_status:up')) return false;
      }
      for (const s of sentinels) {
        const others = await ask<string[][]>(s.port, 'SENTINEL', 'sentinels', name);
        const replicas = (await ask<string[][]>(s.port, 'SENTINEL', 'replicas', name)).map(fields);
        if (others.length !== count - 1) return false;
        if (replicas.filter((r) => !/down|disconnected/.test(r.flags)).length !== servers.length - 1) return false;
      }
      return true;
    }, 30_000, 100);
  } catch (err) {
    await stop();
    throw err;
  }
  const primaryPort = async () => {
    for (const s of sentinels) {
      try {
        return Number((await ask<string[]>(s.port, 'SENTINEL', 'get-master-addr-by-name', name))[1]);
      } catch {
        /* that sentinel is down: ask the next */
      }
    }
    throw new Error('no sentinel answers');
  };
  return {
    url: `redis+sentinel://${sentinels.map((s) => `127.0.0.1:${s.port}`).join(',')}/${name}`,
    name,
    servers,
    sentinels,
    primaryPort,
    failedOverFrom: (port, timeoutMs = 30_000) => waitFor(`a replica promoted in place of :${port}`, async () => {
      const now = await primaryPort();
      return now !== port ? now : undefined;
    }, timeoutMs, 50),
    stop,
  };
}
