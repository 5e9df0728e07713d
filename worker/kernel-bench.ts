/**
 * `idlegrid worker --bench` (dnetc's -bench, BOINC's CPU benchmarks): each kind's kernel runs on a sample
 * unit for a few seconds, first on one thread, then on every thread at once, in the real compute threads
 * at their real (lowest) priority. The per-thread speed goes to the coordinator in hello.
 */
import { cpus } from 'node:os';
import { KINDS, type Kind } from '../workunits/index.js';
import { makeDemoJob } from '../workunits/keysearch/kind.js';
import { ComputePool } from './pool.js';
import type { BenchFile } from './bench-cache.js';

/**
 * A sample job per kind, big enough that no unit finishes within a benchmark. Kinds without one here
 * (or whose units read input data) are listed as not benchmarked.
 */
const SAMPLES: Record<string, () => unknown> = {
  keysearch: () => makeDemoJob(new Uint8Array(16), { count: 2 ** 32, unitSize: 2 ** 32 }),
  // A generated recording needs no input data: the spike search at SETI@home's longest FFT.
  fftscan: () => ({
    source: { format: 'synthetic', seed: 1, sampleRateHz: 9765.625, centreFrequencyHz: 1.42e9, sampleCount: 2 ** 20, signals: [] },
    fftSizes: [131072],
    maxDrift: 20,
    opsPerUnit: 1e12,
  }),
};

export interface BenchRow {
  kind: string;
  version: number;
  /** What the kind counts ("keys"), with items per operation, to show keys/s beside FLOPS. */
  itemName: string | null;
  itemsPerOp: number | null;
  opsPerSThread: number;
  opsPerSAll: number;
  threads: number;
}

export interface BenchReport {
  rows: BenchRow[];
  skipped: Array<{ kind: string; why: string }>;
  file: BenchFile;
}

export function sampleUnit(kind: Kind): { spec: unknown; itemsPerOp: number | null } | string {
  const make = SAMPLES[kind.name];
  if (!make) return 'no sample unit for this kind in worker/kernel-bench.ts';
  const params = kind.params.parse(make());
  const plan = kind.plan(params);
  if (!plan.ok) return `sample job rejected: ${plan.error.message}`;
  const spec = kind.unit(params, plan.value, 0);
  if (kind.input?.(params, spec)) return 'its units read input data';
  const ops = kind.ops(spec);
  return { spec, itemsPerOp: kind.items && ops > 0 ? kind.items(spec) / ops : null };
}

/** Run `n` copies of the unit for `seconds`; operations per second of computing, summed over copies. */
async function measure(pool: ComputePool, kind: Kind, spec: unknown, n: number, seconds: number): Promise<{ perThread: number; all: number }> {
  const t0 = performance.now();
  const tasks = Array.from({ length: n }, () => pool.run({ kernelModule: kind.kernelModule, spec }, () => {}));
  await new Promise((r) => setTimeout(r, seconds * 1000));
  for (const t of tasks) t.abort();
  const outcomes = [];
  for (const o of await Promise.all(tasks.map((t) => t.outcome))) {
    if (o.status === 'failed') throw new Error(`${kind.name}: its kernel failed on the sample unit: ${o.error.message}`);
    outcomes.push(o);
  }
  const wall = (performance.now() - t0) / 1000;
  const ops = outcomes.reduce((a, o) => a + o.opsDone, 0);
  const compute = outcomes.reduce((a, o) => a + o.computeS, 0);
  return { perThread: compute > 0 ? ops / compute : 0, all: ops / wall };
}

export async function benchKernels(opts: { threads: number; seconds: number; onKind?: (kind: string) => void }): Promise<BenchReport> {
  const rows: BenchRow[] = [];
  const skipped: BenchReport['skipped'] = [];
  const pool = new ComputePool(opts.threads);
  try {
    for (const kind of Object.values(KINDS)) {
      const sample = sampleUnit(kind);
      if (typeof sample === 'string') {
        skipped.push({ kind: kind.name, why: sample });
        continue;
      }
      opts.onKind?.(kind.name);
      // A short warm-up on every thread first, so thread start, JIT and WebAssembly compile are not in the figures.
      await measure(pool, kind, sample.spec, opts.threads, Math.min(0.5, opts.seconds / 4));
      const one = await measure(pool, kind, sample.spec, 1, opts.seconds);
      const all = opts.threads > 1 ? await measure(pool, kind, sample.spec, opts.threads, opts.seconds) : { all: one.all };
      rows.push({ kind: kind.name, version: kind.version, itemName: kind.itemName ?? null, itemsPerOp: sample.itemsPerOp, opsPerSThread: one.perThread, opsPerSAll: all.all, threads: opts.threads });
    }
  } finally {
    await pool.destroy();
  }
  const file: BenchFile = {
    at: new Date().toISOString(),
    cpuModel: cpus()[0]?.model,
    threads: opts.threads,
    kinds: Object.fromEntries(rows.map((r) => [r.kind, { version: r.version, opsPerSThread: r.opsPerSThread, opsPerSAll: r.opsPerSAll }])),
  };
  return { rows, skipped, file };
}
