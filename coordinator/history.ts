/**
 * The grid's history: every SAMPLE_MS one coordinator writes a sample of the grid-wide counters (ops of
 * validated work, results, credit) and gauges (hosts, threads, units) to the `history` zset, scored by
 * the start of its interval. Counters are cumulative, so the rate between any two samples is exact, and
 * old samples can be thinned (first per 5 minutes after an hour, first per hour after a day) without
 * losing anything a coarser chart needs. It lives in Redis, so it survives coordinator restarts.
 */
import type { Redis } from 'ioredis';
import type { Keys } from './store/keys.js';
import type { StoreRedis } from './store/scripts.js';

export const SAMPLE_MS = 10_000;
/** A host counts as active when it was heard from this recently (heartbeats come every 15 s). */
export const ACTIVE_HOST_MS = 60_000;
/** "FLOPS now" and "results per second" are averages over this window. */
export const RATE_WINDOW_MS = 60_000;
export const MINUTE5 = 300_000;
export const HOUR = 3_600_000;
export const DAY = 86_400_000;
/** The week chart plus a day's margin. */
const RETAIN_MS = 8 * DAY;

export interface Sample {
  /** When it was read (its score is the start of its interval). */
  t: number;
  /** Totals since the store began: operations of validated results, results returned, valid, invalid, credit. */
  ops: number;
  results: number;
  valid: number;
  invalid: number;
  credit: number;
  hosts: number;
  threads: number;
  queued: number;
  inFlight: number;
  validating: number;
}

const num = (v: string | null | undefined): number => (v ? Number(v) || 0 : 0);

/** Hosts heard from within ACTIVE_HOST_MS and the threads they declared. */
export async function activeHosts(redis: Redis, keys: Keys, now: number): Promise<{ hosts: number; threads: number }> {
  const ids = await redis.zrangebyscore(keys.key('hosts'), now - ACTIVE_HOST_MS, '+inf');
  let threads = 0;
  for (let i = 0; i < ids.length; i += 1000) {
    const p = redis.pipeline();
    for (const host of ids.slice(i, i + 1000)) p.hget(keys.key('host', { host }), 'threads');
    for (const [, v] of (await p.exec()) ?? []) threads += num(v as string | null);
  }
  return { hosts: ids.length, threads };
}

/** Units waiting for a host in the jobs that hand out work: not yet cut, plus those needing another replica. */
export async function queuedUnits(redis: Redis, keys: Keys): Promise<number> {
  const jobs = await redis.zrange(keys.key('sched'), '0', '-1');
  if (!jobs.length) return 0;
  const p = redis.pipeline();
  for (const job of jobs) p.hmget(keys.key('job', { job }), 'unitsTotal', 'cursor').zcard(keys.key('need', { job }));
  const out = (await p.exec()) ?? [];
  let queued = 0;
  for (let i = 0; i < out.length; i += 2) {
    const [total, cursor] = out[i][1] as Array<string | null>;
    queued += Math.max(0, num(total) - num(cursor)) + num(String(out[i + 1][1]));
  }
  return queued;
}

export async function readSample(redis: Redis, keys: Keys, now = Date.now()): Promise<Sample> {
  const [s, hosts, queued, inFlight, validating] = await Promise.all([
    redis.hgetall(keys.key('stats')),
    activeHosts(redis, keys, now),
    queuedUnits(redis, keys),
    redis.zcard(keys.key('leases')),
    redis.zcard(keys.key('validate')),
  ]);
  return {
    t: now,
    ops: num(s.ops_valid),
    results: num(s.results_reported) + num(s.results_error),
    valid: num(s.results_valid),
    invalid: num(s.results_invalid),
    credit: num(s.credit),
    ...hosts,
    queued,
    inFlight,
    validating,
  };
}

export interface Stored {
  slot: number;
  sample: Sample;
  /** The member as stored, to remove it by. */
  raw: string;
}

/** Samples in slot order from `zrangebyscore ... WITHSCORES` output. */
export function parseSamples(flat: string[]): Stored[] {
  const out: Stored[] = [];
  for (let i = 0; i < flat.length; i += 2) out.push({ slot: Number(flat[i + 1]), sample: JSON.parse(flat[i]) as Sample, raw: flat[i] });
  return out;
}

/** Per-second rate of a counter between two samples; null when the store was reset in between. */
export function rate(a: Sample, b: Sample, field: 'ops' | 'results'): number | null {
  const d = b[field] - a[field];
  return d < 0 ? null : d / Math.max((b.t - a.t) / 1000, 1);
}

