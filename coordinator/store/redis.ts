import { Cluster, Redis, type RedisOptions } from 'ioredis';
import { parseRedisUrl } from './redis-url.js';
import { keepConnected } from './keep-connected.js';
import { registerScripts, type StoreRedis } from './scripts.js';

export interface StoreConnection {
  /** BullMQ's blocking connections must never give up on a command. */
  blocking?: boolean;
}

/**
 * A client for the store, for either form of `--redis` (store/redis-url.ts). Commands issued while Redis
 * is away wait in ioredis' offline queue and are retried on reconnect, so a Redis restart (append-only
 * file) or a Sentinel failover pauses the coordinator instead of failing it. Through Sentinel, ioredis
 * asks the sentinels for the primary at every (re)connection, checks the server's role, and listens for
 * `+switch-master` (failoverDetector) so it moves to a promoted replica at once; duplicate() (the event
 * bus's subscriber, BullMQ's extra connections) copies all of it. A client that ioredis ends on its own
 * connects again (keep-connected.ts).
 *
 * A Redis Cluster (redis+cluster://) gets ioredis' Cluster client, which follows MOVED and ASK replies and
 * a replica's promotion. Its command interface is the one the coordinator uses, so it is handed out under
 * the same type: the store's keys all share one hash tag there (store/keys.ts, storePrefix), so every
 * script, MULTI and pipeline lands on one node and no code path needs to know which client it has.
 */
/** How long a command waits through reconnecting, failovers and redirections before it fails. */
export const COMMAND_PATIENCE_MS = 90_000;
/** The wait between tries through Sentinel or on a cluster (one server backs off further: connectStore). */
export const FAILOVER_RETRY_MS = 250;

export function connectStore(url: string, opts: StoreConnection = {}): StoreRedis {
  const target = parseRedisUrl(url);
  // Through Sentinel, retries stay frequent: a failover ends within seconds, and each retry asks the
  // sentinels again (the failover detector is gone with the connection that died, so this is what finds
  // the promoted replica). One server restarting from its append-only file takes longer: back off further.
  const maxDelayMs = target.kind === 'server' ? 2_000 : FAILOVER_RETRY_MS;
  const common: RedisOptions = {
    // A command waits through about 90 s of reconnecting either way, then fails.
    maxRetriesPerRequest: opts.blocking ? null : Math.round(COMMAND_PATIENCE_MS / maxDelayMs),
    enableReadyCheck: true,
    lazyConnect: false,
    retryStrategy: (times) => Math.min(100 * times, maxDelayMs),
    // A primary demoted under us (a partition heals, or a failover we have not heard of yet) refuses
    // writes with READONLY before they run: reconnect, which finds the primary again, and resend.
    reconnectOnError: (err) => (err.message.startsWith('READONLY') ? 2 : false),
  };
  const redis = keepConnected(target.kind === 'server'
    ? new Redis(target.url, common)
    : target.kind === 'sentinel'
      ? new Redis({
        ...common,
        sentinels: target.sentinels,
        name: target.name,
        role: 'master',
        username: target.username,
        password: target.password,
        sentinelPassword: target.sentinelPassword,
        failoverDetector: true,
      })
      : new Cluster(target.nodes, {
        enableReadyCheck: true,
        lazyConnect: false,
        clusterRetryStrategy: (times) => Math.min(100 * times, maxDelayMs),
        enableOfflineQueue: true,
        // A master that dies is replaced once the others agree it is gone (cluster-node-timeout, 15 s by
        // default, plus an election): meanwhile a command is refused (CLUSTERDOWN, TRYAGAIN) or redirected
        // (MOVED) again and again. Each retry waits maxDelayMs, so a command waits through about 90 s,
        // as on one server, rather than failing after ioredis' default of 16 tries.
        maxRedirections: Math.round(COMMAND_PATIENCE_MS / maxDelayMs),
        retryDelayOnFailover: maxDelayMs,
        retryDelayOnClusterDown: maxDelayMs,
        retryDelayOnTryAgain: maxDelayMs,
        redisOptions: { ...common, username: target.username, password: target.password },
      }) as unknown as Redis);
  return registerScripts(redis);
}
