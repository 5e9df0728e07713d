/**
 * Every Redis key idlegrid uses is named here and nowhere else. The same templates generate the key
 * functions of the Lua prelude (see scripts.ts), so TypeScript and Lua cannot drift apart.
 * docs/architecture.md lists each key with its type and meaning.
 */
import { isClusterUrl } from './redis-url.js';

export const KEY_TEMPLATES = {
  /** HASH: the job (state, params, policy, plan, counters). */
  job: 'job:{job}',
  /** ZSET unit -> unit: units of a job that need another replica issued, lowest unit first. */
  need: 'job:{job}:need',
  /** HASH unit -> canonical result JSON: what assembly reads. */
  canon: 'job:{job}:canon',
  /** HASH unit -> reason: units that failed. */
  failed: 'job:{job}:failed',
  /** SET of lease ids of a job still out with hosts (for cancelling). */
  jobLeases: 'job:{job}:leases',
  /** HASH "offset:length" -> sha256 of that slice of the job's input. */
  slices: 'job:{job}:slices',
  /** HASH: one unit's replicas, results and validation state (only for units handed out). */
  unit: 'job:{job}:u:{unit}',
  /** ZSET job -> createdAt ms: every job, for listing. */
  jobs: 'jobs',
  /** ZSET job -> pass: jobs with units to hand out; lowest pass goes first (stride scheduling). */
  sched: 'sched',
  /** ZSET lease -> deadline ms: every replica out with a host. */
  leases: 'leases',
  /** ZSET "job.unit" -> ms queued: units with results waiting for the validator (crash-safe queue). */
  validate: 'validate',
  /**
   * ZSET "job.unit.replica" -> ms from which it may be claimed: results waiting for their audit, and
   * audits being run (claimed until then, renewed while they run; coordinator/audit-queue.ts).
   */
  audits: 'audits',
  /** HASH "job.unit.replica" -> failed attempts of that audit so far (audit-queue.ts). */
  auditTries: 'audits:tries',
  /** SET of jobs ready for assembly (all units settled, or a decisive result): drained into BullMQ. */
  settled: 'settled',
  /** HASH: a host (secret hash, facts, credit, trust per kind). */
  host: 'host:{host}',
  /** HASH "<what>:<day>" -> count: a host's record per UTC day (c credit, v valid, i invalid, e errors). */
  hostDaily: 'host:{host}:daily',
  /**
   * SET of jobs in which this host has results that were judged valid without being recomputed whole
   * (jobVouched holds them), so that if the host is caught lying later those results in jobs still
   * running are reopened and computed again (reopen.lua).
   */
  hostVouchedJobs: 'host:{host}:vouchedjobs',
  /**
   * Before 2026-12-07: ZSET "job.unit.replica" -> ms of the same results, a week of them. No longer
   * written; reopen.lua still reads (and expire-hosts.lua deletes) one a store made earlier holds.
   */
  hostVouched: 'host:{host}:vouched',
  /**
   * SET of unit numbers (an intset: cheap to add to and to keep) of one job whose results from this host
   * were judged valid without being recomputed whole. A host holds at most one replica of a unit, and
   * the unit's mark for the host names it. Deleted when the job ends (close-job.lua) or the host is caught.
   */
  jobVouched: 'job:{job}:vouched:{host}',
  /** SET of hosts with a jobVouched set in this job, so that ending the job deletes them. */
  jobVouchers: 'job:{job}:vouchers',
  /** SET of lease ids a host holds, so a reconnect gets them back. */
  hostLeases: 'host:{host}:leases',
  /** ZSET host -> last seen ms. */
  hosts: 'hosts',
  /**
   * ZSET host -> ms by which the host must be heard from again (a few heartbeat periods while connected, a
   * short grace after a disconnect); past it, the transitioner hands the host's replicas to others.
   */
  hostsLive: 'hosts:live',
  /** ZSET host -> last seen ms, of hosts that never returned a valid result: deleted after a day of silence. */
  hostsUnproven: 'hosts:unproven',
  /** STRING count (expires after an hour): new host ids that said hello from one address (IPv6: one /64). */
  newHosts: 'newhosts:{address}',
  /** HASH: an account (name, team, key hash, credit). */
  account: 'account:{account}',
  /** STRING sha256(account key) -> account id. */
  accountKey: 'accountkey:{hash}',
  /** HASH: a team's credit. */
  team: 'team:{team}',
  /**
   * LIST of credit granted by validate.lua and not yet added to the totals, one entry per host and
   * account per call ("host\taccount\tcredit\tvalid results\tms"); apply-credit.lua takes entries off
   * and adds them up, many calls' worth at once (coordinator/credit-ledger.ts).
   */
  creditPending: 'credit:pending',
  /** ZSET id -> total credit, one per level. */
  creditHosts: 'credit:hosts',
  creditAccounts: 'credit:accounts',
  creditTeams: 'credit:teams',
  /** HASH: counters since the store began (results by outcome, credit granted). */
  stats: 'stats',
  /** ZSET ts -> JSON sample: the aggregate FLOPS/hosts history for the dashboard. */
  history: 'history',
  /** Pub/sub channel between coordinators (cancels, job changes). */
  events: 'events',

  // Recordings (coordinator/inputs/): a recording, named by its sha256, points at a blob, the bytes of
  // one upload, named by a random id. Every blob is in exactly one of: `uploads`, a recording, `doomed`.
  /** HASH: a stored recording: size, blob, chunkSize, storedAt, usedAt, v (bumped by every claim), j:<job> per job using it. */
  recording: 'rec:{sha}',
  /** ZSET sha -> size in bytes: every stored recording (garbage collection, /metrics). */
  recordings: 'recs',
  /** ZSET blob -> ms of its last progress: uploads being written. One silent too long was abandoned. */
  uploads: 'blobs:open',
  /** HASH blob -> bytes received so far, for the uploads in `uploads` (/metrics). */
  uploadBytes: 'blobs:open:bytes',
  /** ZSET blob -> ms: blobs to delete (abandoned or failed uploads, duplicates, deleted recordings). */
  doomed: 'blobs:doomed',
  /** HASH: a blob kept in Redis: state (open | dead), chunks written. */
  blob: 'blob:{blob}',
  /** STRING: one chunk of a blob's bytes (the Redis store's chunk size; the last one may be shorter). */
  chunk: 'blob:{blob}:{index}',
  /** STRING counter: on a cluster, written before WAIT on the blob's own node (store/replica-ack.ts). */
  blobAck: 'blob:{blob}:ack',
  /** STRING with a TTL: held by the coordinator collecting recordings, so one does it at a time. */
  collectorLock: 'lock:recordings',
  /** STRING counter: written before WAIT so that the wait covers every earlier write (store/replica-ack.ts). */
  ackMark: 'ackmark',
} as const;