/** The members to drop so that, of the samples older than an hour, only the first of each 5-minute (past a day, hourly) bucket stays. */
export function thinned(samples: Stored[], now: number): string[] {
  const drop: string[] = [];
  let last = '';
  for (const { slot, raw } of samples) {
    if (slot >= now - HOUR) break;
    const bucket = slot < now - DAY ? `h${Math.floor(slot / HOUR)}` : `m${Math.floor(slot / MINUTE5)}`;
    if (bucket === last) drop.push(raw);
    last = bucket;
  }
  return drop;
}

export interface GridNow {
  sample: Sample;
  flops: number;
  resultsPerS: number;
  windowS: number;
}

/**
 * The grid now: a live sample, and rates against the oldest stored sample of the last RATE_WINDOW_MS
 * (or the newest before it when none is that recent). FLOPS = Δ(ops of validated results) / Δt.
 */
export async function gridNow(redis: Redis, keys: Keys, now = Date.now()): Promise<GridNow> {
  const key = keys.key('history');
  const [sample, inWindow, before] = await Promise.all([
    readSample(redis, keys, now),
    redis.zrangebyscore(key, now - RATE_WINDOW_MS, '+inf', 'LIMIT', 0, 1),
    redis.zrevrangebyscore(key, `(${now - RATE_WINDOW_MS}`, '-inf', 'LIMIT', 0, 1),
  ]);
  const raw = inWindow[0] ?? before[0];
  if (!raw) return { sample, flops: 0, resultsPerS: 0, windowS: 0 };
  const base = JSON.parse(raw) as Sample;
  return {
    sample,
    flops: rate(base, sample, 'ops') ?? 0,
    resultsPerS: rate(base, sample, 'results') ?? 0,
    windowS: Math.max((now - base.t) / 1000, 1),
  };
}

export class HistorySampler {
  private timer?: NodeJS.Timeout;
  private stopped = true;
  private thinnedOnce = false;

  constructor(
    private readonly redis: StoreRedis,
    private readonly keys: Keys,
    private readonly onError: (err: Error) => void,
    readonly intervalMs = SAMPLE_MS,
  ) {}

  /** Samples at once (so a fresh grid has a baseline), then at the start of every interval. */
  start(): void {
    this.stopped = false;
    this.schedule(0);
  }

  stop(): void {
    this.stopped = true;
    clearTimeout(this.timer);
  }

  /** Writes this interval's sample unless another coordinator did; true when this one wrote it. */
  async tick(now = Date.now()): Promise<boolean> {
    const key = this.keys.key('history');
    const slot = now - (now % this.intervalMs);
    // Cheap check first, so that only one coordinator per interval pays for reading the sample.
    if (await this.redis.zcount(key, slot, slot)) return false;
    // history-add.lua: two coordinators may sample the same interval; the first to add wins.
    const added = (await this.redis.ig_historyAdd(this.keys.prefix, slot, JSON.stringify(await readSample(this.redis, this.keys, now)))) === 1;
    // Thin once at start and then in the first interval of every 5 minutes.
    const newBucket = Math.floor(slot / MINUTE5) !== Math.floor((slot - this.intervalMs) / MINUTE5);
    if (added && (newBucket || !this.thinnedOnce)) {
      this.thinnedOnce = true;
      await this.thin(now);
    }
    return added;
  }

  /** Drop what thinning and retention say; idempotent, so coordinators doing it together is harmless. */
  async thin(now = Date.now()): Promise<number> {
    const key = this.keys.key('history');
    const expired = await this.redis.zremrangebyscore(key, '-inf', `(${now - RETAIN_MS}`);
    const drop = thinned(parseSamples(await this.redis.zrangebyscore(key, '-inf', `(${now - HOUR}`, 'WITHSCORES')), now);
    for (let i = 0; i < drop.length; i += 1000) await this.redis.zrem(key, ...drop.slice(i, i + 1000));
    return expired + drop.length;
  }

  private schedule(delayMs: number): void {
    this.timer = setTimeout(() => {
      void this.tick()
        .catch((err: Error) => this.onError(err))
        .finally(() => {
          if (this.stopped) return;
          const now = Date.now();
          // Just past the next interval's start, so every interval gets its own sample.
          this.schedule(this.intervalMs - (now % this.intervalMs) + 50);
        });
    }, delayMs);
    this.timer.unref();
  }
}

/** gridNow shared by everyone asking within maxAgeMs (metrics scrapes, dashboards), so a burst costs one read. */
export class GridReader {
  private last?: { at: number; value: Promise<GridNow> };

  constructor(private readonly redis: Redis, private readonly keys: Keys, private readonly maxAgeMs = 1_000) {}

  read(now = Date.now()): Promise<GridNow> {
    if (this.last && now - this.last.at < this.maxAgeMs) return this.last.value;
    const value = gridNow(this.redis, this.keys, now);
    value.catch(() => {
      if (this.last?.value === value) this.last = undefined;
    });
    this.last = { at: now, value };
    return value;
  }
}
