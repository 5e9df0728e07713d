/**
 * Dispatch: lease.lua picks which replicas a host gets (atomically, so two coordinators never hand out
 * the same replica); here each lease becomes a WorkUnit with its spec derived from the job's parameters.
 */
import { randomInt } from 'node:crypto';
import { leaseId, parseLeaseId, type NoWorkReason, type WorkUnit } from '../protocol/index.js';
import type { JobStore } from './job-store.js';
import type { Keys } from './store/keys.js';
import type { StoreRedis } from './store/scripts.js';
import { replicaField, sliceField } from './store/unit-layout.js';

export interface LeaseRequest {
  hostId: string;
  accountId: string;
  /** Kind names this host runs at the coordinator's kind version. */
  kinds: string[];
  count: number;
}

export class Dispatcher {
  constructor(private readonly redis: StoreRedis, private readonly keys: Keys, private readonly jobs: JobStore) {}

  async lease(req: LeaseRequest): Promise<{ units: WorkUnit[]; reason: NoWorkReason | null }> {
    const rand = Array.from({ length: req.count }, () => randomInt(0, 1e9) / 1e9);
    const flat = (await this.redis.ig_lease(this.keys.prefix, req.hostId, req.accountId, Date.now(), req.count,
      `,${req.kinds.join(',')},`, 32, ...rand)) as Array<string | number>;
    const reason = flat.pop() as string;
    const units: WorkUnit[] = [];
    for (let i = 0; i < flat.length; i += 4) {
      const unit = await this.workUnit(String(flat[i]), Number(flat[i + 1]), Number(flat[i + 2]), Number(flat[i + 3]));
      if (unit) units.push(unit);
    }
    return { units, reason: units.length ? null : ((reason || 'all_leased') as NoWorkReason) };
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
