/**
 * A Redis Cluster on loopback: three masters (redis-server --cluster-enabled yes, started by
 * cli/redis-launcher.ts), and `replicas` replicas of each, joined by `redis-cli --cluster create` with
 * every slot assigned. Ready once every node says cluster_state:ok and every replica is in sync.
 */
import { spawnSync } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { startRedis, type LaunchedRedis } from '../../cli/redis-launcher.js';
import { waitFor } from '../../bench/lib/procs.js';
import { freePort } from './ports.js';
import { ask } from './sentinel.js';

export interface RedisCluster {
  /** The redis+cluster:// URL a coordinator is given (every node listed). */
  url: string;
  nodes: LaunchedRedis[];
  /** The port of the master serving `key`'s slot, as a live node says now. */
  masterOf(key: string): Promise<number>;
  /** Resolves once a node other than `port` serves `key`'s slot and the cluster is whole again. */
  failedOverFrom(port: number, key: string, timeoutMs?: number): Promise<number>;
  stop(): Promise<void>;
}

const clusterState = async (port: number): Promise<string> => /cluster_state:(\w+)/.exec(await ask<string>(port, 'CLUSTER', 'INFO'))?.[1] ?? '';

export async function startRedisCluster(masters = 3, replicas = 0): Promise<RedisCluster> {
  const dir = mkdtempSync(join(tmpdir(), 'ig-cluster-'));
  const nodes: LaunchedRedis[] = [];
  const stop = async () => {
    await Promise.all(nodes.map((n) => n.stop()));
    rmSync(dir, { recursive: true, force: true });
  };
  try {
    for (let i = 0; i < masters * (1 + replicas); i++) nodes.push(await startRedis({ port: await freePort(), dir: join(dir, String(i)), appendonly: false, cluster: true }));
    const create = spawnSync('redis-cli', ['--cluster', 'create', ...nodes.map((n) => `127.0.0.1:${n.port}`), '--cluster-replicas', String(replicas), '--cluster-yes'], { encoding: 'utf8', timeout: 30_000 });
    if (create.status !== 0) throw new Error(`redis-cli --cluster create failed (${create.status}): ${create.stdout}${create.stderr}`.slice(0, 800));
    await waitFor('every cluster node to say cluster_state:ok', async () => (await Promise.all(nodes.map((n) => clusterState(n.port)))).every((s) => s === 'ok'), 20_000);
    await waitFor('every replica to be in sync', async () => (await Promise.all(nodes.map((n) => ask<string>(n.port, 'INFO', 'replication'))))
      .every((info) => !info.includes('role:slave') || info.includes('master_link_status:up')), 20_000);
    const live = () => nodes.filter((n) => n.process.exitCode === null && n.process.signalCode === null);
    const masterOf = async (key: string): Promise<number> => {
      const asked = live()[0].port;
      const slot = await ask<number>(asked, 'CLUSTER', 'KEYSLOT', key);
      const ranges = await ask<Array<[number, number, [string, number, ...unknown[]], ...unknown[]]>>(asked, 'CLUSTER', 'SLOTS');
      const range = ranges.find(([from, to]) => slot >= from && slot <= to);
      if (!range) throw new Error(`no node serves slot ${slot}`);
      return Number(range[2][1]);
    };
    return {
      url: `redis+cluster://${nodes.map((n) => `127.0.0.1:${n.port}`).join(',')}`,
      nodes,
      masterOf,
      failedOverFrom: (port, key, timeoutMs = 30_000) => waitFor(`a replica promoted in place of :${port}`, async () => {
        const states = await Promise.all(live().map((n) => clusterState(n.port)));
        if (!states.every((s) => s === 'ok')) return undefined;
        const now = await masterOf(key);
        return now !== port ? now : undefined;
      }, timeoutMs, 50),
      stop,
    };
  } catch (err) {
    await stop();
    throw err;
  }
}
