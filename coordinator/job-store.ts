/**
 * Jobs: submission (validate, plan, persist), the public job document, listing, cancelling, and the
 * immutable per-job facts (kind, params, plan, secret) that dispatch and validation need, cached.
 */
import { createHmac, randomBytes } from 'node:crypto';
import { z } from 'zod';
import { IdlegridError, Policy, SubmitJob, describeIssues, type JobDoc } from '../protocol/index.js';
import { KINDS, getKind, type Kind, type Plan } from '../workunits/index.js';
import type { CoordinatorOptions } from './options.js';
import { newJobId } from './ids.js';
import { toJobDoc } from './job-doc.js';
import type { Keys } from './store/keys.js';
import type { StoreRedis } from './store/scripts.js';
import { sliceField } from './store/unit-layout.js';
import type { InputStore } from './inputs/input-store.js';

export interface JobMeta {
  id: string;
  kind: Kind<any, any, any, any>;
  params: any;
  plan: Plan;
  policy: Policy;
  secret: Buffer;
  /** Search on after a decisive result (a key found). */
  exhaustive: boolean;
}

/** A unit's spec as sent to hosts, plus the coordinator-only ringer secret. */
export interface UnitSpec {
  spec: unknown;
  secret?: unknown;
}

export class JobStore {
  private readonly metaCache = new Map<string, JobMeta>();

  constructor(
    private readonly redis: StoreRedis,
    private readonly keys: Keys,
    private readonly opts: CoordinatorOptions,
    private readonly inputs: InputStore,
  ) {}

  async submit(body: unknown, owner: string | null): Promise<JobDoc> {
    const sub = SubmitJob.safeParse(body);
    if (!sub.success) throw new IdlegridError('BAD_REQUEST', describeIssues(sub.error));
    const kind = getKind(sub.data.kind);
    if (!kind) throw new IdlegridError('UNKNOWN_KIND', `"${sub.data.kind}"; known kinds: ${knownKinds()}`);
    const params = kind.params.safeParse(sub.data.params ?? {});
    if (!params.success) throw new IdlegridError('BAD_PARAMS', prefixIssues('params', params.error));
    const policy = Policy.safeParse(sub.data.policy ?? {});
    if (!policy.success) throw new IdlegridError('BAD_PARAMS', prefixIssues('policy', policy.error));
    const planned = kind.plan(params.data);
    if (!planned.ok) throw new IdlegridError(planned.error.code, planned.error.message);
    const plan = planned.value;
    for (const sha of plan.inputs ?? []) {
      if (!(await this.inputs.has(sha))) throw new IdlegridError('INPUT_MISSING', `${sha}; upload it first (POST /api/data)`);
    }

    const id = newJobId();
    const now = Date.now();
    const p = policy.data;
    const delayS = p.delayBoundS ?? Math.max(this.opts.minDelayS, (plan.opsPerUnit / this.opts.refOpsPerS) * 20);
    const itemsTotal = plan.itemsTotal ?? plan.unitsTotal;
    if (kind.input) await this.hashSlices(id, kind, params.data, plan);
    const fields: Record<string, string | number> = {
      id,
      kind: kind.name,
      name: sub.data.name ?? '',
      owner: owner ?? '',
      public: sub.data.public ? '1' : '0',
      priority: sub.data.priority,
      weight: sub.data.weight,
      weightEff: sub.data.weight * 4 ** sub.data.priority,
      params: JSON.stringify(params.data),
      policy: JSON.stringify(p),
      plan: JSON.stringify(plan),
      unitsTotal: plan.unitsTotal,
      minQuorum: p.minQuorum,
      targetResults: p.targetResults,
      maxErrorResults: p.maxErrorResults,
      maxTotalResults: p.maxTotalResults,
      adaptive: p.adaptive ? '1' : '0',
      delayMs: Math.round(delayS * 1000),
      itemsTotal,
      itemName: kind.itemName ?? 'units',
      opsTotal: plan.opsPerUnit * plan.unitsTotal,
      secret: randomBytes(32).toString('hex'),
    };
    await this.redis.ig_createJob(this.keys.prefix, id, now, ...Object.entries(fields).flat());
    return (await this.get(id))!;
  }

  async get(id: string): Promise<JobDoc | null> {
    const [h, failed] = await Promise.all([
      this.redis.hgetall(this.keys.key('job', { job: id })),
      this.redis.hgetall(this.keys.key('failed', { job: id })),
    ]);
    return h.id ? toJobDoc(h, failed, Date.now()) : null;
  }

  async list(limit = 100): Promise<JobDoc[]> {
    const ids = await this.redis.zrevrange(this.keys.key('jobs'), 0, limit - 1);
    const docs = await Promise.all(ids.map((id) => this.get(id)));
    return docs.filter((d): d is JobDoc => d !== null);
  }

  /** Immutable facts of a job, cached for the life of the process. */
  async meta(id: string): Promise<JobMeta | null> {
    const hit = this.metaCache.get(id);
    if (hit) return hit;
    const [kindName, params, plan, policy, secret] = await this.redis.hmget(
      this.keys.key('job', { job: id }), 'kind', 'params', 'plan', 'policy', 'secret');
    const kind = kindName ? getKind(kindName) : undefined;
    if (!kind || !params || !plan || !policy || !secret) return null;
    const parsedParams = JSON.parse(params);
    const meta: JobMeta = {
      id,
      kind,
      params: parsedParams,
      plan: JSON.parse(plan),
      policy: JSON.parse(policy),
      secret: Buffer.from(secret, 'hex'),
      exhaustive: parsedParams.exhaustive === true,
    };
    if (this.metaCache.size > 10_000) this.metaCache.clear();
    this.metaCache.set(id, meta);
    return meta;
  }

  /**
   * The spec of one unit, identical for every replica. Ringers come from an HMAC of the job's secret
   * and the unit index: deterministic for the coordinator, unpredictable for hosts, never stored.
   */
  unitSpec(meta: JobMeta, unit: number): UnitSpec {
    const spec = meta.kind.unit(meta.params, meta.plan, unit);
    const n = meta.policy.ringers ?? 0;
    if (n > 0 && meta.kind.plantRingers) {
      // 8 bytes per ringer and one per target for the shuffle: as many HMAC blocks as that takes.
      const blocks = Math.ceil((9 * n + 1) / 32);
      const random = Buffer.concat(Array.from({ length: blocks }, (_, b) => createHmac('sha256', meta.secret).update(`ringers:${unit}:${b}`).digest()));
      const planted = meta.kind.plantRingers(spec, random, n);
      return { spec: planted.unit, secret: planted.secret };
    }
    return { spec };
  }

  private async hashSlices(id: string, kind: Kind<any, any, any, any>, params: unknown, plan: Plan): Promise<void> {
    const seen = new Map<string, string>();
    for (let i = 0; i < plan.unitsTotal; i++) {
      const ref = kind.input!(params, kind.unit(params, plan, i));
      if (!ref) continue;
      const field = sliceField(ref);
      if (!seen.has(field)) seen.set(field, await this.inputs.sliceSha256(ref.sha256, ref.offset, ref.length));
    }
    if (seen.size) await this.redis.hset(this.keys.key('slices', { job: id }), Object.fromEntries(seen));
  }
}

function prefixIssues(prefix: string, error: z.ZodError): string {
  return error.issues.map((i) => `${[prefix, ...i.path].join('.')}: ${i.message}`).join('; ');
}

function knownKinds(): string {
  return Object.keys(KINDS).join(', ');
}
