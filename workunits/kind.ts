/**
 * The Kind interface: everything idlegrid knows about one job kind (a BOINC "app").
 *
 * A kind is pure: functions of their inputs, no sockets, no Redis, no clocks, no unseeded randomness.
 * That is what lets two hosts' results be compared, and lets the coordinator derive any unit of a job
 * from the job's parameters and the unit's index alone (units are generated lazily, never stored up
 * front). Kinds never import the coordinator or the worker.
 */
import type { z } from 'zod';
import type { ErrorCode } from '../protocol/index.js';

/** A failure a user can act on; travels as data, never as a thrown exception across a boundary. */
export interface KindError {
  /** Registered in protocol/errors.ts, so it reaches the user as it is. */
  code: ErrorCode;
  message: string;
}

export type Outcome<T> = { ok: true; value: T } | { ok: false; error: KindError };

export const ok = <T>(value: T): Outcome<T> => ({ ok: true, value });
export const fail = (code: ErrorCode, message: string): Outcome<never> => ({ ok: false, error: { code, message } });

/** How a job is cut into units, computed once at submission and stored with the job. */
export interface Plan {
  unitsTotal: number;
  /** Estimated operations (FLOP-equivalents) of one typical unit: used for deadlines and ETAs. */
  opsPerUnit: number;
  /** Items (Kind.itemName) in the whole job, when units are not all the same size; else unitsTotal. */
  itemsTotal?: number;
  /** Content-addressed inputs (sha256 hex) the job's units read; the coordinator checks they exist. */
  inputs?: string[];
}

/**
 * A slice of content-addressed input data that a unit needs. At submission the coordinator hashes every
 * unit's slice; the worker downloads the slice and checks it against that hash before computing.
 */
export interface InputRef {
  /** sha256 (hex) of the whole stored object (an uploaded recording). */
  sha256: string;
  offset: number;
  length: number;
}

export interface Kind<P = unknown, U = unknown, R = unknown, A = unknown> {
  readonly name: string;
  /** Bumped when results of the same unit could differ between versions; hosts must match it. */
  readonly version: number;
  /** One line for `idlegrid submit --help` and the dashboard. */
  readonly title: string;
  /** What one "operation" means for this kind, for credit (docs/credit.md). */
  readonly opsUnit: string;
  readonly params: z.ZodType<P>;
  readonly unitSpec: z.ZodType<U>;
  readonly result: z.ZodType<R>;
  /** Check parameters that a schema cannot (ranges, sizes) and decide how many units there are. */
  plan(params: P): Outcome<Plan>;
  /** The spec of unit `index` (0 <= index < plan.unitsTotal). Pure and cheap: called at dispatch time. */
  unit(params: P, plan: Plan, index: number): U;
  /** Input slice the unit needs, if any (served over HTTP only to hosts holding a lease on the unit). */
  input?(params: P, unit: U): InputRef | undefined;
  /** Operations needed by this unit: credit on validation, report deadlines, ETAs. */
  ops(unit: U): number;
  /** What users count ("keys", "samples"); defaults to "units". */
  readonly itemName?: string;
  /** How many of those items a unit holds (progress bars and rates); defaults to 1. */
  items?(unit: U): number;
  /**
   * Do two results agree? Exact wherever the computation is deterministic (both kinds today: WebAssembly
   * kernels); a tolerance only where a kind truly cannot be bitwise, and then it must say why.
   */
  compare(a: R, b: R, unit: U): boolean;
  /**
   * A result that settles the whole job (a key found): once validated, outstanding units are cancelled
   * unless the job asked for an exhaustive search.
   */
  decisive?(result: R, params: P): boolean;
  /** Build the job's answer from validated (canonical) results; `failed` lists unit indices that failed. */
  assemble(params: P, plan: Plan, results: Array<{ index: number; result: R }>, failed: number[]): A;
  /** Extra checks on a single result that need the unit (ringers, bounds); false makes it invalid. */
  check?(unit: U, result: R): boolean;
  /**
   * Ringers (Golle & Mironov): plant `n` extra targets whose answers the coordinator knows, derived from
   * `random` (coordinator-chosen bytes, so hosts cannot predict them). The secret stays on the coordinator.
   */
  plantRingers?(unit: U, random: Uint8Array, n: number, decoys?: unknown): { unit: U; secret: unknown };
  /** Did the result find every ringer? A result that missed one skipped work and is invalid. */
  ringersFound?(unit: U, secret: unknown, result: R): boolean;
  /**
   * Job-level decoys: `n` more planted answers, chosen from `random` across the whole job, whose targets
   * every unit carries beside the job's own. They make the job's real target indistinguishable from
   * planted ones even to a host that compares several units (per-unit ringers differ from unit to unit,
   * the real target does not). plantRingers then plants them in each unit.
   */
  decoys?(params: P, random: Uint8Array, n: number): unknown;
  /** Commit, then audit: see Audit. */
  readonly audit?: Audit<U, R>;
  /**
   * Pictures of the answer (e.g. a waterfall plot around a signal candidate), served by the API. The
   * coordinator reads the input range `pictureInput` names (if any) and hands those bytes to `picture`.
   */
  pictureInput?(params: P, answer: A, index: number): InputRef | undefined;
  picture?(params: P, answer: A, index: number, input: Uint8Array | undefined): { contentType: string; body: string } | undefined;
  /** Module (relative to workunits/) whose default export is this kind's Kernel, loaded in worker threads. */
  readonly kernelModule: string;
  /**
   * Codes this kind's kernel raises when a unit's input is bad (the recording is truncated, say): whoever
   * computes the unit meets the same one, so once two hosts report the same, the unit fails at once rather
   * than being computed again (report.lua). Any other code a host reports is an error like any other: a
   * host cannot fail a key search's unit by naming a recording's fault.
   */
  readonly unitErrorCodes?: readonly ErrorCode[];
}

