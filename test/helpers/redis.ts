import { randomBytes } from 'node:crypto';
import { inject } from 'vitest';

/** The suite's shared Redis (started by test/global-setup.ts). */
export const redisUrl = (): string => inject('redisUrl');

/** A key prefix of one's own, so tests sharing the Redis never see each other's keys. */
export const uniquePrefix = (name = 't'): string => `${name}-${randomBytes(4).toString('hex')}`;
