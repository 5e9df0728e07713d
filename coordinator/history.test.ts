/** The history sampler against a real Redis: one sample per interval across coordinators, thinning, FLOPS. */
import { Redis } from 'ioredis';
import { afterAll, describe, expect, it } from 'vitest';
import { redisUrl, uniquePrefix } from '../test/helpers/redis.js';
import { DAY, HOUR, HistorySampler, MINUTE5, gridNow, parseSamples, type Sample } from './history.js';
import { Keys } from './store/keys.js';
import { connectStore } from './store/redis.js';

const redis = connectStore(redisUrl());
const raw = new Redis(redisUrl());
afterAll(() => {
  redis.disconnect();
  raw.disconnect();
});

const sample = (t: number, ops: number, extra: Partial<Sample> = {}): Sample => ({
  t, ops, results: 0, valid: 0, invalid: 0, credit: 0, hosts: 0, threads: 0, queued: 0, inFlight: 0, validating: 0, ...extra,
});

describe('HistorySampler', () => {
  it('writes one sample per interval however many coordinators sample it', async () => {
    const keys = new Keys(uniquePrefix('hist'));
    const samplers = [0, 1, 2].map(() => new HistorySampler(redis, keys, (e) => { throw e; }, 10_000));
    const t0 = Math.floor(Date.now() / 10_000) * 10_000;
    for (let i = 0; i < 5; i++) {
      // The same instant, give or take, as coordinators with aligned timers would sample it.
      const won = await Promise.all(samplers.map((s, j) => s.tick(t0 + i * 10_000 + 50 + j)));
      expect(won.filter(Boolean)).toHaveLength(1);
    }
    const stored = parseSamples(await raw.zrangebyscore(keys.key('history'), '-inf', '+inf', 'WITHSCORES'));
    expect(stored.map((s) => s.slot)).toEqual([0, 1, 2, 3, 4].map((i) => t0 + i * 10_000));
  });

  it('keeps an hour at full resolution, then the first sample of each 5 minutes, then of each hour, for 8 days', async () => {
    const keys = new Keys(uniquePrefix('thin'));
    const sampler = new HistorySampler(redis, keys, (e) => { throw e; }, 10_000);
    const hour = Math.floor(Date.now() / HOUR) * HOUR;
    const now = hour + 5_000;
    const p = raw.pipeline();
    // A sample a minute for nine days: 12,960 of them.
    for (let slot = hour - 9 * DAY; slot <= hour; slot += 60_000) p.zadd(keys.key('history'), slot, JSON.stringify(sample(slot + 7, slot / 1000)));
    await p.exec();
    await sampler.thin(now);
    const slots = parseSamples(await raw.zrangebyscore(keys.key('history'), '-inf', '+inf', 'WITHSCORES')).map((s) => s.slot);
    const recent = slots.filter((s) => s >= now - HOUR);
    const day = slots.filter((s) => s < now - HOUR && s >= now - DAY);
    const week = slots.filter((s) => s < now - DAY);
    expect(recent).toHaveLength(60);
    // (The 5-minute bucket that the one-day line cuts keeps its first sample on each side of the line.)
    expect(day.slice(1).every((s) => s % MINUTE5 === 0)).toBe(true);
    expect(new Set(day.map((s) => Math.floor(s / MINUTE5))).size).toBe(day.length);
    expect(day.length).toBeGreaterThanOrEqual(275);
    // (Likewise the hour that the eight-day retention line cuts.)
    expect(week.slice(1).every((s) => s % HOUR === 0)).toBe(true);
    expect(new Set(week.map((s) => Math.floor(s / HOUR))).size).toBe(week.length);
    expect(Math.min(...week)).toBeGreaterThanOrEqual(now - 8 * DAY);
    expect(week.length).toBeGreaterThanOrEqual(7 * 24 - 1);
    // Thinning is idempotent: a second coordinator doing it again removes nothing more.
    expect(await sampler.thin(now)).toBe(0);
  });
});

describe('gridNow', () => {
  it('computes FLOPS as the growth of validated operations over the time since the oldest sample in the last minute', async () => {
    const keys = new Keys(uniquePrefix('flops'));
    const now = Date.now();
    const k = keys.key('history');
    await raw.zadd(k, now - 90_000, JSON.stringify(sample(now - 90_000, 0)));
    await raw.zadd(k, now - 40_000, JSON.stringify(sample(now - 40_000, 1e9, { results: 10 })));
    await raw.zadd(k, now - 30_000, JSON.stringify(sample(now - 30_000, 2e9, { results: 20 })));
    await raw.hset(keys.key('stats'), { ops_valid: 9e9, results_reported: 40, results_error: 10, results_valid: 39, credit: 2.5 });
    // Two active hosts (4 + 2 threads) and one long gone; one job with 7 uncut units and 2 needing a replica.
    await raw.zadd(keys.key('hosts'), now - 1_000, 'h-a', now - 30_000, 'h-b', now - 3_600_000, 'h-c');
    await raw.hset(keys.key('host', { host: 'h-a' }), 'threads', 4);
    await raw.hset(keys.key('host', { host: 'h-b' }), 'threads', 2);
    await raw.hset(keys.key('host', { host: 'h-c' }), 'threads', 64);
    await raw.zadd(keys.key('sched'), 0, 'job1');
    await raw.hset(keys.key('job', { job: 'job1' }), 'unitsTotal', 10, 'cursor', 3);
    await raw.zadd(keys.key('need', { job: 'job1' }), 0, '0', 1, '1');
    await raw.zadd(keys.key('leases'), now + 1e6, 'job1.2.0');
    const g = await gridNow(redis, keys, now);
    expect(g.windowS).toBeCloseTo(40, 5);
    expect(g.flops).toBeCloseTo(8e9 / 40, 0);
    expect(g.resultsPerS).toBeCloseTo(40 / 40, 5);
    expect(g.sample).toMatchObject({ ops: 9e9, results: 50, valid: 39, credit: 2.5, hosts: 2, threads: 6, queued: 9, inFlight: 1, validating: 0 });
  });

  it('reports zero, not a guess, before the first sample', async () => {
    const g = await gridNow(redis, new Keys(uniquePrefix('empty')));
    expect(g).toMatchObject({ flops: 0, resultsPerS: 0, windowS: 0 });
  });
});
