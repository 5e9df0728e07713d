/**
 * Queue depth: a key search job of 1,000,000 units. Submission time (the HTTP round trip), the Redis
 * memory the queued job costs per unit (MEMORY USAGE of the coordinator's keys before and after, and
 * INFO used_memory as a check, over the units: units are cut lazily from a cursor, so this should be
 * tiny), and the coordinator's heap after the job is queued
 * and 4,096 replicas are out with 64 simulated hosts, against the same with a 10,000-unit job: a heap
 * that does not grow with the queue gives a ratio of 1.
 * References in the same run: the 10,000-unit job; BullMQ's Redis bytes per waiting job.
 * Goal: under 500 bytes of Redis memory per unit; coordinator heap independent of queue length.
 */
import { fileURLToPath } from 'node:url';
import { median, type Bench, type BenchRow } from './section.js';
import { bullmqBytesPerJob } from './lib/bullmq-ref.js';
import { startCoordinator } from './lib/coordinator.js';
import type { MemoryUsage } from './lib/inspector.js';
import { keysearchBody, submitJob } from './lib/jobs.js';
import { simProblems } from './lib/load.js';
import { killAll } from './lib/procs.js';
import { keyspaceBytes, startBenchRedis, usedMemory, type BenchRedis } from './lib/redis.js';
import { printSection } from './lib/report.js';
import { SimGroup } from './lib/sim.js';
import { fmt, row } from './lib/stats.js';

export const SIZES = {
  full: { bigUnits: 1_000_000, smallUnits: 10_000, hosts: 64, processes: 2, bullJobs: 10_000 },
  smoke: { bigUnits: 10_000, smallUnits: 1_000, hosts: 4, processes: 1, bullJobs: 200 },
};
const BATCH = 64;
const UNIT_SIZE = 2 ** 20;

interface Trial {
  submitMs: number;
  /** Growth of the coordinator's keys (MEMORY USAGE) per unit queued, and per replica leased. */
  redisBytesPerUnit: number;
  redisBytesPerLease: number;
  /** The same from INFO used_memory (moves with client buffers too). */
  usedMemoryPerUnit: number;
  usedMemoryPerLease: number;
  leased: number;
  heapIdle: MemoryUsage;
  heapQueued: MemoryUsage;
  heapLeased: MemoryUsage;
}

async function trial(redis: BenchRedis, prefix: string, units: number, size: (typeof SIZES)['full']): Promise<Trial> {
  const coord = await startCoordinator({ redisUrl: redis.url, prefix, inspect: true });
  let sims: SimGroup | undefined;
  try {
    const heapIdle = await coord.inspector!.memory();
    const keys = `${prefix}:*`;
    const [k0, m0] = [await keyspaceBytes(redis.client, keys), await usedMemory(redis.client)];
    const t0 = performance.now();
    await submitJob(coord, keysearchBody({ units, unitSize: UNIT_SIZE, policy: { minQuorum: 2, targetResults: 2, adaptive: false, audit: 0, probation: 0, ringers: 0, decoys: 0 } }));
    const submitMs = performance.now() - t0;
    const [k1, m1] = [await keyspaceBytes(redis.client, keys), await usedMemory(redis.client)];
    const heapQueued = await coord.inspector!.memory();
    sims = await SimGroup.start({
      mode: 'lease', urls: [coord.wsUrl], hosts: size.hosts, processes: size.processes, threads: 16, batch: BATCH,
      heartbeatMs: 15_000, connectConcurrency: 16,
    });
    const leased = await sims.lease();
    const problem = simProblems(await sims.stats());
    if (problem) throw new Error(`hosts saw errors: ${problem}`);
    if (leased !== size.hosts * BATCH) throw new Error(`expected ${size.hosts * BATCH} replicas leased, got ${leased}`);
    const [k2, m2] = [await keyspaceBytes(redis.client, keys), await usedMemory(redis.client)];
    const heapLeased = await coord.inspector!.memory();
    return {
      submitMs,
      redisBytesPerUnit: (k1.bytes - k0.bytes) / units,
      redisBytesPerLease: (k2.bytes - k1.bytes) / leased,
      usedMemoryPerUnit: (m1 - m0) / units,
      usedMemoryPerLease: (m2 - m1) / leased,
      leased,
      heapIdle,
      heapQueued,
      heapLeased,
    };
  } finally {
    await sims?.close();
    await coord.stop();
  }
}