/**
 * Commit, then audit. A result commits to one digest per block of its unit, computed deterministically
 * (the kernels are WebAssembly, so every host and the coordinator's verifier get the same bits). After the
 * result is in, the coordinator picks blocks at random and recomputes them: a host cannot know which
 * blocks will be checked, so one that skips a fraction s of its blocks escapes k checks with probability
 * (1 - s)^k.
 */
export interface Audit<U, R> {
  /** How many blocks a result for `unit` commits to. */
  blocks(unit: U): number;
  /** A unit that computes block `b` of `unit` alone, with the same kernel. */
  blockUnit(unit: U, b: number): U;
  /** Does `original` say about block `b` exactly what `recomputed` (the result of blockUnit(unit, b)) says? */
  agrees(unit: U, b: number, original: R, recomputed: R): boolean;
  /**
   * Blocks audited whatever the draw: those the result's claims rest on (an fftscan result's reported
   * signals), so a claim is re-measured before it can enter the answer. Called on a result that passed
   * the kind's schema (the validator applies `check`); the kind keeps the list bounded, and the verifier
   * ignores any number that is not one of the unit's blocks.
   */
  mustCheck?(unit: U, result: R): number[];
}

/**
 * The compute kernel, run inside a worker thread. It works in slices so that the thread can check the
 * pause flag, report progress and write checkpoints between slices; slice size never changes the result.
 */
export interface Kernel<U = unknown, S = unknown, R = unknown> {
  /** Fresh state for a unit, or state rebuilt from a checkpoint written by `checkpoint`. */
  init(unit: U, input: Uint8Array | undefined, checkpoint?: unknown): S;
  /** Do about `budget` work items (keys, FFT rows: kind-defined). Returns true when the unit is finished. */
  step(state: S, budget: number): boolean;
  /** Fraction done, 0..1. */
  progress(state: S): number;
  /** Operations done so far (same unit as Kind.ops), for rates. */
  opsDone(state: S): number;
  /** JSON-serialisable snapshot; init(unit, input, checkpoint(state)) must continue where it stopped. */
  checkpoint(state: S): unknown;
  result(state: S): R;
  /** A budget that takes roughly 10 ms on a typical core; the runner adapts it from there. */
  readonly initialBudget: number;
}
