/**
 * keepConnected against a real Redis: a client that ioredis ended on its own (its connector told to
 * disconnect while connecting, which is what Sentinel's failover detector does on +switch-master)
 * connects again; one we end stays ended.
 */
import { setTimeout as sleep } from 'node:timers/promises';
import type { Redis } from 'ioredis';
import { describe, expect, it } from 'vitest';
import { redisUrl } from '../../test/helpers/redis.js';
import { waitFor } from '../../test/helpers/processes.js';
import { connectStore } from './redis.js';

/** What the failover detector does: the connector drops the connection attempt under way. */
const dropUnderWay = (r: Redis) => (r as unknown as { connector: { disconnect(): void } }).connector.disconnect();

describe('keepConnected', () => {
  it('connects again after ioredis ends a client on its own, and its commands work', async () => {
    const r = connectStore(redisUrl());
    try {
      dropUnderWay(r);
      await waitFor('the client to end', () => r.status === 'end' || r.status === 'ready', 5_000, 1);
      await waitFor('the client to be ready again', () => r.status === 'ready', 5_000);
      expect(await r.ping()).toBe('PONG');
    } finally {
      r.disconnect();
    }
  });

  it('does the same for a duplicate', async () => {
    const r = connectStore(redisUrl());
    const d = r.duplicate();
    try {
      dropUnderWay(d);
      await sleep(50);
      await waitFor('the duplicate to be ready again', () => d.status === 'ready', 5_000);
      expect(await d.ping()).toBe('PONG');
    } finally {
      d.disconnect();
      r.disconnect();
    }
  });

  it('leaves a client we ended ended', async () => {
    const r = connectStore(redisUrl());
    await waitFor('ready', () => r.status === 'ready', 5_000);
    await r.quit();
    const d = connectStore(redisUrl());
    await waitFor('ready', () => d.status === 'ready', 5_000);
    d.disconnect();
    await sleep(400);
    expect(r.status).toBe('end');
    expect(d.status).toBe('end');
  });
});