export type KeyName = keyof typeof KEY_TEMPLATES;
type Params<T extends string> = T extends `${string}{${infer P}}${infer Rest}` ? P | Params<Rest> : never;
type Args<K extends KeyName> = Params<(typeof KEY_TEMPLATES)[K]> extends never ? [] : [Record<Params<(typeof KEY_TEMPLATES)[K]>, string | number>];

/**
 * Keys that live apart from the rest on a cluster, each group in the slot of its first parameter: a
 * blob and its chunks. Nothing else is written with them (inputs/redis-blobs.ts touches one blob at a
 * time), so they need not share the deployment's slot, and recordings, by far the largest data, spread
 * over every shard's memory. The scripts never reach them (luaKeyPrelude leaves them out).
 */
const SPREAD: ReadonlySet<KeyName> = new Set<KeyName>(['blob', 'chunk', 'blobAck']);

export class Keys {
  /** What starts every key of the deployment's slot: `base`, hash-tagged on a cluster (forStore). */
  readonly prefix: string;

  constructor(readonly base: string, readonly cluster = false) {
    this.prefix = cluster ? `{${base}}` : base;
  }

  /**
   * The keys of the store at `redisUrl` under the operator's `--prefix`. On a Redis Cluster every key of
   * the deployment carries the hash tag {prefix}, so all of them live in one slot: the scripts change a
   * job's, a host's and the grid's keys in one atomic step, which a cluster allows only within a slot
   * (BullMQ's own advice for a queue is the same tag). The cost is that one shard holds and serves the
   * store's state; recordings' bytes are the exception (SPREAD). docs/scaling.md says what sharding per
   * job would take. On one server or Sentinel the names stay untagged, as they always were, so no
   * existing store needs its keys renamed.
   */
  static forStore(prefix: string, redisUrl: string): Keys {
    return new Keys(prefix, isClusterUrl(redisUrl));
  }

  key<K extends KeyName>(name: K, ...args: Args<K>): string {
    const vars = (args[0] ?? {}) as Record<string, string | number>;
    if (this.cluster && SPREAD.has(name)) {
      let first = true;
      // The first parameter becomes the hash tag: `ig:blob:{id}:3` is in the slot of `id`.
      return `${this.base}:${KEY_TEMPLATES[name].replace(/\{(\w+)\}/g, (_, v: string) => {
        const text = first ? `{${vars[v]}}` : String(vars[v]);
        first = false;
        return text;
      })}`;
    }
    return `${this.prefix}:${KEY_TEMPLATES[name].replace(/\{(\w+)\}/g, (_, v: string) => String(vars[v]))}`;
  }

  /** BullMQ's own prefix, so its keys sit under ours. */
  get bullPrefix(): string {
    return `${this.prefix}:bull`;
  }
}

/** Lua functions `k_<name>(args...)` built from the same templates, with PREFIX taken from KEYS[1]. */
export function luaKeyPrelude(): string {
  const lines = ['local PREFIX = KEYS[1]'];
  for (const [name, tpl] of Object.entries(KEY_TEMPLATES)) {
    if (SPREAD.has(name as KeyName)) continue;
    const params = [...tpl.matchAll(/\{(\w+)\}/g)].map((m) => m[1]);
    const parts = tpl.split(/\{\w+\}/).map((s, i) => {
      const lit = JSON.stringify(s);
      return i < params.length ? `${lit} .. ${params[i]}` : lit;
    });
    lines.push(`local function k_${name}(${params.join(', ')}) return PREFIX .. ":" .. ${parts.join(' .. ')} end`);
  }
  return lines.join('\n');
}
