/**
 * Dispatch: lease.lua picks which replicas a host gets (atomically, so two coordinators never hand out
 * the same replica, and never more than the host's allowance and daily quota); here each lease becomes a
 * WorkUnit with its spec derived from the job's parameters. The requests of several hosts share a
 * lease.lua call (group-commit.ts): those that arrive while a call is out go together in the next.
 */
import { randomInt } from 'node:crypto';
import { leaseId, parseLeaseId, type NoWorkReason, type WorkUnit } from '../protocol/index.js';
import { GroupCommit, type GroupCommitOptions } from './group-commit.js';
import type { JobStore } from './job-store.js';
import type { CoordinatorOptions } from './options.js';
import type { Keys } from './store/keys.js';
import type { StoreRedis } from './store/scripts.js';
import { replicaField, sliceField } from './store/unit-layout.js';

export interface LeaseRequest {
  hostId: string;
  accountId: string;
  /** Kind names this host runs at the coordinator's kind version. */
  kinds: string[];
  count: number;
  /** The host's network (network.ts); '' where exempt (loopback). */
  network: string;
  /** Threads the host declared: an upper bound on what it may hold, never a reason to give it more. */
  threads: number;
}

/** Which limit stopped a request (lease.lua's details with reason `quota`). */
export type QuotaDetail =
  | { limit: 'held'; held: number; allowance: number }
  | { limit: 'day'; who: 'host' | 'account'; kind: string; quota: number; used: number; day: number };

/** Jobs lease.lua looks at, lowest pass first, per pass of its scheduling loop. */
const SCHED_WINDOW = 32;

/** lease.lua's answer to one request: jobId, unit, replica, deadline, ... then the reason and the quota's details. */
type LeaseAnswer = Array<string | number>;

export class Dispatcher {
  private readonly gather: GroupCommit<LeaseRequest, LeaseAnswer>;

  constructor(
    private readonly redis: StoreRedis,
    private readonly keys: Keys,
    private readonly jobs: JobStore,
    limits: Pick<CoordinatorOptions, 'leasesPerThread' | 'newHostLeases'>,
    opts: GroupCommitOptions = {},
  ) {
    this.gather = new GroupCommit((reqs) => {
      const args = reqs.flatMap((req) => [
        req.hostId, req.accountId, req.count, `,${req.kinds.join(',')},`, req.network, req.threads, req.count,
        ...Array.from({ length: req.count }, () => randomInt(0, 1e9) / 1e9),
      ]);
      return redis.ig_lease(keys.prefix, Date.now(), SCHED_WINDOW, limits.leasesPerThread, limits.newHostLeases, reqs.length, ...args) as Promise<LeaseAnswer[]>;
    }, (req) => req.count, opts);
  }

  /** lease.lua calls made, and the hosts' requests they served (/metrics). */
  get calls(): number {
    return this.gather.calls;
  }

  get requests(): number {
    return this.gather.requests;
  }

  async lease(req: LeaseRequest): Promise<{ units: WorkUnit[]; reason: NoWorkReason | null; quota?: QuotaDetail }> {
    const flat = [...(await this.gather.submit(req))];
    const detail = String(flat.pop() ?? '');
    const reason = flat.pop() as string;
    const units: WorkUnit[] = [];
    for (let i = 0; i < flat.length; i += 4) {
      const unit = await this.workUnit(String(flat[i]), Number(flat[i + 1]), Number(flat[i + 2]), Number(flat[i + 3]));
      if (unit) units.push(unit);
    }
    if (units.length) return { units, reason: null };
    return { units, reason: (reason || 'all_leased') as NoWorkReason, ...(detail ? { quota: JSON.parse(detail) as QuotaDetail } : {}) };
  }

  /** The units a host still holds (after a reconnect), rebuilt from Redis. */
  async held(hostId: string): Promise<WorkUnit[]> {
    const ids = await this.redis.smembers(this.keys.key('hostLeases', { host: hostId }));
    const out: WorkUnit[] = [];
    for (const id of ids) {
      const { jobId, unit, replica } = parseLeaseId(id);
      const deadline = await this.redis.hget(this.keys.key('unit', { job: jobId, unit }), replicaField('deadline', replica));
      const wu = deadline ? await this.workUnit(jobId, unit, replica, Number(deadline)) : null;
      if (wu) out.push(wu);
    }
    return out;
  }

  private async workUnit(jobId: string, unit: number, replica: number, deadline: number): Promise<WorkUnit | null> {
    const meta = await this.jobs.meta(jobId);
    if (!meta) return null;
    const { spec } = this.jobs.unitSpec(meta, unit);
    const wu: WorkUnit = {
      leaseId: leaseId(jobId, unit, replica),
      jobId,
      unit,
      kind: meta.kind.name,
      kindVersion: meta.kind.version,
      spec,
      deadline,
      ops: meta.kind.ops(spec),
    };
    const ref = meta.kind.input?.(meta.params, spec);
    if (ref) {
      const sha = await this.redis.hget(this.keys.key('slices', { job: jobId }), sliceField(ref));
      if (!sha) return null;
      wu.input = { path: `/api/data/${ref.sha256}?offset=${ref.offset}&length=${ref.length}&lease=${wu.leaseId}`, sha256: sha, length: ref.length };
    }
    return wu;
  }
}
