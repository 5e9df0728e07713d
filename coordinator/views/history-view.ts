/**
 * Chart points for the last hour, day or week from the history zset (coordinator/history.ts): the first
 * sample of each step-wide bucket, and the rates between consecutive ones. Where no coordinator sampled
 * for a while the chart gets a null point, so the line breaks instead of pretending.
 */
import type { Redis } from 'ioredis';
import { DAY, HOUR, MINUTE5, SAMPLE_MS, parseSamples, rate, type Sample } from '../history.js';
import type { Keys } from '../store/keys.js';
import type { History, HistoryPoint, HistoryRange } from '../../protocol/index.js';

export const RANGES: Record<HistoryRange, { spanMs: number; stepMs: number }> = {
  hour: { spanMs: HOUR, stepMs: SAMPLE_MS },
  day: { spanMs: DAY, stepMs: MINUTE5 },
  week: { spanMs: 7 * DAY, stepMs: HOUR },
};

/** A gap longer than this many steps is drawn as a gap. */
const GAP_STEPS = 2.5;

export function pointBetween(a: Sample, b: Sample): HistoryPoint {
  return { t: b.t, flops: rate(a, b, 'ops'), resultsPerS: rate(a, b, 'results'), hosts: b.hosts, threads: b.threads };
}

export function toPoints(samples: Sample[], stepMs: number): HistoryPoint[] {
  const points: HistoryPoint[] = [];
  for (let i = 1; i < samples.length; i++) {
    const a = samples[i - 1];
    const b = samples[i];
    if (b.t - a.t > GAP_STEPS * stepMs) points.push({ t: a.t + stepMs, flops: null, resultsPerS: null, hosts: null, threads: null });
    points.push(pointBetween(a, b));
  }
  return points;
}

export async function historyPoints(redis: Redis, keys: Keys, range: HistoryRange, now = Date.now()): Promise<History> {
  const { spanMs, stepMs } = RANGES[range];
  // One step before the span, so that the first point in it has a sample to take its rate from.
  const stored = parseSamples(await redis.zrangebyscore(keys.key('history'), now - spanMs - stepMs, '+inf', 'WITHSCORES'));
  const firstPerStep: Sample[] = [];
  let last = NaN;
  for (const { slot, sample } of stored) {
    const bucket = Math.floor(slot / stepMs);
    if (bucket !== last) firstPerStep.push(sample);
    last = bucket;
  }
  return { range, stepS: stepMs / 1000, points: toPoints(firstPerStep, stepMs).filter((p) => p.t >= now - spanMs) };
}

/** The newest sample's point, for the live chart. */
export async function latestPoint(redis: Redis, keys: Keys): Promise<HistoryPoint | null> {
  const two = await redis.zrevrange(keys.key('history'), 0, 1);
  if (two.length < 2) return null;
  return pointBetween(JSON.parse(two[1]) as Sample, JSON.parse(two[0]) as Sample);
}