const bench: Bench = async (opts) => {
  const size = opts.smoke ? SIZES.smoke : SIZES.full;
  const reps = opts.smoke ? 1 : Math.max(3, opts.reps);
  let redis: BenchRedis | undefined;
  try {
    redis = await startBenchRedis();
    const big: Trial[] = [];
    const small: Trial[] = [];
    const bull: number[] = [];
    for (let r = 0; r < reps; r++) bull.push(await bullmqBytesPerJob(redis.url, 'bqref', size.bullJobs));
    for (let r = 0; r < reps; r++) {
      small.push(await trial(redis, `bqs${r}`, size.smallUnits, size));
      big.push(await trial(redis, `bqb${r}`, size.bigUnits, size));
    }
    const MB = 2 ** 20;
    const smallName = `the same with a ${fmt(size.smallUnits)}-unit job`;
    const rows: BenchRow[] = [
      row({
        metric: `submission time, ${fmt(size.bigUnits)}-unit job (HTTP POST to 201)`, unit: 'ms',
        ours: big.map((t) => t.submitMs), ref: { name: smallName, values: small.map((t) => t.submitMs) },
      }),
      row({
        metric: 'Redis memory per queued unit', unit: 'B',
        ours: big.map((t) => t.redisBytesPerUnit), ref: { name: 'BullMQ, per waiting job (addBulk)', values: bull },
        goal: '< 500 B', met: (v) => v < 500,
      }),
      row({
        metric: 'Redis memory per replica out with a host (unit hash, lease indexes)', unit: 'B',
        ours: big.map((t) => t.redisBytesPerLease), ref: { name: 'BullMQ, per waiting job (addBulk)', values: bull },
      }),
      row({
        metric: `coordinator heap, ${fmt(size.bigUnits)} units queued and ${fmt(size.hosts * BATCH)} replicas out`, unit: 'MB',
        ours: big.map((t) => t.heapLeased.heapUsed / MB), ref: { name: smallName, values: small.map((t) => t.heapLeased.heapUsed / MB) },
        goal: '<= 1.1x (does not grow with the queue)', met: (_v, ratio) => ratio !== null && ratio <= 1.1,
      }),
    ];
    const b = big[Math.floor(big.length / 2)];
    return {
      id: 'queue-depth',
      title: `Queue depth: a ${fmt(size.bigUnits)}-unit job`,
      command: 'npm run bench -- --only queue-depth',
      rows,
      notes: [
        `Key search job of ${fmt(size.bigUnits)} units of 2^20 keys, 2 replicas per unit. Units are cut lazily from the job's cursor when first leased, so a queued job is one hash whatever its length.`,
        `Redis memory = growth of MEMORY USAGE summed over the coordinator's keys (SCAN ${'<prefix>'}:*) across the submission, divided by the units; per replica: across ${fmt(size.hosts)} hosts each leasing ${BATCH} (one request each), divided by the replicas. INFO used_memory, which also moves with client buffers, gave ${fmt(median(big.map((t) => t.usedMemoryPerUnit)), 3)} B per unit and ${fmt(median(big.map((t) => t.usedMemoryPerLease)))} B per replica (medians).`,
        `Coordinator heap (V8 heapUsed after a full GC, read through the inspector of the coordinator process) in one repetition: idle ${fmt(b.heapIdle.heapUsed / MB, 1)} MB, job queued ${fmt(b.heapQueued.heapUsed / MB, 1)} MB, replicas out ${fmt(b.heapLeased.heapUsed / MB, 1)} MB. A fresh coordinator per measurement.`,
        `BullMQ reference: ${fmt(size.bullJobs)} jobs with a one-field payload added with addBulk; growth of MEMORY USAGE over the queue's keys, per job.`,
      ],
    };
  } finally {
    await redis?.stop().catch(() => {});
    killAll();
  }
};

export default bench;

if (process.argv[1] === fileURLToPath(import.meta.url)) {
  printSection(await bench({ smoke: process.argv.includes('--smoke'), reps: 3 }));
}
