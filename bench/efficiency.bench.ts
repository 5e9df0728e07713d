/**
 * Efficiency: the share of wall time the compute threads spend inside kernel slices while a stream of
 * short units flows, i.e. how little they wait for the network, the coordinator or the worker's own
 * bookkeeping between units. A worker in this process (every core, no governor: nothing pauses it)
 * runs a key search cut into units of about `unitS` seconds at the kernel speed measured first; after
 * a warm-up, the pool's compute-time counter (worker/pool.ts, updated every slice) is read at the start
 * and end of a window in which units keep finishing and starting. Goal: over 98%.
 */
import { mkdtempSync } from 'node:fs';
import { availableParallelism, tmpdir } from 'node:os';
import { join } from 'node:path';
import { benchKernels } from '../worker/kernel-bench.js';
import { VolunteerWorker } from '../worker/worker.js';
import { OPS_PER_KEY } from '../workunits/keysearch/params.js';
import type { Bench } from './section.js';
import { startCoordinator } from './lib/coordinator.js';
import { getJob, keysearchBody, submitJob } from './lib/jobs.js';
import { sleep, waitFor } from './lib/procs.js';
import { startBenchRedis } from './lib/redis.js';
import { fmt, row } from './lib/stats.js';

const SIZES = {
  full: { unitS: 3, warmS: 4, windowS: 30 },
  smoke: { unitS: 0.3, warmS: 0.5, windowS: 1.5 },
};

const efficiency: Bench = async (opts) => {
  const size = opts.smoke ? SIZES.smoke : SIZES.full;
  const threads = availableParallelism();
  const reps = opts.smoke ? 1 : opts.reps;
  const rate = (await benchKernels({ threads: 1, seconds: opts.smoke ? 0.3 : 2 })).file.kinds.keysearch.opsPerSThread / OPS_PER_KEY;
  const unitSize = Math.max(2 ** 16, Math.round(rate * size.unitS));
  // Enough units that the stream still flows at the end of the window, with room to spare.
  const units = Math.ceil(((size.warmS + size.windowS) / size.unitS) * threads * 1.5) + 8;
  const redis = await startBenchRedis();
  const coord = await startCoordinator({ redisUrl: redis.url, prefix: 'eff' });
  const fractions: number[] = [];
  const unitsPerRep: number[] = [];
  try {
    for (let r = 0; r < reps; r++) {
      const job = await submitJob(coord, keysearchBody({ units, unitSize, exhaustive: true, policy: { minQuorum: 1, targetResults: 1, adaptive: false, audit: 0, probation: 0 } }));
      const worker = new VolunteerWorker({ coordinator: coord.url, threads, configDir: mkdtempSync(join(tmpdir(), 'idlegrid-bench-eff-')) });
      let done = 0;
      worker.on('unitDone', () => done++);
      worker.start();
      try {
        await waitFor('every thread computing', () => worker.computingThreads() === threads, 60_000, 10);
        await sleep(size.warmS * 1000);
        const c0 = worker.computeSeconds();
        const d0 = done;
        const t0 = performance.now();
        await sleep(size.windowS * 1000);
        const c1 = worker.computeSeconds();
        const wall = (performance.now() - t0) / 1000;
        const doc = await getJob(coord, job.id);
        if (doc.progress.unitsDone > units - threads) throw new Error(`the job ran out of units inside the window (${doc.progress.unitsDone} of ${units} done); make it bigger`);
        fractions.push((c1 - c0) / (threads * wall));
        unitsPerRep.push(done - d0);
      } finally {
        await worker.stop('benchmark over');
      }
    }
  } finally {
    await coord.stop();
    await redis.stop();
  }
  return {
    id: 'efficiency',
    title: 'Efficiency: compute threads busy while short units flow',
    command: 'npm run bench -- --only efficiency',
    rows: [
      row({ metric: `time inside kernel slices / (threads x wall), ${threads} threads, units of ~${size.unitS} s`, unit: '%', ours: fractions.map((f) => f * 100), goal: '> 98%', met: (v) => v > 98 }),
      row({ metric: `units finished in the ${size.windowS} s window`, unit: 'units', ours: unitsPerRep }),
    ],
    notes: [
      `Units of ${fmt(unitSize)} keys (${fmt(rate / 1e6, 1)} Mkeys/s per thread measured just before), one replica each, through a coordinator process and Redis of the benchmark's own.`,
      'The counter includes time a thread was preempted inside a slice (the machine is shared, and the coordinator runs beside it); what it excludes is waiting for a unit, progress messages and checkpoints between slices.',
    ],
  };
};

export default efficiency;
