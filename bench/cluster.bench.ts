/**
 * Redis Cluster: the same simulated load (as in the throughput benchmark) against one coordinator on a
 * three-master Redis Cluster, one on a Sentinel pair (a primary and a replica; the coordinator waits for
 * the replica, its default there) and one on a single Redis, measured in the same run, windows in turn.
 * Rows: validated results/s, Redis CPU per validated result (all masters summed; the primary's alone for
 * the pair), and how the cluster's Redis CPU is shared among its masters. The deployment's state is in one slot
 * (store/keys.ts), so one master is expected to do nearly all of it: this measures what that costs and
 * what it leaves on the table (docs/scaling.md, "On Redis Cluster").
 */
import { fileURLToPath } from 'node:url';
import type { Bench, BenchRow } from './section.js';
import { startCoordinator, type BenchCoordinator } from './lib/coordinator.js';
import { keysearchBody, submitJob } from './lib/jobs.js';
import { checkTwoPerUnit, cpuSum, loadWindow, simProblems, topCommands, type LoadWindow } from './lib/load.js';
import { killAll } from './lib/procs.js';
import { startBenchCluster, startBenchRedis, startBenchSentinel, type BenchRedis } from './lib/redis.js';
import { printSection } from './lib/report.js';
import { SimGroup } from './lib/sim.js';
import { fmt, row } from './lib/stats.js';

export const SIZES = {
  full: { hosts: 16, processes: 2, warmMs: 1_500, windowMs: 5_000 },
  smoke: { hosts: 4, processes: 1, warmMs: 300, windowMs: 1_000 },
};

const MASTERS = 3;

