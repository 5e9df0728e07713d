/**
 * The compute threads: a piscina pool, one task per unit, each with its own shared control block
 * (pause/abort command from here; computing/paused state and compute time from the thread).
 */
import { existsSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { MessageChannel } from 'node:worker_threads';
import { Piscina } from 'piscina';
import {
  ABORT, CHECKPOINT_MS, CMD, COMPUTE_MS, COMPUTING, CONTROL_SLOTS, NOT_IN_SLICE, PAUSE, PAUSED, RUN, SLICE_START, STATE, sharedNow,
  type ThreadOutcome, type ThreadProgress, type ThreadTask,
} from './thread-protocol.js';

export interface RunningTask {
  outcome: Promise<ThreadOutcome>;
  abort(): void;
  /** True once the thread has stopped at a slice boundary because of a pause. */
  isPaused(): boolean;
}

export interface TaskInput {
  kernelModule: string;
  spec: unknown;
  input?: Uint8Array;
  checkpoint?: unknown;
}

/**
 * The compiled thread entry. Beside this module when it runs from dist/; when it runs from TypeScript
 * source (vitest, tsx: the tests and benchmarks) threads cannot load .ts, so they use the build in
 * dist/, which `npm test` and `npm run bench` make first.
 */
export function threadEntry(): string {
  const here = new URL('./thread.js', import.meta.url);
  if (existsSync(fileURLToPath(here))) return here.href;
  const built = new URL('../dist/worker/thread.js', import.meta.url);
  if (existsSync(fileURLToPath(built))) return built.href;
  throw new Error('the compute thread is not built: run `npm run build` first');
}

export class ComputePool {
  private readonly piscina: Piscina;
  private readonly live = new Set<Int32Array>();
  private paused = false;
  private checkpointMs: number;
  /** Compute seconds of tasks that have ended; live tasks add theirs from their control block. */
  private endedComputeS = 0;
  private readonly originMs = Math.floor(sharedNow());

  /** `maxThreads` bounds how far the threads preference can be raised without a restart. */
  constructor(readonly maxThreads: number, private readonly sliceMs = 100, checkpointMs = 60_000) {
    this.checkpointMs = checkpointMs;
    this.piscina = new Piscina({
      filename: threadEntry(),
      minThreads: 1,
      maxThreads,
      idleTimeout: 60_000,
      // One unit per thread: a queued task would only wait for a thread anyway.
      concurrentTasksPerWorker: 1,
    });
  }

  run(task: TaskInput, onProgress: (p: ThreadProgress) => void): RunningTask {
    const control = new Int32Array(new SharedArrayBuffer(4 * CONTROL_SLOTS));
    control[CMD] = this.paused ? PAUSE : RUN;
    control[CHECKPOINT_MS] = this.checkpointMs;
    control[SLICE_START] = NOT_IN_SLICE;
    const { port1, port2 } = new MessageChannel();
    port1.on('message', onProgress);
    const message: ThreadTask = { ...task, control: control.buffer as SharedArrayBuffer, port: port2, sliceMs: this.sliceMs, originMs: this.originMs };
    this.live.add(control);
    const outcome = (this.piscina.run(message, { transferList: [port2] }) as Promise<ThreadOutcome>).finally(() => {
      this.endedComputeS += Atomics.load(control, COMPUTE_MS) / 1000;
      this.live.delete(control);
      port1.close();
    });
    return {
      outcome,
      abort: () => command(control, ABORT),
      isPaused: () => Atomics.load(control, STATE) === PAUSED,
    };
  }

  /** Pause every running unit at its next slice boundary, or let them all run again. */
  setPaused(paused: boolean): void {
    if (paused === this.paused) return;
    this.paused = paused;
    const [from, to] = paused ? [RUN, PAUSE] : [PAUSE, RUN];
    for (const c of this.live) if (Atomics.load(c, CMD) === from) command(c, to);
  }

  get isPaused(): boolean {
    return this.paused;
  }

  /** Threads still inside a slice: after setPaused(true) this falls to zero within one slice. */
  computingThreads(): number {
    let n = 0;
    for (const c of this.live) if (Atomics.load(c, STATE) === COMPUTING) n++;
    return n;
  }

  /** Seconds every thread of this pool has spent inside kernel slices, ever, to the moment. */
  computeSeconds(): number {
    const now = sharedNow() - this.originMs;
    let ms = this.endedComputeS * 1000;
    for (const c of this.live) {
      // The finished slices first, then the one running: read the other way round, a slice that ended
      // in between would be counted twice (the thread clears SLICE_START before adding to COMPUTE_MS).
      ms += Atomics.load(c, COMPUTE_MS);
      const start = Atomics.load(c, SLICE_START);
      if (start !== NOT_IN_SLICE) ms += Math.max(0, now - start);
    }
    return ms / 1000;
  }

  setCheckpointMs(ms: number): void {
    this.checkpointMs = ms;
    for (const c of this.live) Atomics.store(c, CHECKPOINT_MS, ms);
  }

  async destroy(): Promise<void> {
    await this.piscina.destroy();
  }
}

function command(control: Int32Array, value: number): void {
  Atomics.store(control, CMD, value);
  Atomics.notify(control, CMD);
}
