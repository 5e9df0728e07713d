/**
 * The verifier: audits results with the coordinator's own threads. For a result the validator is about
 * to accept it picks blocks at random — now, after the host committed to every block's digest, so the
 * host could not know which — recomputes them with the kind's kernel (verifier-thread.ts) and records
 * whether they all agree (audit-result.lua). A host that has not yet earned trust under audit (fewer than
 * `policy.probation` valid results in a row for the kind) has every block recomputed.
 *
 * Audits wait in a queue shared by all coordinators (audit-queue.ts), one entry per result, so a
 * coordinator that dies mid-audit leaves a claim that lapses and another one takes over.
 */
import { randomInt } from 'node:crypto';
import { existsSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import type { Logger } from 'pino';
import { Piscina } from 'piscina';
import { AuditQueue, type AuditRead, type AuditRequest } from './audit-queue.js';
import type { InputStore } from './inputs/input-store.js';
import type { JobMeta, JobStore } from './job-store.js';
import type { Keys } from './store/keys.js';
import type { StoreRedis } from './store/scripts.js';
import { AUDIT, REPLICA_STATE, UNIT, UNIT_STATE, replicaField, type AuditLetter } from './store/unit-layout.js';
import type { VerifyOutput, VerifyTask } from './verifier-thread.js';
import type { InputRef } from '../workunits/index.js';

/** The compiled thread beside this module (dist/), or, from TypeScript sources (tests), the build in dist/. */
function threadEntry(): string {
  const here = new URL('./verifier-thread.js', import.meta.url);
  if (existsSync(fileURLToPath(here))) return here.href;
  const built = new URL('../dist/coordinator/verifier-thread.js', import.meta.url);
  if (existsSync(fileURLToPath(built))) return built.href;
  throw new Error('the verifier thread is not built: run `npm run build` first');
}

/** k distinct block numbers out of n, drawn with the OS's randomness. */
export function pickBlocks(n: number, k: number): number[] {
  const all = Array.from({ length: n }, (_, i) => i);
  for (let i = 0; i < Math.min(k, n); i++) {
    const j = randomInt(i, n);
    [all[i], all[j]] = [all[j], all[i]];
  }
  return all.slice(0, Math.min(k, n)).sort((a, b) => a - b);
}

/**
 * The drawn blocks plus those the result's claims rest on (Audit.mustCheck: an fftscan result's reported
 * signals), each once, in order. The forced ones are known to the host in advance; they check what it
 * claims, and the drawn ones, still unpredictable, check what it might have left out.
 */
export function withMustCheck(drawn: number[], forced: number[], n: number): number[] {
  const valid = forced.filter((b) => Number.isInteger(b) && b >= 0 && b < n);
  return [...new Set([...drawn, ...valid])].sort((a, b) => a - b);
}

/**
 * The trust a result is audited with: what its host had earned when the result arrived (`mark`,
 * `<epoch>:<count>`, written by report.lua), or none if the host was caught since (its epoch moved on).
 * Trust read at audit time alone would let a batch sent on probation be audited as if trusted once the
 * first of it validated. A result stored without a mark is audited with the host's trust now.
 */
export function trustAtCommit(mark: string | undefined, hostEpoch: string | null, hostCount: string | null): number {
  const now = Number(hostCount ?? 0);
  const m = mark === undefined ? null : /^(\d+):(\d+)$/.exec(mark);
  if (!m) return now;
  return m[1] === (hostEpoch ?? '0') ? Math.min(Number(m[2]), now) : 0;
}

/** A result still waiting for its audit, by its unit's state, its replica's state and its audit mark. */
const awaitsAudit = (unitState: string | null | undefined, replicaState: string | null | undefined, audit: string | null | undefined): boolean =>
  unitState === UNIT_STATE.open && replicaState === REPLICA_STATE.reported && !audit;

/** A claim's reads older than this are checked again before an audit is run on them. */
const FRESH_MS = 1_000;
/**
 * What one verifier task carries at most, unless one block alone is more: input bytes (an audit of a
 * recording's blocks reads them a task at a time) and operations (about 50 ms of a thread: blocks that
 * small cost less to compute than their round trip, and larger ones still go one at a time, so that a
 * result that fails its first block is not recomputed whole).
 */
const TASK_INPUT_BYTES = 16 << 20;
const TASK_OPS = 5e8;

/**
 * An audit's blocks, in order, in as few thread tasks as TASK_INPUT_BYTES and TASK_OPS allow (a block
 * over either alone is a task of its own): each task is a round trip through the coordinator's event
 * loop, which a busy coordinator answers late. A failed block ends the audit after its task.
 */
export function auditTasks<B>(blocks: B[], cost: (b: B) => { bytes: number; ops: number }): B[][] {
  const tasks: B[][] = [];
  let bytes = Infinity;
  let ops = Infinity;
  for (const block of blocks) {
    const c = cost(block);
    if (bytes + c.bytes > TASK_INPUT_BYTES || ops + c.ops > TASK_OPS) {
      tasks.push([]);
      bytes = 0;
      ops = 0;
    }
    tasks[tasks.length - 1].push(block);
    bytes += c.bytes;
    ops += c.ops;
  }
  return tasks;
}

export interface AuditFinding {
  finding: AuditLetter;
  blocks: number[];
  /** Operations the verifier spent (the audit's cost, for metrics and benchmarks). */
  opsDone: number;
}

export class Verifier {
  private readonly pool: Piscina;
  private readonly queue: AuditQueue<AuditFinding>;

  constructor(
    private readonly redis: StoreRedis,
    private readonly keys: Keys,
    private readonly jobs: JobStore,
    private readonly inputs: InputStore,
    threads: number,
    private readonly log: Logger,
    /** The finding is recorded: validate the unit now. */
    private readonly onFinding: (jobId: string, unit: number, finding: AuditFinding) => void,
  ) {
    this.pool = new Piscina({ filename: threadEntry(), minThreads: 0, maxThreads: threads, idleTimeout: 30_000 });
    // The queue records each finding (audit-result.lua); one recorded sends its unit to the validator.
    this.queue = new AuditQueue<AuditFinding>(redis, keys, (a, read) => this.audit(a.jobId, a.unit, a.replica, read),
      (a, found) => this.onFinding(a.jobId, a.unit, found), { slots: threads }, log);
  }

  start(): void {
    this.queue.start();
  }

  /** Queue audits of results (one write); a request for a result whose audit waits or runs is a no-op. */
  async request(audits: AuditRequest[]): Promise<void> {
    await this.queue.request(audits);
  }

  /**
   * Audit one result now, with what the queue read when it claimed it (the unit, its host's trust): the
   * finding for the queue to record, or null when there is nothing to audit (decided meanwhile, audited
   * already, or a kind without audits).
   */
  async audit(jobId: string, unit: number, replica: number, read: AuditRead): Promise<AuditFinding | null> {
    const h = read.unit;
    if (!awaitsAudit(h[UNIT.state], h[replicaField('state', replica)], h[replicaField('audit', replica)])) return null;
    // An audit claimed a while ago (it waited behind others of the batch) may have become pointless: its
    // job ended (a key found ends one early) or its unit was decided. Recomputing it whole would cost
    // seconds of CPU that a read saves.
    if (Date.now() - read.at > FRESH_MS && !(await this.stillWanted(jobId, unit, replica))) return null;
    const meta = await this.jobs.meta(jobId);
    if (!meta?.kind.audit) return null;
    const host = h[replicaField('host', replica)];
    const trust = trustAtCommit(h[replicaField('trust', replica)], read.epoch, read.count);
    const found = await this.recompute(meta, unit, h[replicaField('result', replica)], trust < meta.policy.probation ? Infinity : meta.policy.audit);
    if (found.finding === AUDIT.failed) this.log.warn({ jobId, unit, replica, hostId: host, blocks: found.blocks }, 'a result failed its audit');
    return found;
  }

  private async stillWanted(jobId: string, unit: number, replica: number): Promise<boolean> {
    const [[, job], [, u]] = (await this.redis.pipeline()
      .hget(this.keys.key('job', { job: jobId }), 'state')
      .hmget(this.keys.key('unit', { job: jobId, unit }), UNIT.state, replicaField('state', replica), replicaField('audit', replica))
      .exec()) as [[unknown, string | null], [unknown, Array<string | null>]];
    return (job === 'queued' || job === 'running') && awaitsAudit(u[0], u[1], u[2]);
  }

  /**
   * Recompute `k` random blocks of the unit (all of them for Infinity), and every block the kind says the
   * result's claims rest on, and compare them with what `raw` committed to.
   */
  private async recompute(meta: JobMeta, unit: number, raw: string | undefined, k: number): Promise<AuditFinding> {
    const { kind } = meta;
    const audit = kind.audit!;
    const { spec } = this.jobs.unitSpec(meta, unit);
    const parsed = raw === undefined ? null : kind.result.safeParse(JSON.parse(raw));
    const n = audit.blocks(spec);
    const drawn = pickBlocks(n, k);
    if (!parsed?.success) return { finding: AUDIT.failed, blocks: drawn, opsDone: 0 };
    const blocks = withMustCheck(drawn, audit.mustCheck?.(spec, parsed.data) ?? [], n);
    let opsDone = 0;
    const specs = blocks.map((b) => {
      const blockSpec = audit.blockUnit(spec, b);
      return { b, spec: blockSpec, ref: kind.input?.(meta.params, blockSpec) };
    });
    for (const group of auditTasks(specs, (x) => ({ bytes: x.ref?.length ?? 0, ops: kind.ops(x.spec) }))) {
      const units = [];
      for (const { spec: blockSpec, ref } of group) units.push({ spec: blockSpec, input: ref && (await this.input(ref)) });
      const task: VerifyTask = { kernelModule: kind.kernelModule, units };
      const outs = (await this.pool.run(task)) as VerifyOutput;
      for (const [i, { b }] of group.entries()) {
        opsDone += outs[i].opsDone;
        const recomputed = kind.result.parse(outs[i].result);
        if (!audit.agrees(spec, b, parsed.data, recomputed)) return { finding: AUDIT.failed, blocks, opsDone };
      }
    }
    return { finding: blocks.length === n ? AUDIT.whole : AUDIT.passed, blocks, opsDone };
  }

  private async input(ref: InputRef): Promise<Uint8Array> {
    const chunks: Buffer[] = [];
    for await (const c of this.inputs.read(ref.sha256, ref.offset, ref.length)) chunks.push(c as Buffer);
    const all = Buffer.concat(chunks);
    return new Uint8Array(all.buffer, all.byteOffset, all.byteLength);
  }

  /** Threads this verifier audits with (--verifier-threads), and the audits it runs now and holds claims on (/metrics). */
  get load(): { threads: number; running: number; held: number } {
    return { threads: this.pool.options.maxThreads, running: this.queue.active, held: this.queue.held };
  }

  async close(): Promise<void> {
    await this.queue.close();
    await this.pool.destroy();
  }
}
