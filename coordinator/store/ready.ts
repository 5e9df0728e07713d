/**
 * A coordinator starts only once its store answers, and gives up after a bounded time with what it tried:
 * a service manager then sees a failed start, not a process that never listens.
 */
import type { Redis } from 'ioredis';
import { isClusterUrl, redactRedisUrl } from './redis-url.js';

export { redactRedisUrl };

export async function untilReady(clients: Redis[], timeoutMs: number, url: string): Promise<void> {
  let attempts = 0;
  let last = '';
  let notCluster: (err: Error) => void = () => {};
  const onError = (err: Error) => {
    attempts++;
    // The cluster client wraps what its nodes said ("Failed to refresh slots cache"): keep the node's words.
    last = (err as Error & { lastNodeError?: Error }).lastNodeError?.message ?? err.message;
    // Asked as a cluster, one server answers CLUSTER SLOTS with this at every retry: no wait will help.
    if (/cluster support disabled/i.test(last)) {
      notCluster(new Error(`Redis at ${redactRedisUrl(url)} is not a Redis Cluster (it says: ${last}); give --redis one server as redis://HOST[:PORT]`));
    }
  };
  for (const c of clients) c.on('error', onError);
  let timer: NodeJS.Timeout | undefined;
  try {
    await Promise.race([
      Promise.all(clients.map((c) => (c.status === 'ready' ? Promise.resolve() : new Promise<void>((resolve) => c.once('ready', () => resolve()))))),
      new Promise<never>((_, reject) => {
        notCluster = reject;
        timer = setTimeout(() => reject(new Error(
          `cannot reach Redis at ${redactRedisUrl(url)} within ${timeoutMs / 1000} s (${attempts} failed attempt${attempts === 1 ? '' : 's'}${last ? `; last: ${last}` : ''}); ` +
          'start redis-server (npm start starts one), or pass --redis / REDIS_URL, or wait longer with --redis-timeout',
        )), timeoutMs);
        timer.unref();
      }),
    ]);
  } finally {
    clearTimeout(timer);
    for (const c of clients) c.off('error', onError);
  }
}

/**
 * A Redis Cluster node given as redis:// answers like any server until a command touches a slot it does
 * not own, and one server given as redis+cluster:// never becomes ready: either is refused at start,
 * with the URL to use instead.
 */
export async function checkTopology(client: Redis, url: string): Promise<void> {
  const clustered = /^cluster_enabled:1\s*$/m.test(await client.info('cluster'));
  if (clustered && !isClusterUrl(url)) {
    throw new Error(`Redis at ${redactRedisUrl(url)} is a node of a Redis Cluster (cluster_enabled:1); give --redis the cluster as redis+cluster://HOST:PORT[,HOST:PORT...]`);
  }
}

/** The oldest Redis the scripts load on (store/scripts.ts, declaredScript); BullMQ asks for 6.2. */
const MIN_REDIS_MAJOR = 7;

/**
 * What makes the server whose INFO `server` section this is too old for the scripts, or undefined. A
 * server or proxy that does not give its version passes: the scripts themselves will tell.
 */
export function versionProblem(infoServer: string): string | undefined {
  const m = /^redis_version:(\d+)\.(\d+)/m.exec(infoServer);
  if (!m || Number(m[1]) >= MIN_REDIS_MAJOR) return undefined;
  return `is version ${m[1]}.${m[2]}; idlegrid needs Redis ${MIN_REDIS_MAJOR}.0 or later (Debian 12's redis-server, the redis:7 image)`;
}

/** A Redis too old for the scripts is refused at start, by version, rather than by a script's syntax error at the first lease. */
export async function checkVersion(client: Redis, url: string): Promise<void> {
  const problem = versionProblem(await client.info('server'));
  if (problem) throw new Error(`Redis at ${redactRedisUrl(url)} ${problem}`);
}

/**
 * How many replicas, not marked failed, the master serving `key`'s slot has (Redis Cluster), from
 * CLUSTER NODES: `<id> <addr> <flags> <master id> <ping> <pong> <epoch> <link> <slot ranges...>`.
 */
export async function clusterReplicasOf(client: Redis, key: string): Promise<number> {
  const slot = Number(await client.cluster('KEYSLOT', key));
  const nodes = String(await client.cluster('NODES')).trim().split('\n').map((line) => line.trim().split(' '));
  const serves = (range: string) => {
    const [from, to = from] = range.split('-').map(Number);
    return slot >= from && slot <= to;
  };
  const master = nodes.find((n) => n[2].split(',').includes('master') && n.slice(8).some(serves));
  return nodes.filter((n) => n[3] === master?.[0] && n[2].split(',').includes('slave') && !n[2].includes('fail')).length;
}

/** Wait for `p`, but no longer than `ms`: shutdown must finish whatever state Redis or the network is in. */
export async function atMost(p: Promise<unknown>, ms: number): Promise<boolean> {
  let timer: NodeJS.Timeout | undefined;
  const done = await Promise.race([
    p.then(() => true, () => true),
    new Promise<false>((resolve) => {
      timer = setTimeout(() => resolve(false), ms);
    }),
  ]);
  clearTimeout(timer);
  return done;
}
