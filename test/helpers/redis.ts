import { randomBytes } from 'node:crypto';
import type { Redis } from 'ioredis';
import { inject } from 'vitest';
import { connectStore } from '../../coordinator/store/redis.js';
import { isClusterUrl } from '../../coordinator/store/redis-url.js';

/**
 * The suite's shared Redis (started by test/global-setup.ts): one server, or a three-master Redis Cluster
 * when the suite runs with IDLEGRID_TEST_REDIS=cluster (npm test runs the end-to-end, crash and hostile
 * suites that way too).
 */
export const redisUrl = (): string => inject('redisUrl');

export const onCluster = (): boolean => isClusterUrl(redisUrl());

/** A key prefix of one's own, so tests sharing the Redis never see each other's keys. */
export const uniquePrefix = (name = 't'): string => `${name}-${randomBytes(4).toString('hex')}`;

/** A client of any form of Redis URL (a cluster client for redis+cluster://), for tests to read state. */
export const testRedis = (url = redisUrl()): Redis => connectStore(url);

export { keysOn } from './store-keys.js';
