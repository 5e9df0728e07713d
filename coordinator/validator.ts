/**
 * Validation service: reads a unit, decides with quorum.ts and the kind's compare function, applies the
 * decision with validate.lua. The Lua script refuses a decision made on a stale read (the unit's version
 * moved), in which case we read and decide again: two coordinators can never validate a unit twice.
 *
 * Commit, then audit: a result that would become canonical is first sent to the verifier (verifier.ts),
 * which recomputes blocks of it and records what it found (audit-result.lua); the unit then comes back
 * here and is decided with that finding. A host whose result is judged invalid is caught: its results in
 * jobs still running are reopened (reopen.lua).
 */
import type { Logger } from 'pino';
import type { ChainableCommander } from 'ioredis';
import { OPS_PER_COBBLESTONE, leaseId } from '../protocol/index.js';
import { OUTCOME, REPLICA_STATE, UNIT, replicaField, type AuditLetter, type OutcomeLetter, type ReplicaState } from './store/unit-layout.js';
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

export interface ValidatorHooks {
  /** A decision settled a job (its id is in `settled` already): wake the assembler. */
  settled(): void;
  /** Results that must pass an audit before they count: queue them with the verifier (idempotent). */
  audit(audits: Array<{ jobId: string; unit: number; replica: number }>): Promise<void>;
  /** Once per unit that became valid, with the unit as read (the turnaround histogram). */
  valid?(jobId: string, unit: Record<string, string>, nowMs: number): void;
  /** Each result newly judged, so its host can be told its credit (the `credit` message). */
  judged?(items: JudgedResult[]): void;
}

/** An audit not answered by then is asked for again (the audit queue ignores a request for one it holds). */
const AUDIT_BACKSTOP_MS = 60_000;
/** Units per validate.lua call: a script blocks Redis while it runs (64 take about as long as one lease of 64). */
export const VALIDATE_BATCH = 64;

type Plan =
  | { step: 'apply'; action: Decision['action']; credit: number; outcomes: Array<[number, OutcomeLetter]>; args: Array<string | number> }
  | { step: 'audit'; replica: number };

export class Validator {
  constructor(
    private readonly redis: StoreRedis,
    private readonly keys: Keys,
    private readonly jobs: JobStore,
    private readonly hooks: ValidatorHooks,
    private readonly log: Logger,
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
    const planned: Array<{ i: number; action: Decision['action']; judged: JudgedResult[]; args: Array<string | number> }> = [];
    const audits: Array<{ jobId: string; unit: number; replica: number }> = [];
    const judged: JudgedResult[] = [];
    const results: string[] = units.map(() => 'ok');
    for (let i = 0; i < units.length; i++) {
      const { jobId, unit } = units[i];
      const h = hashes[i];
      const meta = await this.jobs.meta(jobId);
      const plan = meta && h[UNIT.version] ? this.decide(meta, unit, h) : null;
      const member = `${jobId}.${unit}`;
      if (!plan) {
        pipe.zrem(this.keys.key('validate'), member);
        continue;
      }
      if (plan.step === 'audit') {
        // The unit stays queued for validation, later: if the audit is lost, it is asked for again.
        pipe.zadd(this.keys.key('validate'), 'XX', now + AUDIT_BACKSTOP_MS, member);
        audits.push({ jobId, unit, replica: plan.replica });
        continue;
      }
      planned.push({
        i,
        action: plan.action,
        args: [jobId, unit, h[UNIT.version], plan.args.length, ...plan.args],
        // Outcomes are written once: results judged before are not announced again.
        judged: plan.outcomes.filter(([r]) => !h[replicaField('outcome', r)]).map(([r, o]) => ({
          leaseId: leaseId(jobId, unit, r), hostId: h[replicaField('host', r)], credit: o === OUTCOME.valid ? plan.credit : 0, valid: o === OUTCOME.valid,
        })),
      });
    }
    // Decisions go to validate.lua in batches (it sums what they grant per host: see the script).
    const batches: Array<typeof planned> = [];
    for (let k = 0; k < planned.length; k += VALIDATE_BATCH) {
      const batch = planned.slice(k, k + VALIDATE_BATCH);
      batches.push(batch);
      pipe.ig_validate(this.keys.prefix, now, batch.length, ...batch.flatMap((p) => p.args));
    }
    const replies = (await (pipe as unknown as ChainableCommander).exec()) ?? [];
    const scripted = replies.slice(replies.length - batches.length);
    let settled = false;
    batches.forEach((batch, b) => {
      const [err, res] = scripted[b] ?? [new Error('no reply'), null];
      batch.forEach((p, k) => {
        const { jobId, unit } = units[p.i];
        const reply = err ? `error: ${err.message}` : String((res as unknown[])[k]);
        if (reply.startsWith('error')) {
          this.log.warn({ jobId, unit, err: reply }, 'validation failed; a unit still queued for validation is retried by the transitioner');
          return;
        }
        results[p.i] = reply;
        if (reply === 'stale') return;
        judged.push(...p.judged);
        if (p.action === 'valid') this.hooks.valid?.(jobId, hashes[p.i], now);
        if (reply === 'settled') settled = true;
      });
    });
    await this.hooks.audit(audits);
    if (judged.length) this.hooks.judged?.(judged);
    await this.reopenCaught(judged);
    if (settled) this.hooks.settled();
    return results;
  }

