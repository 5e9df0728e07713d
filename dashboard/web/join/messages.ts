/**
 * Messages between the /join page and its dedicated Web Workers (compute threads and the timer thread),
 * typed once for both sides. The browser's counterpart of worker/thread-protocol.ts: Web Workers have no
 * shared memory without cross-origin isolation, so pause and abort travel as messages, read by the
 * kernel loop between slices.
 */

/** Start a unit on this thread. `input` is the checked input slice, transferred, not copied. */
export interface RunTask {
  type: 'run';
  /** Kind.kernelModule: which kernel runs the unit. */
  kernelModule: string;
  spec: unknown;
  input?: Uint8Array;
  checkpoint?: unknown;
  /** Slice length the loop aims for: short enough to pause within a fraction of a second. */
  sliceMs: number;
  /** How often a checkpoint comes back with the progress. */
  checkpointMs: number;
  /** Percent of the time this thread computes (1..100); it sleeps for the rest. */
  share: number;
  paused: boolean;
}

export type ToCompute =
  | RunTask
  | { type: 'pause' }
  | { type: 'resume' }
  | { type: 'abort' }
  | { type: 'share'; share: number };

export interface ComputeProgress {
  type: 'progress';
  fraction: number;
  opsDone: number;
  /** Seconds spent computing this unit in this run (sleeping and paused time excluded). */
  computeS: number;
  paused: boolean;
  checkpoint?: unknown;
}

export type FromCompute =
  | ComputeProgress
  | { type: 'done'; result: unknown; opsDone: number; computeS: number }
  | { type: 'aborted'; checkpoint: unknown; opsDone: number; computeS: number }
  | { type: 'failed'; code: string; message: string };

/** To the timer thread: fire `id` once after `ms`, or every `ms`, or no more. */
export type ToTimers = { op: 'after' | 'every'; id: number; ms: number } | { op: 'clear'; id: number };
export interface FromTimers {
  id: number;
}
