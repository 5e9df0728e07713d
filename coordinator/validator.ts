/**
 * Validation service: reads a unit, decides with quorum.ts and the kind's compare function, applies the
 * decision with validate.lua. The Lua script refuses a decision made on a stale read (the unit's version
 * moved), in which case we read and decide again: two coordinators can never validate a unit twice.
 */
import type { Logger } from 'pino';
import type { ChainableCommander } from 'ioredis';
import { OPS_PER_COBBLESTONE, leaseId } from '../protocol/index.js';
import { OUTCOME, REPLICA_STATE, UNIT, replicaField, type OutcomeLetter, type ReplicaState } from './store/unit-layout.js';
import { decide, type Decision, type Replica, type ReplicaSet } from './quorum.js';
import type { JobMeta, JobStore } from './job-store.js';
import type { Keys } from './store/keys.js';
import type { StorePipeline, StoreRedis } from './store/scripts.js';

export { OPS_PER_COBBLESTONE } from '../protocol/index.js';

export interface JudgedResult {
  leaseId: string;
  hostId: string;
  credit: number;
  valid: boolean;
}

export class Validator {
  constructor(
    private readonly redis: StoreRedis,
    private readonly keys: Keys,
    private readonly jobs: JobStore,
    /** Called when a decision settled a job (its id is in `settled` already): wake the assembler. */
    private readonly onSettled: () => void,
    private readonly log: Logger,
    /** Called once per unit that became valid, with the unit as read (for the turnaround histogram). */
    private readonly onValid?: (jobId: string, unit: Record<string, string>, nowMs: number) => void,
    /** Called with each result newly judged, so its host can be told its credit (the `credit` message). */
    private readonly onJudged?: (items: JudgedResult[]) => void,
  ) {}

  /** Validate one unit, re-reading it until a decision applies to an unchanged unit. */
  async validateUnit(jobId: string, unit: number): Promise<void> {
    for (let attempt = 0; attempt < 8; attempt++) {
      const [h] = await this.read([{ jobId, unit }]);
      if ((await this.apply([{ jobId, unit }], [h]))[0] !== 'stale') return;
    }
    this.log.warn({ jobId, unit }, 'unit kept changing during validation; the transitioner will retry');
  }

  /**
   * Validate many units (a batch of results) in two round trips: one pipeline reads every unit, one
   * applies every decision. Units that changed in between are retried one by one.
   */
  async validateMany(units: Array<{ jobId: string; unit: number }>): Promise<void> {
    if (!units.length) return;
    const outcomes = await this.apply(units, await this.read(units));
    for (let i = 0; i < units.length; i++) if (outcomes[i] === 'stale') await this.validateUnit(units[i].jobId, units[i].unit);
  }

  private async read(units: Array<{ jobId: string; unit: number }>): Promise<Array<Record<string, string>>> {
    const pipe = this.redis.pipeline();
    for (const u of units) pipe.hgetall(this.keys.key('unit', { job: u.jobId, unit: u.unit }));
    return ((await pipe.exec()) ?? []).map(([err, h]) => (err ? {} : (h as Record<string, string>)));
  }

