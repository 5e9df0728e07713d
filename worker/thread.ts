/**
 * Entry point of a compute thread (piscina). Runs a kind's kernel in slices: between slices it reports
 * progress, writes checkpoints and obeys the pause/abort flag, so the user gets the machine back within
 * a slice. The thread lowers its own OS priority first (on Linux nice is per thread).
 */
import { setPriority } from 'node:os';
import type { Kernel } from '../workunits/kind.js';
import { ABORT, PAUSE, type ThreadOutcome, type ThreadTask } from './thread-protocol.js';

try {
  setPriority(0, 19);
} catch {
  /* not permitted on this platform: run at normal priority */
}

const kernels = new Map<string, Kernel>();

async function loadKernel(module: string): Promise<Kernel> {
  let k = kernels.get(module);
  if (!k) {
    k = (await import(new URL(`../workunits/${module}`, import.meta.url).href)).default as Kernel;
    kernels.set(module, k);
  }
  return k;
}

export default async function run(task: ThreadTask): Promise<ThreadOutcome> {
  const kernel = await loadKernel(task.kernelModule);
  const control = new Int32Array(task.control);
  const state = kernel.init(task.spec, task.input, task.checkpoint);
  let budget = kernel.initialBudget;
  let computeMs = 0;
  let lastReport = 0;
  let lastCheckpoint = performance.now();
  try {
    for (;;) {
      while (Atomics.load(control, 0) === PAUSE) Atomics.wait(control, 0, PAUSE, 1000);
      if (Atomics.load(control, 0) === ABORT) {
        return { status: 'aborted', checkpoint: kernel.checkpoint(state), opsDone: kernel.opsDone(state), computeS: computeMs / 1000 };
      }
      const t0 = performance.now();
      const done = kernel.step(state, budget);
      const dt = performance.now() - t0;
      computeMs += dt;
      // Aim each slice at sliceMs; grow or shrink the budget gradually so one odd slice does not swing it.
      budget = Math.max(1, Math.round(budget * Math.min(2, Math.max(0.5, task.sliceMs / Math.max(dt, 0.01)))));
      if (done) break;
      const now = performance.now();
      if (now - lastReport > 250) {
        lastReport = now;
        const msg: { fraction: number; opsDone: number; checkpoint?: unknown } = { fraction: kernel.progress(state), opsDone: kernel.opsDone(state) };
        if (now - lastCheckpoint > task.checkpointMs) {
          lastCheckpoint = now;
          msg.checkpoint = kernel.checkpoint(state);
        }
        task.port.postMessage(msg);
      }
    }
    return { status: 'done', result: kernel.result(state), opsDone: kernel.opsDone(state), computeS: computeMs / 1000 };
  } finally {
    task.port.close();
  }
}
