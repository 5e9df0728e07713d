/**
 * What the dashboard reads: /api/stats, /api/history, /api/hosts, /api/hosts/:id, /api/leaderboard and
 * the server-sent events of /api/events. Rates are per second; times are epoch milliseconds; credit is
 * in cobblestones (1/200 of a day of a 1 GFLOPS machine), as in BOINC.
 */
import { z } from 'zod';
import { HostId, JobId, JobState, KindName } from './common.js';

export { jobFraction } from './job-progress.js';

export const UnitCounts = z.object({
  /** Units waiting for a host: not yet cut from their job, or needing another replica. */
  queued: z.number().int(),
  /** Replicas out with hosts (the `leases` index). */
  inFlight: z.number().int(),
  /** Units with enough results, waiting for the validator. */
  validating: z.number().int(),
});
export type UnitCounts = z.infer<typeof UnitCounts>;

export const GridStats = z.object({
  t: z.number(),
  /** Operations per second of the work validated in the last `windowS` seconds (see docs/dashboard.md). */
  flops: z.number(),
  windowS: z.number(),
  /** Results returned by hosts (errors included) per second over the same window. */
  resultsPerS: z.number(),
  hostsActive: z.number().int(),
  threadsActive: z.number().int(),
  units: UnitCounts,
  /** Totals since the store began. */
  opsValid: z.number(),
  creditTotal: z.number(),
  resultsValid: z.number(),
  resultsInvalid: z.number(),
});
export type GridStats = z.infer<typeof GridStats>;

export const HistoryRange = z.enum(['hour', 'day', 'week']);
export type HistoryRange = z.infer<typeof HistoryRange>;

/** One chart point: rates over the interval that ends at `t`; null where no coordinator was sampling. */
export const HistoryPoint = z.object({
  t: z.number(),
  flops: z.number().nullable(),
  resultsPerS: z.number().nullable(),
  hosts: z.number().int().nullable(),
  threads: z.number().int().nullable(),
});
export type HistoryPoint = z.infer<typeof HistoryPoint>;

export const History = z.object({ range: HistoryRange, stepS: z.number(), points: z.array(HistoryPoint) });
export type History = z.infer<typeof History>;

/** A job as the dashboard lists it: no parameters, no result. */
export const JobSummary = z.object({
  id: JobId,
  kind: KindName,
  name: z.string().optional(),
  /** The owner's account name (or id when it has none); null for jobs submitted without an account. */
  owner: z.string().nullable(),
  state: JobState,
  createdAt: z.string(),
  /** jobFraction: settled units out of all; 1 once done. */
  fraction: z.number(),
  unitsTotal: z.number().int(),
  unitsDone: z.number().int(),
  unitsFailed: z.number().int(),
  itemName: z.string(),
  rate: z.number(),
  etaS: z.number().nullable(),
});
export type JobSummary = z.infer<typeof JobSummary>;

/** Counts of a host's results by outcome (validated, refused by the validator, errors, missed deadlines). */
export const ResultCounts = z.object({ valid: z.number().int(), invalid: z.number().int(), error: z.number().int(), timeout: z.number().int() });

export const HostSummary = z.object({
  id: HostId,
  name: z.string(),
  /** The account's name, or '' for an anonymous host. */
  account: z.string(),
  threads: z.number().int(),
  lastSeen: z.number(),
  active: z.boolean(),
  credit: z.number(),
  /** Recent average credit per day (BOINC's RAC, half-life 7 days). */
  rac: z.number(),
  results: ResultCounts,
  /** Share of its results that were not valid (invalid, error, no reply); null before any result. */
  errorRate: z.number().nullable(),
});
export type HostSummary = z.infer<typeof HostSummary>;

export const HostList = z.object({ total: z.number().int(), hosts: z.array(HostSummary) });
export type HostList = z.infer<typeof HostList>;

export const HostDetail = HostSummary.extend({
  firstSeen: z.number().nullable(),
  software: z.string(),
  /** What the worker said its state was at its last heartbeat (computing, idle, paused, ...). */
  state: z.string(),
  facts: z.record(z.string(), z.unknown()),
  kinds: z.array(z.string()),
  /** Consecutive valid results per kind: adaptive replication trusts a host from 10 on. */
  trust: z.record(z.string(), z.number()),
  unitsHeld: z.number().int(),
  /** The last 30 UTC days with any activity, oldest first. */
  daily: z.array(z.object({ day: z.string(), credit: z.number(), valid: z.number(), invalid: z.number(), errors: z.number() })),
});
export type HostDetail = z.infer<typeof HostDetail>;

export const LeaderboardOrder = z.enum(['total', 'recent']);
export const LeaderRow = z.object({ rank: z.number().int(), id: z.string(), name: z.string(), credit: z.number(), rac: z.number() });
export type LeaderRow = z.infer<typeof LeaderRow>;
export const Leaderboard = z.object({
  by: LeaderboardOrder,
  accounts: z.array(LeaderRow),
  teams: z.array(LeaderRow),
  hosts: z.array(LeaderRow),
});
export type Leaderboard = z.infer<typeof Leaderboard>;

/** Pushed on /api/events (`event: snapshot`) every few seconds and at once when a job changes state. */
export const DashboardSnapshot = z.object({
  type: z.literal('snapshot'),
  stats: GridStats,
  jobs: z.array(JobSummary),
  /** The newest history sample's point, for the live chart (null before the first sample). */
  latest: HistoryPoint.nullable(),
});
export const DashboardEvent = z.discriminatedUnion('type', [DashboardSnapshot]);
export type DashboardEvent = z.infer<typeof DashboardEvent>;

// ---- query strings ----
export const HistoryQuery = z.object({ range: HistoryRange.default('hour') });
export const HostsQuery = z.object({ limit: z.coerce.number().int().min(1).max(500).default(50) });
export const LeaderboardQuery = z.object({ by: LeaderboardOrder.default('total'), limit: z.coerce.number().int().min(1).max(100).default(20) });
