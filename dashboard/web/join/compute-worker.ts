/**
 * A compute thread of the /join page: a dedicated Web Worker that runs one unit at a time with the very
 * kernels the Node worker runs (workunits/), so both platforms return the same bits. The loop works in
 * slices as worker/thread.ts does; between slices it yields to its event loop, which is when pause,
 * abort and CPU-share messages arrive. Timers of dedicated workers are not throttled in hidden tabs,
 * so a tab in the background keeps computing.
 */
import { KERNELS } from './kernels.js';
import type { FromCompute, RunTask, ToCompute } from './messages.js';

interface Control {
  paused: boolean;
  abort: boolean;
  share: number;
  /** Resolves the wait of a paused loop. */
  wake?: () => void;
}

const scope = self as unknown as {
  postMessage(m: FromCompute): void;
  onmessage: ((e: MessageEvent<ToCompute>) => void) | null;
};
const post = (m: FromCompute): void => scope.postMessage(m);

/** Progress reports: often enough for a live rate, rare enough to cost nothing. */
const PROGRESS_MS = 1_000;

let control: Control | null = null;

// A zero-delay yield through a message port: setTimeout(0) is clamped to 4 ms once nested, which would
// cost 4% of a 100 ms slice.
const channel = new MessageChannel();
let yielded: (() => void) | null = null;
channel.port1.onmessage = () => {
  const go = yielded;
  yielded = null;
  go?.();
};
function yieldNow(): Promise<void> {
  return new Promise((resolve) => {
    yielded = resolve;
    channel.port2.postMessage(0);
  });
}
const sleep = (ms: number): Promise<void> => (ms > 0.5 ? new Promise((r) => setTimeout(r, ms)) : yieldNow());

scope.onmessage = (e) => {
  const m = e.data;
  if (m.type === 'run') {
    void run(m);
    return;
  }
  if (!control) return;
  if (m.type === 'pause') control.paused = true;
  else if (m.type === 'resume') control.paused = false;
  else if (m.type === 'abort') control.abort = true;
  else if (m.type === 'share') control.share = m.share;
  control.wake?.();
};

async function run(task: RunTask): Promise<void> {
  const c: Control = { paused: task.paused, abort: false, share: task.share };
  control = c;
  try {
    const kernel = KERNELS[task.kernelModule];
    if (!kernel) throw Object.assign(new Error(`kernel ${task.kernelModule} is not in this page; reload it`), { code: 'UNIT_ERROR' });
    const state = kernel.init(task.spec, task.input, task.checkpoint);
    let budget = kernel.initialBudget;
    let computeMs = 0;
    let lastReport = 0;
    let lastCheckpoint = performance.now();
    const progress = (paused: boolean) => ({ type: 'progress' as const, fraction: kernel.progress(state), opsDone: kernel.opsDone(state), computeS: computeMs / 1000, paused });
    // Where this run starts (above zero when resumed from a checkpoint): the page logs it.
    post(progress(c.paused));
    for (;;) {
      if (c.paused && !c.abort) {
        post(progress(true));
        while (c.paused && !c.abort) await new Promise<void>((r) => (c.wake = r));
        c.wake = undefined;
        post(progress(false));
      }
      if (c.abort) {
        post({ type: 'aborted', checkpoint: kernel.checkpoint(state), opsDone: kernel.opsDone(state), computeS: computeMs / 1000 });
        return;
      }
      const t0 = performance.now();
      const done = kernel.step(state, budget);
      const dt = performance.now() - t0;
      computeMs += dt;
      // Aim each slice at sliceMs; grow or shrink gradually so that one odd slice does not swing it.
      budget = Math.max(1, Math.round(budget * Math.min(2, Math.max(0.5, task.sliceMs / Math.max(dt, 0.01)))));
      if (done) break;
      const now = performance.now();
      if (now - lastReport > PROGRESS_MS) {
        lastReport = now;
        const msg: FromCompute = progress(false);
        if (now - lastCheckpoint > task.checkpointMs) {
          lastCheckpoint = now;
          msg.checkpoint = kernel.checkpoint(state);
        }
        post(msg);
      }
      // The CPU share: after a slice of dt, rest so that computing takes `share` percent of the time.
      await sleep(c.share >= 100 ? 0 : (dt * (100 - c.share)) / c.share);
    }
    post({ type: 'done', result: kernel.result(state), opsDone: kernel.opsDone(state), computeS: computeMs / 1000 });
  } catch (err) {
    const e = err as { code?: unknown; message?: string };
    post({ type: 'failed', code: typeof e.code === 'string' ? e.code : 'UNIT_ERROR', message: String(e.message ?? err).slice(0, 2000) });
  } finally {
    if (control === c) control = null;
  }
}
