/**
 * Scale-out: the same simulated load (16 hosts asking for 64 units at a time, returning valid results at
 * once) against one coordinator, then against two coordinators on the same Redis with the hosts split
 * between them. Both measured in the same run, windows interleaved. Alongside: the CPU that Redis and
 * the coordinators spend per validated result, which says where a single Redis runs out (docs/scaling.md).
 */
import { fileURLToPath } from 'node:url';
import type { Bench, BenchRow } from './section.js';
import { startCoordinator, type BenchCoordinator } from './lib/coordinator.js';
import { keysearchBody, submitJob } from './lib/jobs.js';
import { checkTwoPerUnit, cpuSum, loadWindow, simProblems, topCommands, type LoadWindow } from './lib/load.js';
import { killAll } from './lib/procs.js';
import { startBenchRedis, type BenchRedis } from './lib/redis.js';
import { printSection } from './lib/report.js';
import { SimGroup } from './lib/sim.js';
import { fmt, row } from './lib/stats.js';

export const SIZES = {
  full: { hosts: 16, processes: 2, warmMs: 1_500, windowMs: 5_000 },
  smoke: { hosts: 4, processes: 1, warmMs: 300, windowMs: 1_000 },
};

const bench: Bench = async (opts) => {
  const size = opts.smoke ? SIZES.smoke : SIZES.full;
  const reps = opts.smoke ? 1 : Math.max(3, opts.reps);
  const prefix = 'bsco';
  let redis: BenchRedis | undefined;
  const coords: BenchCoordinator[] = [];
  const groups: SimGroup[] = [];
  try {
    redis = await startBenchRedis();
    coords.push(await startCoordinator({ redisUrl: redis.url, prefix }), await startCoordinator({ redisUrl: redis.url, prefix }));
    const [a, b] = coords;
    await submitJob(a, keysearchBody({ units: 10_000_000, unitSize: 2 ** 20, policy: { minQuorum: 2, targetResults: 2, adaptive: false, audit: 0, probation: 0, ringers: 0, decoys: 0 } }));
    const common = { mode: 'throughput' as const, hosts: size.hosts, processes: size.processes, threads: 16, batch: 64, heartbeatMs: 15_000, connectConcurrency: 8 };
    // Two sets of hosts, connected throughout; only one set runs at a time. Host i of the second set
    // goes to coordinator i % 2.
    const one = await SimGroup.start({ ...common, urls: [a.wsUrl] });
    groups.push(one);
    const two = await SimGroup.start({ ...common, urls: [a.wsUrl, b.wsUrl] });
    groups.push(two);
    const pids = (g: SimGroup): Record<string, number> => {
      const p: Record<string, number> = { coordA: a.pid, coordB: b.pid, redis: redis!.pid };
      g.pids.forEach((pid, i) => (p[`sim${i}`] = pid));
      return p;
    };
    const w1: LoadWindow[] = [];
    const w2: LoadWindow[] = [];
    for (let r = 0; r < reps; r++) {
      w1.push(await loadWindow({ redis, prefix, sims: one, pids: pids(one), warmMs: size.warmMs, windowMs: size.windowMs }));
      w2.push(await loadWindow({ redis, prefix, sims: two, pids: pids(two), warmMs: size.warmMs, windowMs: size.windowMs }));
    }
    const problems = [...w1, ...w2].map((w) => simProblems(w.sims)).filter(Boolean);
    if (problems.length) throw new Error(`simulated hosts saw errors: ${problems[0]}`);
    const totals = await checkTwoPerUnit(redis, prefix);

    const perResult = (ws: LoadWindow[], f: (w: LoadWindow) => number) => ws.map((w) => (f(w) / w.validated) * 1e6);
    const redisUs = (w: LoadWindow) => w.cpu.redis;
    const coordUs = (w: LoadWindow) => cpuSum(w.cpu, 'coord');
    const oneName = 'one coordinator, same hosts and Redis';
    const rows: BenchRow[] = [
      row({
        metric: 'validated results/s, two coordinators on one Redis', unit: 'results/s',
        ours: w2.map((w) => w.rate), ref: { name: oneName, values: w1.map((w) => w.rate) },
      }),
      row({
        metric: 'Redis CPU per validated result, two coordinators', unit: 'µs',
        ours: perResult(w2, redisUs), ref: { name: oneName, values: perResult(w1, redisUs) },
      }),
      row({
        metric: 'coordinator CPU per validated result (both together), two coordinators', unit: 'µs',
        ours: perResult(w2, coordUs), ref: { name: oneName, values: perResult(w1, coordUs) },
      }),
      row({
        metric: 'Redis-bound ceiling: validated results/s at one full core of Redis', unit: 'results/s',
        ours: perResult(w2, redisUs).map((us) => 1e6 / us), ref: { name: oneName, values: perResult(w1, redisUs).map((us) => 1e6 / us) },
      }),
    ];
    const m1 = w1[Math.floor(w1.length / 2)];
    const m2 = w2[Math.floor(w2.length / 2)];
    const util = (w: LoadWindow) =>
      `coordinators ${fmt(coordUs(w) / w.seconds, 2)}, Redis ${fmt(w.cpu.redis / w.seconds, 2)}, hosts ${fmt(cpuSum(w.cpu, 'sim') / w.seconds, 2)}`;
    return {
      id: 'scale-out',
      title: 'Scale-out: one coordinator versus two on the same Redis',
      command: 'npm run bench -- --only scale-out',
      rows,
      notes: [
        `${size.hosts} simulated hosts in ${size.processes} processes (as in the throughput benchmark), all on one coordinator, or split evenly between two; windows of ${size.windowMs / 1000} s after ${size.warmMs / 1000} s warm-up, alternating, ${reps} each. Key search job of 10,000,000 units, 2 replicas per unit.`,
        `CPU used per second of wall time: one coordinator: ${util(m1)}; two coordinators: ${util(m2)}. The machine has 2 cores shared by all of these (and by whatever else runs on it), so a second coordinator cannot add CPU here; it shows that coordinators share one Redis without contention or harm: no result was rejected in any window, and at the end ${fmt(totals.results)} valid results stood for ${fmt(totals.units)} valid units, exactly two each.`,
        'Redis-bound ceiling = 1 s / (Redis CPU per validated result): the rate at which a single Redis, given a whole core, would be the bottleneck however many coordinators run. docs/scaling.md uses it.',
        `Redis time per validated result by command, two coordinators: ${topCommands(m2)}.`,
      ],
    };
  } finally {
    for (const g of groups) await g.close().catch(() => {});
    for (const c of coords) await c.stop().catch(() => {});
    await redis?.stop().catch(() => {});
    killAll();
  }
};

export default bench;

if (process.argv[1] === fileURLToPath(import.meta.url)) {
  printSection(await bench({ smoke: process.argv.includes('--smoke'), reps: 3 }));
}
