/**
 * Signs of life are written in batches (presence.ts), against a real Redis: every host heard from is
 * written within the batch interval, with its last status line; a disconnect is not undone by a sign of
 * life that was still waiting; and a flush writes what waits at once.
 */
import { pino } from 'pino';
import { afterAll, describe, expect, it } from 'vitest';
import { EventBus } from './events.js';
import { resolveCoordinatorOptions } from './options.js';
import { HostPresence } from './presence.js';
import { Keys } from './store/keys.js';
import { connectStore } from './store/redis.js';
import { STANDING } from './store/unit-layout.js';
import { redisUrl, uniquePrefix } from '../test/helpers/redis.js';
import { waitFor } from '../test/helpers/processes.js';

const redis = connectStore(redisUrl());
const buses: EventBus[] = [];
afterAll(async () => {
  for (const b of buses) await b.close();
  redis.disconnect();
});

async function presence(heartbeatMs = 15_000) {
  const keys = new Keys(uniquePrefix('pres'));
  const options = resolveCoordinatorOptions({ redisUrl: redisUrl(), prefix: keys.base, heartbeatMs });
  const bus = await EventBus.start(redis, keys.key('events'));
  buses.push(bus);
  return { keys, options, p: new HostPresence(redis, keys, options, bus, pino({ level: 'silent' })) };
}

describe('HostPresence', () => {
  it('writes every host heard from within a second (in commands of 1,000), with the last status line it sent', async () => {
    const { keys, options, p } = await presence();
    const t = Date.now();
    for (let i = 0; i < 2_500; i++) p.seen(`h${i}`, t + i, i % 2 ? `busy ${i}` : undefined);
    p.seen('h1', t + 500); // a later message without a status line keeps the one sent before
    expect(await redis.zcard(keys.key('hostsLive'))).toBe(0); // not yet
    await waitFor('the batch to be written', async () => (await redis.zcard(keys.key('hostsLive'))) === 2_500, 3_000, 20);
    // Written in commands of 1,000 hosts: the first, the last and one in the last command are all there.
    for (const i of [7, 1_999, 2_499]) expect(Number(await redis.zscore(keys.key('hostsLive'), `h${i}`))).toBe(t + i + options.silentBeats * options.heartbeatMs);
    expect(Number(await redis.zscore(keys.key('hosts'), 'h1'))).toBe(t + 500);
    expect(await redis.hmget(keys.key('host', { host: 'h1' }), 'lastSeen', 'state')).toEqual([String(t + 500), 'busy 1']);
    expect(await redis.hget(keys.key('host', { host: 'h2' }), 'state')).toBeNull();
  });

  it('only refreshes hosts already in hosts:unproven, and a flush writes at once', async () => {
    const { keys, p } = await presence();
    await redis.zadd(keys.key('hostsUnproven'), 1, 'new');
    p.seen('new', 1000);
    p.seen('proven', 1000);
    await p.flush();
    expect(await redis.zrangebyscore(keys.key('hostsUnproven'), '-inf', '+inf', 'WITHSCORES')).toEqual(['new', '1000']);
  });

  it('a disconnect is not undone by a sign of life that was still waiting', async () => {
    const { keys, options, p } = await presence();
    const link = 'link-1';
    const t = Date.now();
    await redis.hset(keys.key('host', { host: 'h' }), STANDING.link, link);
    await redis.zadd(keys.key('hostsLive'), t + 1_000, 'h');
    p.seen('h', t + 100);
    await p.gone('h', link);
    await p.flush();
    const grace = options.offlineGraceBeats * options.heartbeatMs;
    const live = Number(await redis.zscore(keys.key('hostsLive'), 'h'));
    expect(live).toBeLessThanOrEqual(Date.now() + grace);
    expect(live).toBeLessThan(t + 100 + options.silentBeats * options.heartbeatMs);
  });
});
