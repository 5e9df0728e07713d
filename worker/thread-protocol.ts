/** Messages between the worker's main thread and its compute threads, typed once for both sides. */
import type { MessagePort } from 'node:worker_threads';

/** Values of control[CMD], written by the main thread and read by the kernel loop between slices. */
export const RUN = 0;
export const PAUSE = 1;
export const ABORT = 2;

/** Values of control[STATE], written by the thread: what it is doing now (pause latency is measured on it). */
export const STARTING = 0;
export const COMPUTING = 1;
export const PAUSED = 2;
export const ENDED = 3;

/** Slots of the shared Int32Array `control`. */
export const CMD = 0;
export const STATE = 1;
/** Milliseconds spent inside kernel.step so far, updated after every slice (efficiency is measured on it). */
export const COMPUTE_MS = 2;
/** Checkpoint interval in ms, read each slice so a preference change reaches units already running. */
export const CHECKPOINT_MS = 3;
/**
 * When the slice now running began, in ms after the task's `originMs`, or NOT_IN_SLICE: with it the
 * compute time can be read to the moment, not to the last slice boundary.
 */
export const SLICE_START = 4;
export const NOT_IN_SLICE = -1;
export const CONTROL_SLOTS = 5;

/** Milliseconds on a clock that every thread of the process shares (performance.now() is per thread). */
export const sharedNow = (): number => performance.timeOrigin + performance.now();

export interface ThreadTask {
  /** Kernel module relative to workunits/ (Kind.kernelModule). */
  kernelModule: string;
  spec: unknown;
  input?: Uint8Array;
  checkpoint?: unknown;
  /** Int32Array(CONTROL_SLOTS) over a SharedArrayBuffer. */
  control: SharedArrayBuffer;
  /** Where the thread posts ThreadProgress. */
  port: MessagePort;
  /** Slice length the runner aims for: short enough to pause within a second. */
  sliceMs: number;
  /** sharedNow() when the pool started: the zero of control[SLICE_START]. */
  originMs: number;
}

export interface ThreadProgress {
  fraction: number;
  opsDone: number;
  /** Seconds spent computing this unit in this thread so far (paused time excluded): rates and ETAs. */
  computeS: number;
  /** Present when it is time to write a checkpoint. */
  checkpoint?: unknown;
}

export type ThreadOutcome =
  | { status: 'done'; result: unknown; opsDone: number; computeS: number }
  | { status: 'aborted'; checkpoint: unknown; opsDone: number; computeS: number }
  /**
   * The kernel threw (bad input, a bug). An Error crossing a thread keeps only its message, so the code a
   * kind gave it (SAH_DATA, FFTSCAN_INPUT) travels here as a value.
   */
  | { status: 'failed'; error: { code?: string; message: string } };
