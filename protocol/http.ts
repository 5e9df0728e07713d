/** Bodies and documents of the HTTP API (/api/...). The job document's core fields are a contract. */
import { z } from 'zod';
import { JobId, JobState, KindName, WireErrorSchema } from './common.js';
import { ErrorCodeSchema } from './errors.js';

/** Redundancy and deadline policy of a job (BOINC's work unit fields; defaults are BOINC's). */
export const Policy = z
  .object({
    minQuorum: z.number().int().min(1).max(10).default(2),
    targetResults: z.number().int().min(1).max(10).default(2),
    maxErrorResults: z.number().int().min(1).max(100).default(3),
    maxTotalResults: z.number().int().min(1).max(100).default(10),
    maxSuccessResults: z.number().int().min(1).max(100).default(6),
    /** Report deadline per replica in seconds; by default derived from the unit's estimated work. */
    delayBoundS: z.number().positive().max(365 * 86400).optional(),
    /** Adaptive replication: trusted hosts may run a unit alone, spot-checked. */
    adaptive: z.boolean().default(true),
    /** Ringers planted per key-search unit (0 = none), to check single replicas cheaply. */
    ringers: z.number().int().min(0).max(8).default(0),
  })
  .refine((p) => p.targetResults >= p.minQuorum, { message: 'targetResults must be at least minQuorum', path: ['targetResults'] })
  .refine((p) => p.maxTotalResults >= p.targetResults, { message: 'maxTotalResults must be at least targetResults', path: ['maxTotalResults'] })
  .refine((p) => p.maxSuccessResults >= p.minQuorum, { message: 'maxSuccessResults must be at least minQuorum', path: ['maxSuccessResults'] });
export type Policy = z.infer<typeof Policy>;
export type PolicyInput = z.input<typeof Policy>;

export const SubmitJob = z.object({
  kind: KindName,
  params: z.unknown(),
  policy: z.record(z.string(), z.unknown()).optional(),
  name: z.string().max(120).optional(),
  /** Higher runs first in proportion: each step of priority is worth 4x weight. */
  priority: z.number().int().min(-5).max(5).default(0),
  weight: z.number().positive().max(1000).default(1),
  public: z.boolean().default(false),
});
export type SubmitJob = z.input<typeof SubmitJob>;

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
