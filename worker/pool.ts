/** The compute threads: a piscina pool, one task per unit, each with its own pause/abort flag. */
import { MessageChannel } from 'node:worker_threads';
import { Piscina } from 'piscina';
import { ABORT, PAUSE, RUN, type ThreadOutcome, type ThreadProgress, type ThreadTask } from './thread-protocol.js';

export interface RunningTask {
  outcome: Promise<ThreadOutcome>;
  pause(): void;
  resume(): void;
  abort(): void;
}

export interface TaskInput {
  kernelModule: string;
  spec: unknown;
  input?: Uint8Array;
  checkpoint?: unknown;
}

export class ComputePool {
  private readonly piscina: Piscina;
  private readonly live = new Set<Int32Array>();
  private paused = false;

  constructor(readonly threads: number, private readonly sliceMs = 100, private readonly checkpointMs = 60_000) {
    this.piscina = new Piscina({
      filename: new URL('./thread.js', import.meta.url).href,
      minThreads: threads,
      maxThreads: threads,
      idleTimeout: 60_000,
      // One unit per thread: a queued task would only wait for a thread anyway.
      concurrentTasksPerWorker: 1,
    });
  }

  run(task: TaskInput, onProgress: (p: ThreadProgress) => void): RunningTask {
    const control = new Int32Array(new SharedArrayBuffer(4));
    if (this.paused) control[0] = PAUSE;
    const { port1, port2 } = new MessageChannel();
    port1.on('message', onProgress);
    const message: ThreadTask = { ...task, control: control.buffer as SharedArrayBuffer, port: port2, sliceMs: this.sliceMs, checkpointMs: this.checkpointMs };
    this.live.add(control);
    const outcome = (this.piscina.run(message, { transferList: [port2] }) as Promise<ThreadOutcome>).finally(() => {
      this.live.delete(control);
      port1.close();
    });
    const set = (v: number) => {
      Atomics.store(control, 0, v);
      Atomics.notify(control, 0);
    };
    return { outcome, pause: () => set(PAUSE), resume: () => set(RUN), abort: () => set(ABORT) };
  }

  /** Pause every running unit at its next slice boundary (the user came back). */
  pauseAll(): void {
    this.paused = true;
    for (const c of this.live) if (Atomics.load(c, 0) === RUN) { Atomics.store(c, 0, PAUSE); Atomics.notify(c, 0); }
  }

  resumeAll(): void {
    this.paused = false;
    for (const c of this.live) if (Atomics.load(c, 0) === PAUSE) { Atomics.store(c, 0, RUN); Atomics.notify(c, 0); }
  }

  async destroy(): Promise<void> {
    await this.piscina.destroy();
  }
}
