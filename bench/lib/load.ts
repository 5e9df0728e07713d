/**
 * One measurement window of simulated load (throughput and scale-out): the hosts run, warm up, and over
 * a fixed window we count results validated (the grid-wide counter `results_valid` in Redis, which every
 * coordinator's validate.lua increments), the CPU each process used, Redis's per-command time and the
 * hosts' dispatch latencies. Then the hosts pause so the next measurement starts from quiet.
 */
import { keysOn } from '../../test/helpers/store-keys.js';
import type { SimStats } from '../sim/protocol.js';
import { cpuOf, sleep } from './procs.js';
import { commandStats, type BenchRedis } from './redis.js';
import type { SimGroup } from './sim.js';

export interface LoadWindow {
  seconds: number;
  /** Results validated (2 per unit with 2 replicas) in the window. */
  validated: number;
  rate: number;
  /** CPU seconds each named process used in the window. */
  cpu: Record<string, number>;
  /** Redis INFO commandstats difference over the window. */
  commands: Record<string, { calls: number; usec: number }>;
  sims: SimStats;
}

const statsKey = (redis: BenchRedis, prefix: string): string => keysOn(redis.client, prefix).key('stats');

async function resultsValid(redis: BenchRedis, prefix: string): Promise<number> {
  return Number((await redis.client.hget(statsKey(redis, prefix), 'results_valid')) ?? 0);
}

/** commandstats summed over a cluster's masters (or the one server). */
async function allCommandStats(redis: BenchRedis): Promise<Record<string, { calls: number; usec: number }>> {
  const sum: Record<string, { calls: number; usec: number }> = {};
  for (const c of redis.nodes ?? [redis.client]) {
    for (const [k, v] of Object.entries(await commandStats(c))) {
      sum[k] = { calls: (sum[k]?.calls ?? 0) + v.calls, usec: (sum[k]?.usec ?? 0) + v.usec };
    }
  }
  return sum;
}

export async function loadWindow(o: {
  redis: BenchRedis;
  prefix: string;
  sims: SimGroup;
  pids: Record<string, number>;
  warmMs: number;
  windowMs: number;
}): Promise<LoadWindow> {
  await o.sims.run();
  try {
    await sleep(o.warmMs);
    await o.sims.mark();
    const [v0, c0, cpu0] = [await resultsValid(o.redis, o.prefix), await allCommandStats(o.redis), cpuOf(o.pids)];
    const t0 = performance.now();
    await sleep(o.windowMs);
    const [v1, c1, cpu1] = [await resultsValid(o.redis, o.prefix), await allCommandStats(o.redis), cpuOf(o.pids)];
    const seconds = (performance.now() - t0) / 1000;
    const sims = await o.sims.stats();
    const cpu: Record<string, number> = {};
    for (const k of Object.keys(cpu1)) cpu[k] = cpu1[k] - (cpu0[k] ?? 0);
    const commands: LoadWindow['commands'] = {};
    for (const [k, v] of Object.entries(c1)) {
      const calls = v.calls - (c0[k]?.calls ?? 0);
      if (calls > 0) commands[k] = { calls, usec: v.usec - (c0[k]?.usec ?? 0) };
    }
    return { seconds, validated: v1 - v0, rate: (v1 - v0) / seconds, cpu, commands, sims };
  } finally {
    await o.sims.pause();
  }
}

/** CPU seconds summed over the pids whose name starts with `prefix`. */
export const cpuSum = (cpu: Record<string, number>, prefix: string): number =>
  Object.entries(cpu).filter(([k]) => k.startsWith(prefix)).reduce((s, [, v]) => s + v, 0);

/** The Redis commands that took the most time in a window, as "name: µs per validated result (calls)". */
export function topCommands(w: LoadWindow, n = 6): string {
  return Object.entries(w.commands)
    .sort((a, b) => b[1].usec - a[1].usec)
    .slice(0, n)
    .map(([k, v]) => `${k} ${(v.usec / Math.max(1, w.validated)).toFixed(1)} µs (${(v.calls / Math.max(1, w.validated)).toFixed(2)} calls)`)
    .join(', ');
}

/**
 * With 2 replicas per unit, honest hosts and adaptive replication off, every validated unit has exactly
 * two valid results: a unit validated twice, or a result counted twice, would break this.
 */
export async function checkTwoPerUnit(redis: BenchRedis, prefix: string): Promise<{ units: number; results: number }> {
  const [units, results] = (await redis.client.hmget(statsKey(redis, prefix), 'units_valid', 'results_valid')).map((x) => Number(x ?? 0));
  if (results !== 2 * units) throw new Error(`results_valid ${results} is not twice units_valid ${units}`);
  return { units, results };
}

/** Something went wrong on the hosts' side: say what, so a bad figure is never reported as good. */
export function simProblems(s: SimStats): string | undefined {
  const rejected = Object.values(s.rejected).reduce((a, b) => a + b, 0);
  const errors = Object.values(s.errors).reduce((a, b) => a + b, 0);
  if (!rejected && !errors && !s.closed) return undefined;
  return `rejected ${JSON.stringify(s.rejected)}, errors ${JSON.stringify(s.errors)}, closed ${s.closed}; ${s.samples.slice(0, 3).join(' | ')}`;
}
