/**
 * What the grid decided about a finished key-search job, read from Redis through coordinator/store/
 * (unit-layout.ts, keys.ts): each unit's canonical result against an honest recomputation, every
 * replica's host and outcome, and the credit of the hosts and accounts involved. The security suite
 * asserts on it; nothing here decides for the test.
 */
import type { Redis } from 'ioredis';
import { keysOn } from './store-keys.js';
import { OUTCOME, REPLICA_STATE } from '../../coordinator/store/unit-layout.js';
import { getKind } from '../../workunits/index.js';
import { encryptBlock } from '../../workunits/keysearch/kind.js';
import type { Params, Result } from '../../workunits/keysearch/params.js';
import { honestResult } from './compute.js';
import { readUnitHash, type ReplicaView } from './unit-hash.js';

export interface ReplicaVerdict extends ReplicaView {
  unit: number;
  leaseId: string;
}

export interface JobVerdict {
  units: number;
  /** Units whose canonical result differs from an honest computation (digest, blocks, keys, or the job's key). */
  wrongUnits: number[];
  /** Units not valid at the end. */
  unsettled: number[];
  replicas: ReplicaVerdict[];
}

/** The keys of `found` that open the job's own ciphertext (ringers and decoys do not). */
export const jobKeys = (p: Params, found: Array<{ key: string }>): string[] =>
  found.map((f) => f.key).filter((k) => encryptBlock(k, p.iv, p.plaintext) === p.ciphertext).sort();

/**
 * Every unit of a job against an honest recomputation; `right` says whether a canonical result stands
 * for the honest one (key search: the same bits and the same keys of the job; signal scan: the kind's
 * own compare, as a second honest host would be judged).
 */
export async function jobVerdict(redis: Redis, prefix: string, kindName: string, jobId: string, params: unknown, right: (canon: any, truth: any, spec: any) => boolean): Promise<JobVerdict> {
  const kind = getKind(kindName)!;
  const p = kind.params.parse(params);
  const plan = kind.plan(p);
  if (!plan.ok) throw new Error(plan.error.message);
  const v: JobVerdict = { units: plan.value.unitsTotal, wrongUnits: [], unsettled: [], replicas: [] };
  for (let u = 0; u < plan.value.unitsTotal; u++) {
    const h = await readUnitHash(redis, prefix, jobId, u);
    v.replicas.push(...h.replicas.map((x) => ({ ...x, unit: u, leaseId: `${jobId}.${u}.${x.r}` })));
    if (h.state !== 'valid') {
      v.unsettled.push(u);
      continue;
    }
    const spec = kind.unit(p, plan.value, u);
    if (!right(h.canonical, await honestResult(kindName, spec), spec)) v.wrongUnits.push(u);
  }
  return v;
}

export const keysearchVerdict = (redis: Redis, prefix: string, jobId: string, params: Params): Promise<JobVerdict> =>
  jobVerdict(redis, prefix, 'keysearch', jobId, params, (canon: Result, truth: Result) =>
    canon.keys === truth.keys && canon.digest === truth.digest && canon.blocks.join() === truth.blocks.join() &&
    jobKeys(params, canon.found).join() === jobKeys(params, truth.found).join());

export const fftscanVerdict = (redis: Redis, prefix: string, jobId: string, params: unknown): Promise<JobVerdict> =>
  jobVerdict(redis, prefix, 'fftscan', jobId, params, (canon, truth, spec) => getKind('fftscan')!.compare(canon, truth, spec));

/** Replicas of `leaseIds` (lies) that were reported and ended judged valid. */
export const liesJudgedValid = (v: JobVerdict, lies: Set<string>): ReplicaVerdict[] =>
  v.replicas.filter((x) => lies.has(x.leaseId) && x.state === REPLICA_STATE.reported && x.outcome === OUTCOME.valid);

/** Replicas of `leaseIds` that the coordinator stored as results. */
export const stored = (v: JobVerdict, leaseIds: Set<string>): ReplicaVerdict[] =>
  v.replicas.filter((x) => leaseIds.has(x.leaseId) && x.state === REPLICA_STATE.reported);

export interface Standing {
  credit: number;
  nValid: number;
  nInvalid: number;
  trust: number;
  /** Replicas it held past their deadline. */
  timeouts: number;
}

export async function hostStanding(redis: Redis, prefix: string, hostId: string, kind = 'keysearch'): Promise<Standing> {
  const [credit, nValid, nInvalid, cv, nTimeout] = await redis.hmget(keysOn(redis, prefix).key('host', { host: hostId }), 'credit', 'nValid', 'nInvalid', `cv:${kind}`, 'nTimeout');
  return { credit: Number(credit ?? 0), nValid: Number(nValid ?? 0), nInvalid: Number(nInvalid ?? 0), trust: Number(cv ?? 0), timeouts: Number(nTimeout ?? 0) };
}

export async function accountCredit(redis: Redis, prefix: string, accountId: string): Promise<number> {
  return Number((await redis.hget(keysOn(redis, prefix).key('account', { account: accountId }), 'credit')) ?? 0);
}
