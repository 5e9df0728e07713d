/** Messages between the worker's main thread and its compute threads, typed once for both sides. */
import type { MessagePort } from 'node:worker_threads';

/** Values of control[0], written by the main thread and read by the kernel loop between slices. */
export const RUN = 0;
export const PAUSE = 1;
export const ABORT = 2;

export interface ThreadTask {
  /** Kernel module relative to workunits/ (Kind.kernelModule). */
  kernelModule: string;
  spec: unknown;
  input?: Uint8Array;
  checkpoint?: unknown;
  /** Int32Array(1) over a SharedArrayBuffer: RUN, PAUSE or ABORT. */
  control: SharedArrayBuffer;
  /** Where the thread posts ThreadProgress. */
  port: MessagePort;
  /** Slice length the runner aims for: short enough to pause within a second. */
  sliceMs: number;
  checkpointMs: number;
}

export interface ThreadProgress {
  fraction: number;
  opsDone: number;
  /** Present when it is time to write a checkpoint. */
  checkpoint?: unknown;
}

export type ThreadOutcome =
  | { status: 'done'; result: unknown; opsDone: number; computeS: number }
  | { status: 'aborted'; checkpoint: unknown; opsDone: number; computeS: number };
