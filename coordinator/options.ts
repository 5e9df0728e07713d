/**
 * Coordinator options in three stages (as the Temporal SDK does): what the user wrote (flags, env),
 * with defaults applied and validated here, and printed at start so an operator sees what is in force.
 */
import { randomBytes } from 'node:crypto';
import { hostname } from 'node:os';
import { z } from 'zod';
import { describeIssues } from '../protocol/index.js';

export const CoordinatorOptionsSchema = z.object({
  host: z.string().min(1).default('127.0.0.1'),
  port: z.number().int().min(0).max(65535).default(8080),
  redisUrl: z.string().regex(/^rediss?:\/\//, 'redis URL must start with redis:// or rediss://').default('redis://127.0.0.1:6379'),
  /** How long start-up waits for Redis before giving up with what it tried. */
  redisTimeoutS: z.number().positive().max(3600).default(10),
  /** Namespace of every Redis key; coordinators that share work must share it. */
  prefix: z.string().regex(/^[A-Za-z0-9_-]{1,32}$/).default('ig'),
  /** Where uploaded recordings are stored (content-addressed). */
  dataDir: z.string().default('.data/store'),
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
});

export type CoordinatorOptionsInput = z.input<typeof CoordinatorOptionsSchema>;
export type CoordinatorOptions = z.output<typeof CoordinatorOptionsSchema>;

export function resolveCoordinatorOptions(input: CoordinatorOptionsInput): CoordinatorOptions {
  const parsed = CoordinatorOptionsSchema.safeParse(input);
  if (!parsed.success) throw new Error(`invalid coordinator options: ${describeIssues(parsed.error)}`);
  return parsed.data;
}
