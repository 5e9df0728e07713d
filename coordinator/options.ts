/**
 * Coordinator options in three stages (as the Temporal SDK does): what the user wrote (flags, env),
 * with defaults applied and validated here, and printed at start so an operator sees what is in force.
 */
import { randomBytes } from 'node:crypto';
import { hostname } from 'node:os';
import { z } from 'zod';
import { describeIssues } from '../protocol/index.js';
import { isClusterUrl, isSentinelUrl, redisUrlProblem } from './store/redis-url.js';

export const CoordinatorOptionsSchema = z.object({
  host: z.string().min(1).default('127.0.0.1'),
  port: z.number().int().min(0).max(65535).default(8080),
  /** One Redis (redis://, rediss://) or a primary found through Sentinel (redis+sentinel://); store/redis-url.ts. */
  redisUrl: z.string().superRefine((url, ctx) => {
    const problem = redisUrlProblem(url);
    if (problem) ctx.addIssue({ code: 'custom', message: problem });
  }).default('redis://127.0.0.1:6379'),
  /** How long start-up waits for Redis before giving up with what it tried. */
  redisTimeoutS: z.number().positive().max(3600).default(10),
  /** Namespace of every Redis key; coordinators that share work must share it. */
  prefix: z.string().regex(/^[A-Za-z0-9_-]{1,32}$/).default('ig'),
  coordinatorId: z.string().default(() => `${hostname()}-${process.pid}-${randomBytes(3).toString('hex')}`),
  heartbeatMs: z.number().int().min(100).default(15_000),
  /** How often this coordinator runs the transitioner (deadlines) and drains queues. */
  sweepMs: z.number().int().min(50).default(1_000),
  /** Report deadline floor and the per-thread speed assumed when deriving deadlines from work. */
  minDelayS: z.number().positive().default(300),
  refOpsPerS: z.number().positive().default(2e9),
  /** Threads that recompute audited blocks of results (the verifier). */
  verifierThreads: z.number().int().min(1).max(256).default(1),
  /** Units a host may hold per thread it declared (work buffer included), once it has proved it can use them. */
  leasesPerThread: z.number().int().min(1).max(64).default(4),
  /**
   * Units a host that has proved nothing yet may hold (if it declares threads enough): enough to keep a
   * 32-thread machine busy; each validated result adds one (docs/security.md, "New hosts").
   */
  newHostLeases: z.number().int().min(1).max(4096).default(32),
  /** A connected host silent this many heartbeat periods has its units handed to others. */
  silentBeats: z.number().int().min(2).max(100).default(3),
  /** A disconnected host that has not come back (to any coordinator) within this many heartbeat periods, likewise. */
  offlineGraceBeats: z.number().int().min(1).max(100).default(1),
  /** Host records that never returned a valid result are deleted after this long without a word from them. */
  unprovenHostTtlS: z.number().positive().default(86_400),
  /** New host ids that may say hello from one address (IPv6: one /64) per hour; known hosts always may. */
  newHostsPerHour: z.number().int().min(1).default(60),
  /** The same for loopback addresses: one-machine grids, tests and benchmarks start many hosts there. */
  loopbackNewHostsPerHour: z.number().int().min(1).default(10_000),
  /**
   * Behind a reverse proxy: trust its X-Forwarded-For so per-address limits see real clients (true, or a
   * comma-separated list of proxy addresses). Off by default: a direct client could forge it.
   */
  trustProxy: z.union([z.boolean(), z.string().min(1)]).default(false),
  logLevel: z.enum(['fatal', 'error', 'warn', 'info', 'debug', 'trace', 'silent']).default('info'),

  // Shared recordings and Redis failover (docs/scaling.md).
  /**
   * Where the bytes of uploaded recordings live. Unset (the default): chunks in Redis, which every
   * coordinator reads and a failover keeps. A directory: files there, for recordings too large for Redis
   * memory; every coordinator must then see the same directory (one machine, or a shared filesystem).
   */
  dataDir: z.string().min(1).optional(),
  /** A recording is deleted once no queued or running job uses it and its last use is this old. */
  recordingGraceS: z.number().min(1).max(10 * 365 * 86400).default(86400),
  /**
   * Replicas that must acknowledge a job, an upload or a credit grant before a client hears of it
   * (Redis WAIT). Unset: 1 with a redis+sentinel:// URL (a Sentinel deployment has replicas); on a
   * cluster, 1 if the master holding the deployment's slot has a replica at start (redisWaitReplicasAuto,
   * decided in app.ts); otherwise 0.
   */
  redisWaitReplicas: z.number().int().min(0).max(16).optional(),
  /** How long to wait for those acknowledgements before answering anyway (and logging it). */
  redisWaitTimeoutMs: z.number().int().min(1).max(60_000).default(1_000),
});

export type CoordinatorOptionsInput = z.input<typeof CoordinatorOptionsSchema>;
export type CoordinatorOptions = Omit<z.output<typeof CoordinatorOptionsSchema>, 'redisWaitReplicas'> & {
  redisWaitReplicas: number;
  /** Unset on a cluster: redisWaitReplicas is decided once connected, from the cluster's replicas. */
  redisWaitReplicasAuto: boolean;
};

export function resolveCoordinatorOptions(input: CoordinatorOptionsInput): CoordinatorOptions {
  const parsed = CoordinatorOptionsSchema.safeParse(input);
  if (!parsed.success) throw new Error(`invalid coordinator options: ${describeIssues(parsed.error)}`);
  const o = parsed.data;
  return {
    ...o,
    redisWaitReplicas: o.redisWaitReplicas ?? (isSentinelUrl(o.redisUrl) ? 1 : 0),
    redisWaitReplicasAuto: o.redisWaitReplicas === undefined && isClusterUrl(o.redisUrl),
  };
}