  private async apply(units: Array<{ jobId: string; unit: number }>, hashes: Array<Record<string, string>>): Promise<string[]> {
    const now = Date.now();
    const pipe = this.redis.pipeline() as unknown as StorePipeline;
    const planned: Array<{ i: number; action: Decision['action']; judged: JudgedResult[] } | null> = [];
    const judged: JudgedResult[] = [];
    const results: string[] = units.map(() => 'ok');
    for (let i = 0; i < units.length; i++) {
      const { jobId, unit } = units[i];
      const meta = await this.jobs.meta(jobId);
      const args = meta && hashes[i][UNIT.version] ? this.decide(meta, unit, hashes[i]) : null;
      if (!args) {
        pipe.zrem(this.keys.key('validate'), `${jobId}.${unit}`);
        planned.push(null);
        continue;
      }
      pipe.ig_validate(this.keys.prefix, jobId, unit, hashes[i][UNIT.version], now, ...args.args);
      const h = hashes[i];
      planned.push({
        i,
        action: args.action,
        // Outcomes are written once: results judged before are not announced again.
        judged: args.outcomes.filter(([r]) => !h[replicaField('outcome', r)]).map(([r, o]) => ({
          leaseId: leaseId(jobId, unit, r), hostId: h[replicaField('host', r)], credit: o === OUTCOME.valid ? args.credit : 0, valid: o === OUTCOME.valid,
        })),
      });
    }
    const replies = (await (pipe as unknown as ChainableCommander).exec()) ?? [];
    replies.forEach(([err, res], k) => {
      const p = planned[k];
      if (!p) return;
      const { jobId, unit } = units[p.i];
      if (err) {
        this.log.warn({ jobId, unit, err: err.message }, 'validation failed; the transitioner will retry');
        return;
      }
      results[p.i] = String(res);
      if (res === 'stale') return;
      judged.push(...p.judged);
      if (p.action === 'valid') this.onValid?.(jobId, hashes[p.i], now);
      if (res === 'settled') this.onSettled();
    });
    if (judged.length) this.onJudged?.(judged);
    return results;
  }

  /** The validate.lua arguments for a unit as read, or null when there is nothing to do. */
  private decide(meta: JobMeta, unit: number, h: Record<string, string>): Planned | null {
    const { kind } = meta;
    const { spec, secret } = this.jobs.unitSpec(meta, unit);
    const judge = {
      acceptable: (result: unknown) => {
        const parsed = kind.result.safeParse(result);
        if (!parsed.success) return false;
        if (kind.check && !kind.check(spec, parsed.data)) return false;
        if (secret !== undefined && kind.ringersFound && !kind.ringersFound(spec, secret, parsed.data)) return false;
        return true;
      },
      agree: (a: unknown, b: unknown) => kind.compare(a, b, spec),
    };
    const view = replicaSet(h);
    const d = decide(view, judge, meta.policy.maxSuccessResults);
    const ops = kind.ops(spec);
    const credit = ops / OPS_PER_COBBLESTONE;
    switch (d.action) {
      case 'none':
        return null;
      case 'valid': {
        const canonical = view.replicas.find((x) => x.r === d.canon)!.result;
        const decisive = !meta.exhaustive && kind.decisive?.(canonical, meta.params) === true;
        const items = kind.items ? kind.items(spec) : 1;
        return { action: d.action, credit, outcomes: d.outcomes, args: ['valid', d.canon, credit, items, ops, decisive ? '1' : '0', ...d.outcomes.flat()] };
      }
      case 'late':
        return { action: d.action, credit, outcomes: d.outcomes, args: ['late', credit, ops, ...d.outcomes.flat()] };
      case 'more':
      case 'fail':
        return { action: d.action, credit, outcomes: d.outcomes, args: [d.action, d.reason, credit, ops, ...d.outcomes.flat()] };
    }
  }
}

interface Planned {
  action: Decision['action'];
  credit: number;
  outcomes: Array<[number, OutcomeLetter]>;
  args: Array<string | number>;
}

function replicaSet(h: Record<string, string>): ReplicaSet {
  const replicas: Replica[] = [];
  const n = Number(h[UNIT.replicas] ?? 0);
  for (let r = 0; r < n; r++) {
    const raw = h[replicaField('result', r)];
    const state = h[replicaField('state', r)] as ReplicaState;
    let result: unknown;
    if (state === REPLICA_STATE.reported && raw !== undefined) {
      try {
        result = JSON.parse(raw);
      } catch {
        result = undefined;
      }
    }
    replicas.push({ r, state, result, outcome: h[replicaField('outcome', r)] as Replica['outcome'] });
  }
  return {
    state: h[UNIT.state] as ReplicaSet['state'],
    quorum: Number(h[UNIT.quorum]),
    canon: h[UNIT.canon] !== undefined ? Number(h[UNIT.canon]) : undefined,
    replicas,
  };
}
