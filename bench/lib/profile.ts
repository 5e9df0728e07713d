/**
 * Where the time goes, for the throughput benchmark's profile mode
 * (`IDLEGRID_BENCH_PROFILE=<dir> npm run bench -- --only throughput --no-write`):
 * - Redis: one extra window with SLOWLOG catching every command (threshold 0), grouped by script
 *   (EVALSHA digests mapped back to coordinator/store/lua/*.lua) and by plain command. Logging every
 *   command slows Redis, so the shares are what to read, not the absolute times.
 * - Coordinator: it runs with --cpu-prof; the profile written at exit is summed by self time per
 *   function and per file.
 */
import { createHash } from 'node:crypto';
import { readFileSync, readdirSync } from 'node:fs';
import { join } from 'node:path';
import { scriptSources } from '../../coordinator/store/scripts.js';
import type { BenchRedis } from './redis.js';

export const PROFILE_DIR = process.env.IDLEGRID_BENCH_PROFILE || undefined;

type SlowlogEntry = [number, number, number, string[], ...unknown[]];

/** Run `window` with every Redis command logged; returns lines "name: share of Redis time, µs per call". */
export async function redisTimeByScript(redis: BenchRedis, window: () => Promise<number>): Promise<string[]> {
  const names = new Map(Object.entries(scriptSources()).map(([n, src]) => [createHash('sha1').update(src).digest('hex'), `${n}.lua`]));
  const c = redis.client;
  await c.config('SET', 'slowlog-max-len', '300000');
  await c.config('SET', 'slowlog-log-slower-than', '0');
  await c.slowlog('RESET');
  let validated: number;
  try {
    validated = await window();
  } finally {
    await c.config('SET', 'slowlog-log-slower-than', '10000');
  }
  const log = (await c.slowlog('GET', 300_000)) as SlowlogEntry[];
  await c.slowlog('RESET');
  const scripts = new Map<string, { n: number; us: number }>();
  let scriptUs = 0;
  for (const [, , us, args] of log) {
    if (String(args[0]).toLowerCase() !== 'evalsha') continue;
    const name = names.get(String(args[1])) ?? `script ${String(args[1]).slice(0, 8)}`;
    const x = scripts.get(name) ?? { n: 0, us: 0 };
    x.n++;
    x.us += us;
    scriptUs += us;
    scripts.set(name, x);
  }
  return [
    `${log.length} commands logged while ${validated} results were validated; Lua scripts took ${((scriptUs / Math.max(1, log.reduce((s, e) => s + e[2], 0))) * 100).toFixed(0)}% of the logged time (the commands they run are logged inside it too)`,
    ...[...scripts.entries()].sort((a, b) => b[1].us - a[1].us).map(([k, v]) =>
      `${k}: ${((v.us / scriptUs) * 100).toFixed(0)}% of script time, ${v.n} calls, ${(v.us / v.n).toFixed(0)} µs per call (with logging)`),
  ];
}

/** The newest .cpuprofile in `dir`, summed: self time by file and by function, top `n` of each. */
export function summarizeCpuProfile(dir: string, n = 12): string[] {
  const file = readdirSync(dir).filter((f) => f.endsWith('.cpuprofile')).sort().pop();
  if (!file) return [`no .cpuprofile in ${dir}`];
  const p = JSON.parse(readFileSync(join(dir, file), 'utf8')) as {
    nodes: Array<{ id: number; callFrame: { functionName: string; url: string; lineNumber: number } }>;
    samples: number[];
    timeDeltas: number[];
  };
  const byId = new Map(p.nodes.map((x) => [x.id, x]));
  const perFn = new Map<string, number>();
  const perFile = new Map<string, number>();
  let total = 0;
  p.samples.forEach((id, i) => {
    const t = p.timeDeltas[i] ?? 0;
    total += t;
    const cf = byId.get(id)!.callFrame;
    const url = cf.url.replace(/^file:\/\/.*?\/(dist|node_modules)\//, '$1/');
    const pkg = url.startsWith('node_modules/') ? url.split('/').slice(0, url.includes('/@') ? 3 : 2).join('/') : url || `(${cf.functionName || 'native'})`;
    perFile.set(pkg, (perFile.get(pkg) ?? 0) + t);
    const fn = `${cf.functionName || '(anonymous)'} ${url ? `${url}:${cf.lineNumber + 1}` : ''}`.trim();
    perFn.set(fn, (perFn.get(fn) ?? 0) + t);
  });
  const top = (m: Map<string, number>) => [...m.entries()].sort((a, b) => b[1] - a[1]).slice(0, n).map(([k, v]) => `${((v / total) * 100).toFixed(1)}% ${k}`).join('; ');
  return [`coordinator CPU profile ${file} (${(total / 1e6).toFixed(1)} s sampled), self time by file: ${top(perFile)}`, `by function: ${top(perFn)}`];
}
