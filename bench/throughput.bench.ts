/**
 * Coordinator throughput: simulated hosts in separate processes speak the real protocol, compute nothing
 * and return valid results at once; one coordinator process and Redis serve them. We count results
 * validated per second with 2 replicas per unit (each unit: 2 leases, 2 reports, 1 validation) and time
 * request -> work at the hosts. Reference in the same run, on the same Redis: BullMQ's own Worker with a
 * no-op processor draining a queue filled with addBulk.
 * Goals: >= 5,000 validated results/s on 2 cores, and >= 1/3 of BullMQ's rate.
 */
import { fileURLToPath } from 'node:url';
import type { Bench, BenchRow } from './section.js';
import { BullmqReference } from './lib/bullmq-ref.js';
import { startCoordinator, type BenchCoordinator } from './lib/coordinator.js';
import { keysearchBody, submitJob } from './lib/jobs.js';
import { checkTwoPerUnit, cpuSum, loadWindow, simProblems, topCommands, type LoadWindow } from './lib/load.js';
import { killAll } from './lib/procs.js';
import { startBenchRedis, type BenchRedis } from './lib/redis.js';
import { SimGroup } from './lib/sim.js';
import { fmt, percentile, row } from './lib/stats.js';
import { printSection } from './lib/report.js';
import { PROFILE_DIR, redisTimeByScript, summarizeCpuProfile } from './lib/profile.js';

export const SIZES = {
  full: { hosts: 16, processes: 2, warmMs: 1_500, windowMs: 5_000, bullJobs: 30_000 },
  smoke: { hosts: 4, processes: 1, warmMs: 300, windowMs: 1_000, bullJobs: 500 },
};

const bench: Bench = async (opts) => {
  const size = opts.smoke ? SIZES.smoke : SIZES.full;
  const reps = opts.smoke ? 1 : Math.max(3, opts.reps);
  const prefix = 'bthr';
  let redis: BenchRedis | undefined;
  let coord: BenchCoordinator | undefined;
  let sims: SimGroup | undefined;
  let bull: BullmqReference | undefined;
  try {
    redis = await startBenchRedis();
    coord = await startCoordinator({ redisUrl: redis.url, prefix, nodeArgs: PROFILE_DIR ? ['--cpu-prof', `--cpu-prof-dir=${PROFILE_DIR}`] : [] });
    // Ten million units: never runs dry; cut lazily, so it costs one hash.
    await submitJob(coord, keysearchBody({ units: 10_000_000, unitSize: 2 ** 20, policy: { minQuorum: 2, targetResults: 2, adaptive: false, audit: 0, probation: 0, ringers: 0, decoys: 0 } }));
    sims = await SimGroup.start({
      mode: 'throughput', urls: [coord.wsUrl], hosts: size.hosts, processes: size.processes,
      threads: 16, batch: 64, heartbeatMs: 15_000, connectConcurrency: 8,
    });
    bull = BullmqReference.start(redis.url, 'bref');
    const pids: Record<string, number> = { coordinator: coord.pid, redis: redis.pid };
    sims.pids.forEach((pid, i) => (pids[`sim${i}`] = pid));

    const bullRates: number[] = [];
    const windows: LoadWindow[] = [];
    for (let r = 0; r < reps; r++) {
      // Interleaved, so drift in the machine's load falls on both alike.
      bullRates.push(await bull.rate(size.bullJobs, 50));
      windows.push(await loadWindow({ redis, prefix, sims, pids, warmMs: size.warmMs, windowMs: size.windowMs }));
    }
    const problems = windows.map((w) => simProblems(w.sims)).filter(Boolean);
    if (problems.length) throw new Error(`simulated hosts saw errors: ${problems[0]}`);
    const totals = await checkTwoPerUnit(redis, prefix);

    const rates = windows.map((w) => w.rate);
    const rows: BenchRow[] = [
      row({
        metric: 'validated results/s (2 replicas per unit), one coordinator',
        unit: 'results/s',
        ours: rates,
        ref: { name: 'BullMQ Worker, no-op processor, concurrency 50', values: bullRates },
        goal: '>= 5,000/s and >= 1/3 of BullMQ',
        met: (v, ratio) => v >= 5_000 && (ratio ?? 0) >= 1 / 3,
      }),
      row({ metric: 'dispatch latency p50 (request -> work, under that load)', unit: 'ms', ours: windows.map((w) => percentile(w.sims.dispatchMs, 50)) }),
      row({ metric: 'dispatch latency p99 (request -> work, under that load)', unit: 'ms', ours: windows.map((w) => percentile(w.sims.dispatchMs, 99)) }),
      row({ metric: 'coordinator CPU per validated result', unit: 'µs', ours: windows.map((w) => (w.cpu.coordinator / w.validated) * 1e6) }),
      row({ metric: 'Redis CPU per validated result', unit: 'µs', ours: windows.map((w) => (w.cpu.redis / w.validated) * 1e6) }),
    ];
    const mid = windows[Math.floor(windows.length / 2)];
    const notes = [
      `${size.hosts} simulated hosts in ${size.processes} processes, each declaring 16 threads and asking for 64 units per request; ` +
        `a host sends its next request when its previous results are acknowledged. Window ${size.windowMs / 1000} s after ${size.warmMs / 1000} s warm-up, ${reps} windows.`,
      `Job: key search, 10,000,000 units, minQuorum 2, targetResults 2, adaptive replication off: every unit is leased twice, reported twice and validated once. Checked at the end: ${fmt(totals.results)} valid results for ${fmt(totals.units)} valid units, exactly two each, and no result rejected.`,
      `Dispatch latency is what a host sees: the coordinator handles one connection's frames in order; validation runs apart from them (coordinator/validation-queue.ts), so a request no longer waits for the host's previous batch to be validated, only for Redis, which the validations share.`,
      `CPU in one window (s of CPU per s of wall): coordinator ${fmt(mid.cpu.coordinator / mid.seconds, 2)}, Redis ${fmt(mid.cpu.redis / mid.seconds, 2)}, simulated hosts ${fmt(cpuSum(mid.cpu, 'sim') / mid.seconds, 2)} (2 cores in all).`,
      `Redis time per validated result by command (INFO commandstats; commands run inside Lua count both on their own and in evalsha): ${topCommands(mid)}.`,
      `BullMQ reference: ${fmt(size.bullJobs)} no-op jobs added with addBulk (removeOnComplete), drained by a Worker (concurrency 50) in its own process; rate = jobs / time to the last 'completed' event.`,
    ];
    if (PROFILE_DIR) {
      // Profile mode: one more window with Redis logging every command, then the coordinator's CPU profile
      // (written when it exits). Both slow things down: never let these runs write docs/benchmarks.md.
      notes.push(...(await redisTimeByScript(redis, async () => (await loadWindow({ redis: redis!, prefix, sims: sims!, pids, warmMs: 500, windowMs: 1_500 })).validated)));
      await sims.close();
      sims = undefined;
      await coord.stop();
      coord = undefined;
      notes.push(...summarizeCpuProfile(PROFILE_DIR));
    }
    return {
      id: 'throughput',
      title: 'Coordinator throughput: validated results per second',
      command: 'npm run bench -- --only throughput',
      rows,
      notes,
    };
  } finally {
    await sims?.close().catch(() => {});
    await bull?.close().catch(() => {});
    await coord?.stop().catch(() => {});
    await redis?.stop().catch(() => {});
    killAll();
  }
};

export default bench;

if (process.argv[1] === fileURLToPath(import.meta.url)) {
  printSection(await bench({ smoke: process.argv.includes('--smoke'), reps: 3 }));
}
