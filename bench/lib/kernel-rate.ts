/**
 * A kernel's raw speed on this machine, right now: `threads` threads, each stepping a compiled kernel of
 * dist/workunits/ (the very module the worker loads) on one unit in ~100 ms slices for a fixed time,
 * by default at the lowest OS priority as the worker's compute threads run (worker/thread.ts). Returns
 * operations per second of stepping per thread, averaged over the threads (so threads x rate is the rate
 * of the whole machine for the end-to-end ideal), and operations per CPU-second (process.cpuUsage covers
 * every thread of the process; the main thread only waits meanwhile), which other load cannot change.
 * kernelRate is the key search's figure in keys.
 */
import { Worker } from 'node:worker_threads';
import { join } from 'node:path';
import { pathToFileURL } from 'node:url';
import { OPS_PER_KEY } from '../../workunits/keysearch/params.js';
import { ROOT } from './procs.js';

const THREAD = `
const { parentPort, workerData } = require('node:worker_threads');
if (workerData.nice) try { require('node:os').setPriority(0, 19); } catch {}
(async () => {
  const kernel = (await import(workerData.kernelUrl)).default;
  const go = new Int32Array(workerData.go);
  const state = kernel.init(workerData.unit, undefined);
  let budget = kernel.initialBudget;
  kernel.step(state, budget); // compile and warm up
  parentPort.postMessage({ ready: true });
  Atomics.wait(go, 0, 0);
  const ops0 = kernel.opsDone(state);
  const t0 = performance.now();
  let now = t0;
  while (now - t0 < workerData.ms) {
    const s = performance.now();
    kernel.step(state, budget);
    now = performance.now();
    budget = Math.max(1, Math.round(budget * Math.min(2, Math.max(0.5, 100 / Math.max(now - s, 0.01)))));
  }
  parentPort.postMessage({ ops: kernel.opsDone(state) - ops0, seconds: (now - t0) / 1000 });
})().catch((e) => parentPort.postMessage({ error: String(e && e.stack || e) }));
`;

/** A unit of 2^32 keys: far more than any measurement gets through. */
export const KEYSEARCH_UNIT = { b: 9, rounds: 12, iv: '0123456789abcdef', plaintext: '54686520756e6b6e', targets: ['8a4f31c9e2d07b56'], start: '0a1b2c3d0000000000', count: 2 ** 32 };

export interface KernelRate {
  /** Per second per thread, averaged over the threads (keys for kernelRate, the kind's operations otherwise). */
  perThread: number;
  /** Per CPU-second of this process over the measurement (the threads' CPU time and little else). */
  perCpuSecond: number;
}

export async function kernelRate(threads: number, seconds: number): Promise<KernelRate> {
  const r = await kernelOpsRate({ kernelModule: 'keysearch/kernel.js', spec: KEYSEARCH_UNIT, threads, seconds });
  return { perThread: r.perThread / OPS_PER_KEY, perCpuSecond: r.perCpuSecond / OPS_PER_KEY };
}

export interface KernelRun {
  /** Kind.kernelModule, relative to dist/workunits/. */
  kernelModule: string;
  /** A unit far bigger than the measurement gets through. */
  spec: unknown;
  threads: number;
  seconds: number;
  /** At the lowest OS priority, as the worker's threads run (default); false: as any program runs. */
  nice?: boolean;
}

/** The same as kernelRate, in the kind's operations, for any kernel and unit. */
export async function kernelOpsRate(o: KernelRun): Promise<KernelRate> {
  const go = new SharedArrayBuffer(4);
  const workerData = {
    kernelUrl: pathToFileURL(join(ROOT, 'dist', 'workunits', o.kernelModule)).href,
    unit: o.spec,
    ms: o.seconds * 1000,
    nice: o.nice ?? true,
    go,
  };
  const workers = Array.from({ length: o.threads }, () => new Worker(THREAD, { eval: true, workerData }));
  try {
    const results = workers.map((w) => new Promise<{ ops: number; seconds: number }>((res, rej) => {
      w.on('message', (m: { ready?: boolean; ops?: number; seconds?: number; error?: string }) => {
        if (m.error) rej(new Error(`kernel thread: ${m.error}`));
        else if (m.ops !== undefined) res({ ops: m.ops, seconds: m.seconds! });
      });
      w.on('error', rej);
    }));
    await Promise.all(workers.map((w) => new Promise<void>((res) => {
      const onReady = (m: { ready?: boolean; error?: string }) => {
        if (m.ready || m.error) {
          w.off('message', onReady);
          res();
        }
      };
      w.on('message', onReady);
    })));
    const flag = new Int32Array(go);
    const cpu0 = process.cpuUsage();
    Atomics.store(flag, 0, 1);
    Atomics.notify(flag, 0);
    const done = await Promise.all(results);
    const cpu = process.cpuUsage(cpu0);
    const cpuS = (cpu.user + cpu.system) / 1e6;
    return {
      perThread: done.reduce((s, d) => s + d.ops / d.seconds, 0) / o.threads,
      perCpuSecond: done.reduce((s, d) => s + d.ops, 0) / cpuS,
    };
  } finally {
    await Promise.all(workers.map((w) => w.terminate()));
  }
}
