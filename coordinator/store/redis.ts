import { Redis } from 'ioredis';
import { registerScripts, type StoreRedis } from './scripts.js';

/**
 * A client for the store. Commands issued while Redis is away wait in ioredis' offline queue and are
 * retried on reconnect, so a Redis restart (append-only file) pauses the coordinator instead of failing it.
 */
export function connectStore(url: string, opts: { blocking?: boolean } = {}): StoreRedis {
  const redis = new Redis(url, {
    // BullMQ's blocking connections must never give up on a command.
    maxRetriesPerRequest: opts.blocking ? null : 50,
    enableReadyCheck: true,
    lazyConnect: false,
    retryStrategy: (times) => Math.min(100 * times, 2_000),
  });
  redis.on('error', () => {
    /* reported through readiness and the callers' own errors; without a listener ioredis prints noise */
  });
  return registerScripts(redis);
}
