/**
 * The live picture pushed to dashboards: grid figures, the latest jobs, the newest chart point. One
 * snapshot goes to every viewer, so jobs are shown as an anonymous caller may see them (coordinator/auth.ts):
 * progress for all, names only of public jobs.
 */
import type { Redis } from 'ioredis';
import { ANONYMOUS, viewJob } from '../auth.js';
import type { GridNow, GridReader } from '../history.js';
import type { JobStore } from '../job-store.js';
import type { Keys } from '../store/keys.js';
import { jobFraction, type DashboardEvent, type GridStats, type JobDoc, type JobSummary } from '../../protocol/index.js';
import { latestPoint } from './history-view.js';

/** Jobs listed on the dashboard, newest first. */
export const JOBS_SHOWN = 25;

export function gridStats(g: GridNow): GridStats {
  const s = g.sample;
  return {
    t: s.t,
    flops: g.flops,
    windowS: g.windowS,
    resultsPerS: g.resultsPerS,
    hostsActive: s.hosts,
    threadsActive: s.threads,
    units: { queued: s.queued, inFlight: s.inFlight, validating: s.validating },
    opsValid: s.ops,
    creditTotal: s.credit,
    resultsValid: s.valid,
    resultsInvalid: s.invalid,
  };
}

export function jobSummary(d: JobDoc, owner: string | null): JobSummary {
  const p = d.progress;
  return {
    id: d.id,
    kind: d.kind,
    ...(d.name ? { name: d.name } : {}),
    owner,
    state: d.state,
    createdAt: d.createdAt,
    fraction: jobFraction(d.state, p.unitsDone, p.unitsFailed, p.unitsTotal),
    unitsTotal: p.unitsTotal,
    unitsDone: p.unitsDone,
    unitsFailed: p.unitsFailed,
    itemName: p.itemName,
    rate: p.rate,
    etaS: p.etaS,
  };
}

export async function jobSummaries(redis: Redis, keys: Keys, jobs: JobStore, limit = JOBS_SHOWN): Promise<JobSummary[]> {
  const docs = (await jobs.list(limit)).map((d) => viewJob(ANONYMOUS, d));
  const owners = [...new Set(docs.map((d) => d.owner).filter((o): o is string => !!o))];
  const names = new Map<string, string>();
  if (owners.length) {
    const p = redis.pipeline();
    for (const account of owners) p.hget(keys.key('account', { account }), 'name');
    ((await p.exec()) ?? []).forEach(([, v], i) => names.set(owners[i], (v as string | null) || owners[i]));
  }
  return docs.map((d) => jobSummary(d, d.owner ? names.get(d.owner) ?? d.owner : null));
}

export async function snapshot(redis: Redis, keys: Keys, jobs: JobStore, grid: GridReader): Promise<DashboardEvent> {
  const [g, list, latest] = await Promise.all([grid.read(), jobSummaries(redis, keys, jobs), latestPoint(redis, keys)]);
  return { type: 'snapshot', stats: gridStats(g), jobs: list, latest };
}
