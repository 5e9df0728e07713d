/**
 * Entry point of a compute thread (piscina). Runs a kind's kernel in slices: between slices it reports
 * progress, writes checkpoints and obeys the pause/abort flag, so the user gets the machine back within
 * a slice. The thread lowers its own OS priority first (on Linux nice is per thread).
 */
import { setPriority } from 'node:os';
import { loadKernel } from '../workunits/load-kernel.js';
import {
  ABORT, CHECKPOINT_MS, CMD, COMPUTE_MS, COMPUTING, ENDED, NOT_IN_SLICE, PAUSE, PAUSED, SLICE_START, STATE, sharedNow,
  type ThreadOutcome, type ThreadProgress, type ThreadTask,
} from './thread-protocol.js';

try {
  setPriority(0, 19);
} catch {
  /* not permitted on this platform: run at normal priority */
}

/** Progress reports to the main thread: often enough for a live ETA, rare enough to cost nothing. */
const PROGRESS_MS = 1_000;

/**
 * Nobody waits on STATE (the main thread reads it), so no Atomics.notify: that takes a process-wide
 * lock, and a starved nice-19 thread preempted while holding it stalls the other compute threads.
 */
function setState(control: Int32Array, state: number): void {
  if (Atomics.load(control, STATE) !== state) Atomics.store(control, STATE, state);
}

export default async function run(task: ThreadTask): Promise<ThreadOutcome> {
  const control = new Int32Array(task.control);
  try {
    const kernel = await loadKernel(task.kernelModule);
    const state = kernel.init(task.spec, task.input, task.checkpoint);
    let budget = kernel.initialBudget;
    let computeMs = 0;
    let lastReport = 0;
    let lastCheckpoint = performance.now();
    const progress = (): ThreadProgress => ({ fraction: kernel.progress(state), opsDone: kernel.opsDone(state), computeS: computeMs / 1000 });
    // Where this run starts (more than zero when resumed from a checkpoint): the worker logs it.
    task.port.postMessage(progress());
    for (;;) {
      if (Atomics.load(control, CMD) === PAUSE) {
        setState(control, PAUSED);
        // Tell the main thread at once: the pause has taken effect (it shows "paused" per thread).
        task.port.postMessage(progress());
        while (Atomics.load(control, CMD) === PAUSE) Atomics.wait(control, CMD, PAUSE, 1000);
      }
      if (Atomics.load(control, CMD) === ABORT) {
        return { status: 'aborted', checkpoint: kernel.checkpoint(state), opsDone: kernel.opsDone(state), computeS: computeMs / 1000 };
      }
      setState(control, COMPUTING);
      Atomics.store(control, SLICE_START, Math.round(sharedNow() - task.originMs));
      const t0 = performance.now();
      const done = kernel.step(state, budget);
      const dt = performance.now() - t0;
      computeMs += dt;
      // Leave the slice before adding it, so a reader never counts it twice (pool.computeSeconds).
      Atomics.store(control, SLICE_START, NOT_IN_SLICE);
      Atomics.store(control, COMPUTE_MS, Math.round(computeMs));
      // Aim each slice at sliceMs; grow or shrink the budget gradually so one odd slice does not swing it.
      budget = Math.max(1, Math.round(budget * Math.min(2, Math.max(0.5, task.sliceMs / Math.max(dt, 0.01)))));
      if (done) break;
      const now = performance.now();
      if (now - lastReport > PROGRESS_MS) {
        lastReport = now;
        const msg = progress();
        if (now - lastCheckpoint > Atomics.load(control, CHECKPOINT_MS)) {
          lastCheckpoint = now;
          msg.checkpoint = kernel.checkpoint(state);
        }
        task.port.postMessage(msg);
      }
    }
    return { status: 'done', result: kernel.result(state), opsDone: kernel.opsDone(state), computeS: computeMs / 1000 };
  } catch (err) {
    const e = err as { code?: unknown; message?: unknown };
    return { status: 'failed', error: { ...(typeof e?.code === 'string' ? { code: e.code } : {}), message: typeof e?.message === 'string' ? e.message : String(err) } };
  } finally {
    Atomics.store(control, SLICE_START, NOT_IN_SLICE);
    setState(control, ENDED);
    task.port.close();
  }
}
