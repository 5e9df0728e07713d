import type { Redis } from 'ioredis';
import { Keys } from '../../coordinator/store/keys.js';

/** The keys a coordinator with `--prefix prefix` writes, as seen through `redis` (hash-tagged on a cluster). */
export const keysOn = (redis: Redis, prefix: string): Keys => new Keys(prefix, redis.isCluster);
