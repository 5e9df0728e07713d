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
  nodes: LaunchedRedis[];
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
    return { nodes, stop };
  } catch (err) {
    await stop();
    throw err;
  }
}
