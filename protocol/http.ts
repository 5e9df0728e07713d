/**
 * Bodies and documents of the HTTP API (/api/...). The job document's core fields are a contract.
 * Bodies a user sends are strict: an unknown key (a typo such as `minQuorom`) is refused, naming the
 * nearest known key, instead of being dropped and silently replaced by a default.
 */
import { z } from 'zod';
import { JobId, JobState, KindName, Label, WireErrorSchema } from './common.js';
import { ErrorCodeSchema } from './errors.js';

/** Redundancy and deadline policy of a job (BOINC's work unit fields; defaults are BOINC's). */
/**
 * Redundancy, audit and deadline policy of a job. By default a unit is computed once and its result is
 * audited: the coordinator recomputes `audit` blocks of it, chosen after the result is in, and every block
 * of the first `probation` results of a host (per kind) that has not yet earned trust under audit. BOINC's
 * replication (`minQuorum`, `targetResults`) is there for those who want it; kinds that cannot be audited
 * default to two replicas.
 */
export const Policy = z
  .strictObject({
    minQuorum: z.number().int().min(1).max(10).default(1),
    targetResults: z.number().int().min(1).max(10).default(1),
    maxErrorResults: z.number().int().min(1).max(100).default(3),
    maxTotalResults: z.number().int().min(1).max(100).default(10),
    maxSuccessResults: z.number().int().min(1).max(100).default(6),
    /** Report deadline per replica in seconds; by default derived from the unit's estimated work. */
    delayBoundS: z.number().positive().max(365 * 86400).optional(),
    /** With replication: a host with trust earned under audit may run a unit alone (spot-checked by a second replica). */
    adaptive: z.boolean().default(true),
    /** Blocks of every result the coordinator recomputes and compares (0 = no audit; the block count is the kind's). */
    audit: z.number().int().min(0).max(64).default(2),
    /** A host's results are audited in full until this many of them (per kind, in a row) passed. */
    probation: z.number().int().min(0).max(100).default(3),
    /** Ringers planted per key-search unit (0 = none): keys the coordinator knows, which a skipping host misses. */
    ringers: z.number().int().min(0).max(8).default(4),
    /** Decoys per key-search job: planted keys whose targets every unit carries, so the real one cannot be told apart. */
    decoys: z.number().int().min(0).max(32).default(8),
  })
  .refine((p) => p.targetResults >= p.minQuorum, { message: 'targetResults must be at least minQuorum', path: ['targetResults'] })
  .refine((p) => p.maxTotalResults >= p.targetResults, { message: 'maxTotalResults must be at least targetResults', path: ['maxTotalResults'] })
  .refine((p) => p.maxSuccessResults >= p.minQuorum, { message: 'maxSuccessResults must be at least minQuorum', path: ['maxSuccessResults'] });
export type Policy = z.infer<typeof Policy>;
export type PolicyInput = z.input<typeof Policy>;

export const SubmitJob = z.strictObject({
  kind: KindName,
  /** Checked against the kind's params schema (also strict) once the kind is known. */
  params: z.unknown(),
  /** Checked against Policy, reported under "policy.". */
  policy: z.record(z.string(), z.unknown()).optional(),
  name: Label(120).optional(),
  /** Higher runs first in proportion: each step of priority is worth 4x weight. */
  priority: z.number().int().min(-5).max(5).default(0),
  weight: z.number().positive().max(1000).default(1),
  public: z.boolean().default(false),
});
export type SubmitJob = z.input<typeof SubmitJob>;

/** POST /api/accounts: a volunteer's account (no token needed). */
export const CreateAccount = z.strictObject({
  name: Label(64, 1),
  team: Label(64, 1).optional(),
});

/** POST /api/tokens: an owner token, made by the admin. */
export const CreateToken = z.strictObject({ name: Label(64, 1) });

/** A unit that failed for good: the registered code of why (a kind's own when its input is bad) and the message. */
export const FailedUnit = z.object({ unit: z.number().int(), code: ErrorCodeSchema, reason: z.string() });

export const JobProgress = z.object({
  unitsTotal: z.number().int(),
  unitsDone: z.number().int(),
  unitsFailed: z.number().int(),
  /** Units with at least one replica out or waiting for validation. */
  unitsInProgress: z.number().int(),
  opsDone: z.number(),
  opsTotal: z.number(),
  /** Kind-specific items (keys for key search). */
  itemsDone: z.number(),
  itemsTotal: z.number(),
  itemName: z.string(),
  /** Items per second over the job's running time, and the seconds left at that rate (null if unknown). */
  rate: z.number(),
  etaS: z.number().nullable(),
});

export const JobDoc = z.object({
  id: JobId,
  kind: KindName,
  name: z.string().optional(),
  state: JobState,
  createdAt: z.string(),
  startedAt: z.string().nullable(),
  finishedAt: z.string().nullable(),
  owner: z.string().nullable(),
  public: z.boolean(),
  priority: z.number(),
  weight: z.number(),
  params: z.unknown(),
  policy: z.unknown(),
  progress: JobProgress,
  failedUnits: z.array(FailedUnit),
  result: z.unknown().nullable(),
  error: WireErrorSchema.nullable(),
});
export type JobDoc = z.infer<typeof JobDoc>;

export const JobList = z.object({ jobs: z.array(JobDoc) });

export const ErrorBody = z.object({ error: WireErrorSchema });

export const Health = z.object({ ok: z.boolean(), redis: z.boolean(), coordinatorId: z.string(), version: z.string() });
export type Health = z.infer<typeof Health>;
