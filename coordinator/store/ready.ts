/**
 * A coordinator starts only once its store answers, and gives up after a bounded time with what it tried:
 * a service manager then sees a failed start, not a process that never listens.
 */
import type { Redis } from 'ioredis';
import { CLUSTER_UNSUPPORTED, redactRedisUrl } from './redis-url.js';

export { redactRedisUrl };

export async function untilReady(clients: Redis[], timeoutMs: number, url: string): Promise<void> {
  let attempts = 0;
  let last = '';
  const onError = (err: Error) => {
    attempts++;
    last = err.message;
  };
  for (const c of clients) c.on('error', onError);
  try {
    await Promise.race([
      Promise.all(clients.map((c) => (c.status === 'ready' ? Promise.resolve() : new Promise<void>((resolve) => c.once('ready', () => resolve()))))),
      new Promise<never>((_, reject) => {
        const t = setTimeout(() => reject(new Error(
          `cannot reach Redis at ${redactRedisUrl(url)} within ${timeoutMs / 1000} s (${attempts} failed attempt${attempts === 1 ? '' : 's'}${last ? `; last: ${last}` : ''}); ` +
          'start redis-server (npm start starts one), or pass --redis / REDIS_URL, or wait longer with --redis-timeout',
        )), timeoutMs);
        t.unref();
      }),
    ]);
  } finally {
    for (const c of clients) c.off('error', onError);
  }
}

/**
 * A Redis Cluster node answers like any server until a script touches keys of slots it does not own:
 * refuse one at start, with what to use instead.
 */
export async function refuseCluster(client: Redis, url: string): Promise<void> {
  const info = await client.info('cluster');
  if (/^cluster_enabled:1\s*$/m.test(info)) throw new Error(`Redis at ${redactRedisUrl(url)} is a node of a Redis Cluster (cluster_enabled:1); ${CLUSTER_UNSUPPORTED}`);
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
