/**
 * The WebSocket protocol between a worker and a coordinator: JSON text frames, each a message with a
 * `type`. The worker speaks first (hello); everything a worker sends in bulk (requests, results,
 * progress) carries arrays so that one frame and one Redis round trip serve many units.
 */
import { z } from 'zod';
import { HostId, KindName, LeaseId, JobId, Sha256, WireErrorSchema } from './common.js';
import { ErrorCodeSchema } from './errors.js';

/** The largest frame a coordinator reads; bigger ones get FRAME_TOO_LARGE (or a close when far bigger). */
export const MAX_FRAME_BYTES = 1 << 20;
export const MAX_BATCH = 64;

export const HostFacts = z.object({
  cores: z.number().int().min(1).max(4096),
  memoryBytes: z.number().int().min(0),
  platform: z.string().max(32),
  arch: z.string().max(32),
  cpuModel: z.string().max(128).optional(),
  node: z.string().max(32).optional(),
});
export type HostFacts = z.infer<typeof HostFacts>;

export const KindSupport = z.object({ name: KindName, version: z.number().int().min(0) });

// ---- worker -> coordinator ----

export const Hello = z.object({
  type: z.literal('hello'),
  protocol: z.number().int(),
  hostId: HostId,
  /** Proves the host id: the coordinator stores its hash on first sight and checks it afterwards. */
  hostSecret: z.string().min(32).max(128),
  name: z.string().max(64).optional(),
  /** Account key, for credit and for keeping a unit's replicas on different people's machines. */
  account: z.string().max(128).optional(),
  software: z.string().max(64),
  facts: HostFacts,
  threads: z.number().int().min(1).max(4096),
  kinds: z.array(KindSupport).min(1).max(32),
  /** Benchmarked operations per second per thread, by kind (`idlegrid worker --bench`). */
  bench: z.record(KindName, z.number().nonnegative()).optional(),
});

export const Request = z.object({
  type: z.literal('request'),
  count: z.number().int().min(1).max(MAX_BATCH),
  reqId: z.number().int().optional(),
});

export const ResultItem = z.object({
  leaseId: LeaseId,
  result: z.unknown(),
  cpuS: z.number().nonnegative().max(1e7),
  elapsedS: z.number().nonnegative().max(1e7),
});

export const Results = z.object({
  type: z.literal('results'),
  items: z.array(ResultItem).min(1).max(MAX_BATCH),
});

/** A unit that failed to compute: a registered code (a kind's own, or UNIT_ERROR) and what went wrong. */
export const FailureItem = z.object({ leaseId: LeaseId, code: ErrorCodeSchema, message: z.string().max(2000) });
export const Failures = z.object({ type: z.literal('failures'), items: z.array(FailureItem).min(1).max(MAX_BATCH) });

export const ProgressItem = z.object({
  leaseId: LeaseId,
  fraction: z.number().min(0).max(1),
  opsPerS: z.number().nonnegative(),
});
export const Progress = z.object({ type: z.literal('progress'), items: z.array(ProgressItem).min(1).max(MAX_BATCH) });

/** Units handed back unfinished (Ctrl-C, a full buffer after a preference change): reissued at once. */
export const Release = z.object({
  type: z.literal('release'),
  leaseIds: z.array(LeaseId).min(1).max(MAX_BATCH),
  reason: z.string().max(200),
});

export const Heartbeat = z.object({
  type: z.literal('heartbeat'),
  seq: z.number().int(),
  sentAt: z.number(),
  /** What the worker is doing, shown on the dashboard ("running", "paused: user active"). */
  state: z.string().max(80).optional(),
});

export const Bye = z.object({ type: z.literal('bye'), reason: z.string().max(200) });

export const WorkerMessage = z.discriminatedUnion('type', [Hello, Request, Results, Failures, Progress, Release, Heartbeat, Bye]);
export type WorkerMessage = z.infer<typeof WorkerMessage>;

// ---- coordinator -> worker ----

export const WorkUnit = z.object({
  leaseId: LeaseId,
  jobId: JobId,
  unit: z.number().int().min(0),
  kind: KindName,
  kindVersion: z.number().int(),
  spec: z.unknown(),
  /** Epoch ms: a result after this may be too late to count (it is still compared and credited if it agrees). */
  deadline: z.number(),
  ops: z.number().nonnegative(),
  /** Input slice to download over HTTP (path relative to the coordinator URL) and check before computing. */
  input: z.object({ path: z.string(), sha256: Sha256, length: z.number().int().nonnegative() }).optional(),
});
export type WorkUnit = z.infer<typeof WorkUnit>;

export const Welcome = z.object({
  type: z.literal('welcome'),
  protocol: z.number().int(),
  coordinatorId: z.string(),
  hostId: HostId,
  serverTime: z.number(),
  heartbeatMs: z.number().int(),
  maxBatch: z.number().int(),
  /** Units this host still holds from before a reconnect: it keeps them. */
  leases: z.array(WorkUnit),
});

/**
 * Why a request got no units: nothing is queued; every unit is out with other hosts (or being validated);
 * what is left needs a different host (replicas of one unit go to different hosts and accounts); the
 * queued jobs are of kinds this worker does not run; this host holds as many units as it may.
 */
export const NoWorkReason = z.enum(['no_jobs', 'all_leased', 'needs_other_host', 'incompatible', 'quota']);
export type NoWorkReason = z.infer<typeof NoWorkReason>;

export const Work = z.object({ type: z.literal('work'), units: z.array(WorkUnit), reqId: z.number().int().optional() });
export const NoWork = z.object({
  type: z.literal('no_work'),
  reason: NoWorkReason,
  message: z.string(),
  retryMs: z.number().int(),
  reqId: z.number().int().optional(),
});

export const AckItem = z.object({
  leaseId: z.string(),
  status: z.enum(['accepted', 'rejected']),
  /** Set when rejected. */
  error: WireErrorSchema.optional(),
});
export const Ack = z.object({ type: z.literal('ack'), items: z.array(AckItem) });

export const Cancel = z.object({ type: z.literal('cancel'), leaseIds: z.array(z.string()), reason: z.string() });

export const HeartbeatAck = z.object({ type: z.literal('heartbeat_ack'), seq: z.number().int(), sentAt: z.number(), serverTime: z.number() });

/** Credit granted to this host, pushed when one of its results validates. */
export const Credit = z.object({ type: z.literal('credit'), leaseId: z.string(), credit: z.number(), valid: z.boolean() });

export const ErrorMessage = z.object({
  type: z.literal('error'),
  code: ErrorCodeSchema,
  message: z.string(),
  /** The type of the message that caused it, when known. */
  ref: z.string().optional(),
});

export const CoordinatorMessage = z.discriminatedUnion('type', [Welcome, Work, NoWork, Ack, Cancel, HeartbeatAck, Credit, ErrorMessage]);
export type CoordinatorMessage = z.infer<typeof CoordinatorMessage>;
