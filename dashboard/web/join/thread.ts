/**
 * One compute thread of the tab: its dedicated Web Worker (compute-worker.ts), the unit it holds, how
 * far that unit is and how fast it goes. The host decides what runs where; this keeps the thread's side
 * of it straight: a thread is not free again until its worker has reported the end of what it ran, so
 * an abort and the next unit's start can never cross.
 */
import type { WorkUnit } from '../../../protocol/messages.js';
import type { FromCompute, RunTask, ToCompute } from './messages.js';

/** What becomes of a unit stopped before its end: back to the queue, kept for later, or dropped. */
export type After = 'requeue' | 'stop' | 'drop';
export type Phase = 'downloading' | 'computing' | 'paused' | 'idle';

export interface ThreadEvents {
  /** Progress; `checkpoint` when it is time to save one; `resumedAt` on the first report after resuming from a checkpoint. */
  progress(t: ComputeThread, unit: WorkUnit, checkpoint: unknown, resumedAt: number | null): void;
  done(t: ComputeThread, unit: WorkUnit, result: unknown, computeS: number): void;
  aborted(t: ComputeThread, unit: WorkUnit | null, after: After | null, checkpoint: unknown, fraction: number): void;
  failed(t: ComputeThread, unit: WorkUnit, code: string, message: string): void;
  /** After any of done, aborted and failed: the thread is free. */
  ended(t: ComputeThread): void;
  /** The worker's script could not run at all (a browser without module workers). */
  broken(t: ComputeThread, why: string): void;
}

/** What the live view shows of a thread. */
export type ThreadView = Pick<ComputeThread, 'index' | 'busy' | 'unit' | 'phase' | 'fraction' | 'rate'>;

export class ComputeThread {
  busy = false;
  unit: WorkUnit | null = null;
  phase: Phase = 'idle';
  fraction = 0;
  opsDone = 0;
  computeS = 0;
  /** Operations per second of computing, smoothed. */
  rate = 0;
  startedAt = 0;
  private resumed = false;
  private after: After | null = null;
  private worker?: Worker;

  constructor(readonly index: number, private readonly url: URL, private readonly on: ThreadEvents) {}

  /** Being stopped (for a requeue, a stop or a drop) and not yet ended. */
  get unloading(): boolean {
    return this.after !== null;
  }

  /** Reserve the thread for a unit while its checkpoint and input are fetched. */
  claim(unit: WorkUnit): void {
    Object.assign(this, { busy: true, unit, phase: 'downloading', fraction: 0, opsDone: 0, computeS: 0, rate: 0, startedAt: Date.now(), resumed: false, after: null });
  }

  run(task: RunTask, resumed: boolean): void {
    this.phase = task.paused ? 'paused' : 'computing';
    this.resumed = resumed;
    this.ensureWorker().postMessage(task, task.input ? [task.input.buffer] : []);
  }

  send(m: ToCompute): void {
    if (this.busy && this.phase !== 'downloading') this.worker?.postMessage(m);
  }

  /**
   * Stop the unit at its next slice; `after` says what becomes of it. A unit not on the thread yet (still
   * fetching) is let go at once and returned, for the caller to requeue when that is what it wants.
   */
  unload(after: After): WorkUnit | null {
    if (!this.busy || this.after) return null;
    this.after = after;
    if (this.phase === 'downloading') {
      const unit = this.unit;
      this.unit = null;
      return unit;
    }
    this.worker?.postMessage({ type: 'abort' } satisfies ToCompute);
    if (after === 'drop') this.unit = null;
    return null;
  }

  /** The thread is free: its worker ended the run, or the unit never reached it. */
  release(): void {
    this.busy = false;
    this.unit = null;
    this.phase = 'idle';
  }

  terminate(): void {
    this.worker?.terminate();
    this.worker = undefined;
  }

  private ensureWorker(): Worker {
    if (this.worker) return this.worker;
    const w = new Worker(this.url, { type: 'module', name: `idlegrid thread ${this.index + 1}` });
    w.onmessage = (e: MessageEvent<FromCompute>) => this.onMessage(e.data);
    w.onerror = (e) => {
      e.preventDefault();
      this.on.broken(this, e.message || 'script error');
    };
    this.worker = w;
    return w;
  }

  private onMessage(m: FromCompute): void {
    const unit = this.unit;
    const after = this.after;
    if (m.type === 'progress') {
      const resumedAt = this.resumed && m.opsDone > 0 && this.opsDone === 0 ? m.fraction : null;
      if (m.computeS > this.computeS + 0.2) {
        const now = (m.opsDone - this.opsDone) / (m.computeS - this.computeS);
        this.rate = this.rate ? 0.7 * this.rate + 0.3 * now : now;
      }
      Object.assign(this, { fraction: m.fraction, opsDone: m.opsDone, computeS: m.computeS, phase: m.paused ? 'paused' : 'computing' });
      if (unit) this.on.progress(this, unit, m.checkpoint, resumedAt);
      return;
    }
    this.release();
    if (m.type === 'done') {
      // A unit dropped (cancelled) while it finished its last slice: its result is not wanted.
      if (unit && after !== 'drop') this.on.done(this, unit, m.result, m.computeS);
    } else if (m.type === 'aborted') {
      this.on.aborted(this, unit, after, m.checkpoint, this.fraction);
    } else if (unit && !after) {
      this.on.failed(this, unit, m.code, m.message);
    }
    this.on.ended(this);
  }
}