const bench: Bench = async (opts) => {
  const size = opts.smoke ? SIZES.smoke : SIZES.full;
  const reps = opts.smoke ? 1 : Math.max(3, opts.reps);
  const prefix = 'bclu';
  const stores: BenchRedis[] = [];
  const coords: BenchCoordinator[] = [];
  const groups: SimGroup[] = [];
  try {
    const single = await startBenchRedis();
    stores.push(single);
    const cluster = await startBenchCluster(MASTERS);
    stores.push(cluster);
    const pair = await startBenchSentinel({ replicas: 1, sentinels: 3 });
    stores.push(pair);
    const onSingle = await startCoordinator({ redisUrl: single.url, prefix });
    coords.push(onSingle);
    const onCluster = await startCoordinator({ redisUrl: cluster.url, prefix });
    coords.push(onCluster);
    const onPair = await startCoordinator({ redisUrl: pair.url, prefix });
    coords.push(onPair);
    const body = keysearchBody({ units: 10_000_000, unitSize: 2 ** 20, policy: { minQuorum: 2, targetResults: 2, adaptive: false, audit: 0, probation: 0, ringers: 0, decoys: 0 } });
    await submitJob(onSingle, body);
    await submitJob(onCluster, body);
    await submitJob(onPair, body);
    const common = { mode: 'throughput' as const, hosts: size.hosts, processes: size.processes, threads: 16, batch: 64, heartbeatMs: 15_000, connectConcurrency: 8 };
    // Two sets of hosts, connected throughout; only one set runs at a time.
    const simsSingle = await SimGroup.start({ ...common, urls: [onSingle.wsUrl] });
    groups.push(simsSingle);
    const simsCluster = await SimGroup.start({ ...common, urls: [onCluster.wsUrl] });
    groups.push(simsCluster);
    const simsPair = await SimGroup.start({ ...common, urls: [onPair.wsUrl] });
    groups.push(simsPair);
    const pids = (g: SimGroup, c: BenchCoordinator, redisPids: Record<string, number>): Record<string, number> => {
      const p: Record<string, number> = { coord: c.pid, ...redisPids };
      g.pids.forEach((pid, i) => (p[`sim${i}`] = pid));
      return p;
    };
    const ws: LoadWindow[] = [];
    const wc: LoadWindow[] = [];
    const wp: LoadWindow[] = [];
    for (let r = 0; r < reps; r++) {
      wp.push(await loadWindow({ redis: pair, prefix, sims: simsPair, pids: pids(simsPair, onPair, { redis0: pair.pid, replica: pair.replicaPid }), warmMs: size.warmMs, windowMs: size.windowMs }));
      ws.push(await loadWindow({ redis: single, prefix, sims: simsSingle, pids: pids(simsSingle, onSingle, { redis0: single.pid }), warmMs: size.warmMs, windowMs: size.windowMs }));
      wc.push(await loadWindow({ redis: cluster, prefix, sims: simsCluster, pids: pids(simsCluster, onCluster, cluster.pids), warmMs: size.warmMs, windowMs: size.windowMs }));
    }
    const problems = [...ws, ...wc, ...wp].map((w) => simProblems(w.sims)).filter(Boolean);
    if (problems.length) throw new Error(`simulated hosts saw errors: ${problems[0]}`);
    const totals = await checkTwoPerUnit(cluster, prefix);

    const perResult = (w: LoadWindow, us: number) => (us / w.validated) * 1e6;
    const redisCpu = (w: LoadWindow) => cpuSum(w.cpu, 'redis');
    const busiest = (w: LoadWindow) => Math.max(...Object.keys(cluster.pids).map((k) => w.cpu[k])) / Math.max(1e-9, redisCpu(w));
    const singleName = 'one coordinator on a single Redis, same hosts';
    // Each row: a store's windows against the single Redis's, the same figure of each window.
    const vsSingle = (metric: string, unit: string, ours: LoadWindow[], f: (w: LoadWindow) => number): BenchRow =>
      row({ metric, unit, ours: ours.map(f), ref: { name: singleName, values: ws.map(f) } });
    const redisUs = (w: LoadWindow) => perResult(w, redisCpu(w));
    const rows: BenchRow[] = [
      vsSingle(`validated results/s, one coordinator on a ${MASTERS}-master cluster`, 'results/s', wc, (w) => w.rate),
      vsSingle('Redis CPU per validated result, all masters summed', 'µs', wc, redisUs),
      vsSingle('validated results/s, one coordinator on a Sentinel pair (waiting for the replica)', 'results/s', wp, (w) => w.rate),
      vsSingle('Redis CPU per validated result, Sentinel pair (the primary)', 'µs', wp, redisUs),
      vsSingle('coordinator CPU per validated result, on the cluster', 'µs', wc, (w) => perResult(w, cpuSum(w.cpu, 'coord'))),
      row({
        metric: 'busiest master\'s share of the cluster\'s Redis CPU (1/3 would be even)', unit: 'fraction',
        ours: wc.map(busiest),
      }),
    ];
    const m = wc[Math.floor(wc.length / 2)];
    const shares = Object.keys(cluster.pids).map((k) => `${k} ${fmt(m.cpu[k] / m.seconds, 2)}`).join(', ');
    return {
      id: 'cluster',
      title: 'Redis Cluster and Sentinel pair versus a single Redis, same hosts',
      command: 'npm run bench -- --only cluster',
      rows,
      notes: [
        `${size.hosts} simulated hosts in ${size.processes} processes (as in the throughput benchmark) on each coordinator, one set running at a time; windows of ${size.windowMs / 1000} s after ${size.warmMs / 1000} s warm-up, in turn, ${reps} each. Key search job of 10,000,000 units, 2 replicas per unit, on each store. The cluster's masters have no replicas; the pair's coordinator waits for its replica (--redis-wait-replicas 1, the default through Sentinel), whose own CPU per second was ${fmt(wp[Math.floor(wp.length / 2)].cpu.replica / wp[Math.floor(wp.length / 2)].seconds, 2)} (median window).`,
        `Redis CPU per second of wall time on the cluster, by master (median window): ${shares}. Every key of the coordinator's state carries the hash tag {${prefix}}, so one master serves all of it; the others answer only the cluster's own gossip. Recordings (none here) would spread over all masters.`,
        `Redis time per validated result by command on the cluster: ${topCommands(m)}. At the end ${fmt(totals.results)} valid results stood for ${fmt(totals.units)} valid units on the cluster, exactly two each.`,
      ],
    };
  } finally {
    for (const g of groups) await g.close().catch(() => {});
    for (const c of coords) await c.stop().catch(() => {});
    for (const s of stores) await s.stop().catch(() => {});
    killAll();
  }
};

export default bench;

if (process.argv[1] === fileURLToPath(import.meta.url)) {
  printSection(await bench({ smoke: process.argv.includes('--smoke'), reps: 3 }));
}