  /** Hosts whose results were just judged invalid: what they vouched for in running jobs is computed again. */
  private async reopenCaught(judged: JudgedResult[]): Promise<void> {
    const caught = new Set(judged.filter((j) => !j.valid).map((j) => j.hostId));
    for (const host of caught) {
      const reopened = Number(await this.redis.ig_reopen(this.keys.prefix, host, Date.now()));
      this.log.warn({ hostId: host, reopened }, 'a host returned an invalid result: its trust is reset, and its valid results in running jobs are reopened');
    }
  }

  /** What to do with a unit as read, or null when there is nothing to do. */
  private decide(meta: JobMeta, unit: number, h: Record<string, string>): Plan | null {
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
      auditRequired: kind.audit !== undefined && (meta.policy.audit > 0 || meta.policy.probation > 0),
    };
    const view = replicaSet(h);
    const d = decide(view, judge, meta.policy.maxSuccessResults);
    const ops = kind.ops(spec);
    const credit = ops / OPS_PER_COBBLESTONE;
    switch (d.action) {
      case 'none':
        return null;
      case 'audit':
        return { step: 'audit', replica: d.replica };
      case 'valid': {
        const canonical = view.replicas.find((x) => x.r === d.canon)!.result;
        const decisive = !meta.exhaustive && kind.decisive?.(canonical, meta.params) === true;
        const items = kind.items ? kind.items(spec) : 1;
        return { step: 'apply', action: d.action, credit, outcomes: d.outcomes, args: ['valid', d.canon, credit, items, ops, decisive ? '1' : '0', ...d.outcomes.flat()] };
      }
      case 'late':
        return { step: 'apply', action: d.action, credit, outcomes: d.outcomes, args: ['late', credit, ops, ...d.outcomes.flat()] };
      case 'more':
      case 'fail':
        return { step: 'apply', action: d.action, credit, outcomes: d.outcomes, args: [d.action, d.reason, credit, ops, ...d.outcomes.flat()] };
    }
  }
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
    const audit = h[replicaField('audit', r)] as AuditLetter | undefined;
    replicas.push({ r, state, result, outcome: h[replicaField('outcome', r)] as Replica['outcome'], ...(audit ? { audit } : {}) });
  }
  return {
    state: h[UNIT.state] as ReplicaSet['state'],
    quorum: Number(h[UNIT.quorum]),
    canon: h[UNIT.canon] !== undefined ? Number(h[UNIT.canon]) : undefined,
    replicas,
  };
}
