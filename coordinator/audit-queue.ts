/**
 * Audits waiting to run, shared by every coordinator on one store: the sorted set `audits`, each result's
 * lease id scored by when it may be claimed. A coordinator claims what is due (claim-audits.lua: it stays
 * claimed for CLAIM_MS, renewed while the audit runs), runs it on a free verifier thread and removes it;
 * a coordinator that dies leaves its claims to lapse, and another takes them over. Requests for an
 * audit already waiting or running change nothing (ZADD NX).
 *
 * Why not BullMQ, which this project uses for assembly: an audit is asked for once per validated unit
 * under the default policy, and a BullMQ job (added, moved to active, completed, its events written)
 * cost 280-290 µs of Redis CPU on the project's benchmark machine, about twice what the rest of the
 * unit's validation costs; a claim here costs a few µs per audit, and no blocking pop can hang (the
 * failure that queue-worker.ts watches for). docs/scaling.md has the measurements. Being asked once is
 * enough: the unit stays in `validate` meanwhile, and the validator asks again if no finding came
 * (validator.ts, AUDIT_BACKSTOP_MS), so an audit given up after MAX_TRIES failures is not lost either.
 *
 * A coordinator claims AUDITS_PER_SLOT audits per slot (verifier thread) and runs them in turn; once it
 * has nothing left to run, one call (audit-result.lua) records the findings it holds, takes those audits
 * off the queue and claims the next. claim-audits.lua alone serves a coordinator with room and nothing to
 * record (asked for audits, or polling). A partial audit's finding is recorded only if its host's trust
 * epoch is still the one read with the claim: one caught meanwhile has the result audited again, in full.
 */
import type { Logger } from 'pino';
import { leaseId, parseLeaseId } from '../protocol/index.js';
import type { Keys } from './store/keys.js';
import type { StoreRedis } from './store/scripts.js';

export interface AuditRequest {
  jobId: string;
  unit: number;
  replica: number;
}

/** What claim-audits.lua read with a claim: the unit, and its host's trust in the job's kind; `at`, when (ms). */
export interface AuditRead {
  unit: Record<string, string>;
  epoch: string | null;
  count: string | null;
  at: number;
}

export interface AuditQueueOptions {
  /** Audits run at once by this coordinator (its verifier threads). */
  slots: number;
  /** How long a claim holds without renewal: a dead coordinator's audits run elsewhere after this. */
  claimMs?: number;
  /** How often an idle coordinator looks for due audits (it looks at once when it asks for one itself). */
  pollMs?: number;
  /** The wait before the second try of a failed audit; it doubles with each further try. */
  retryMs?: number;
  /**
   * Audits claimed per slot at a time (default AUDITS_PER_SLOT): their findings are recorded together, with the next
   * claims, in one call once the slot has run them all.
   */
  batch?: number;
}

/** Tries before an audit is given up (the validator asks again later): a missing recording, a kernel that throws. */
export const MAX_TRIES = 5;
const CLAIM_MS = 15_000;
const POLL_MS = 500;
/**
 * A round trip is most of what an audit costs Redis (docs/scaling.md, Cheaper before sharding, item 12),
 * so a slot takes four at a time and records their findings in one call: a finding waits for at most
 * three more audits on its thread (well under a second for the kinds here), which nobody waits on.
 */
export const AUDITS_PER_SLOT = 4;

/** claim-audits.lua's answer per claim: lease id, the unit as HGETALL gives it, the host's epoch and count. */
type Claimed = [string, string[], string | null, string | null];

/** What an audit found, as audit-result.lua records it (AUDIT's letters in unit-layout.ts). */
export interface Finding {
  finding: string;
}

function pairs(flat: string[]): Record<string, string> {
  const out: Record<string, string> = {};
  for (let i = 0; i + 1 < flat.length; i += 2) out[flat[i]] = flat[i + 1];
  return out;
}

export class AuditQueue<F extends Finding = Finding> {
  /** Claimed and running on a slot now. */
  private readonly running = new Set<string>();
  /** Claimed, waiting for a slot. */
  private readonly backlog: Array<{ lid: string; read: AuditRead }> = [];
  /** Run, their findings (null: nothing to record) and the trust epoch they went by, waiting to go with the next call. */
  private done: Array<{ lid: string; found: F | null; epoch: string | null }> = [];
  /** Audits asked for by calls not yet answered: counted as held, so no two calls claim the same room. */
  private reserved = 0;
  private readonly claimMs: number;
  private readonly batch: number;
  private timer?: NodeJS.Timeout;
  private renewTimer?: NodeJS.Timeout;
  private pumping = false;
  private again = false;
  private recording = 0;
  private closed = false;
  private warned = false;
  /** Script calls made (claims, and findings with their claims): a benchmark's and a test's count. */
  calls = 0;

  constructor(
    private readonly redis: StoreRedis,
    private readonly keys: Keys,
    /** Runs one audit with what was read when it was claimed: its finding, or null when there was nothing to audit. */
    private readonly run: (a: AuditRequest, read: AuditRead) => Promise<F | null>,
    /** A finding was recorded on its result (not one that came too late: the unit was decided meanwhile). */
    private readonly recorded: (a: AuditRequest, found: F) => void,
    private readonly opts: AuditQueueOptions,
    private readonly log: Logger,
  ) {
    this.claimMs = opts.claimMs ?? CLAIM_MS;
    this.batch = opts.batch ?? AUDITS_PER_SLOT;
  }

  /** Starts claiming and running audits (asking for them works before). */
  start(): void {
    this.timer = setInterval(() => this.pump(), this.opts.pollMs ?? POLL_MS);
    this.timer.unref();
    this.renewTimer = setInterval(() => void this.renew().catch(() => {}), this.claimMs / 3);
    this.renewTimer.unref();
    this.pump();
  }

  /** Queues audits (one write for all of them) and, once started, looks for work at once. */
  async request(audits: AuditRequest[]): Promise<void> {
    if (!audits.length) return;
    const now = Date.now();
    await this.redis.zadd(this.keys.key('audits'), 'NX', ...audits.flatMap((a) => [now, leaseId(a.jobId, a.unit, a.replica)]));
    this.pump();
  }

  /** Audits this coordinator is running now. */
  get active(): number {
    return this.running.size;
  }

  /** Audits this coordinator holds claims on: running, waiting for a thread, or run and not yet recorded. */
  get held(): number {
    return this.running.size + this.backlog.length + this.done.length;
  }

  private heldIds(): string[] {
    return [...this.running, ...this.backlog.map((b) => b.lid), ...this.done.map((d) => d.lid)];
  }

  /**
   * Takes no more audits, waits up to `waitMs` for those running to end and records what they found;
   * audits claimed and not started are handed back at once, and the claims of any still running lapse,
   * so other coordinators run them.
   */
  async close(waitMs = 5_000): Promise<void> {
    this.closed = true;
    clearInterval(this.timer);
    clearInterval(this.renewTimer);
    const waiting = this.backlog.splice(0).map((b) => b.lid);
    if (waiting.length) await this.redis.zadd(this.keys.key('audits'), 'XX', ...waiting.flatMap((lid) => [0, lid])).catch(() => {});
    const until = Date.now() + waitMs;
    while ((this.running.size || this.pumping || this.recording) && Date.now() < until) await new Promise((r) => setTimeout(r, 20));
    if (this.done.length) await this.record();
  }

  /** Audits this coordinator may claim now: a batch per slot, less what it holds or is asking for. */
  private room(): number {
    if (this.closed) return 0;
    return this.opts.slots * this.batch - this.running.size - this.backlog.length - this.done.length - this.reserved;
  }

  private pump(): void {
    if (this.closed || !this.timer) return;
    if (this.pumping) {
      this.again = true;
      return;
    }
    this.pumping = true;
    void this.claim().catch((err: Error) => {
      if (!this.warned) this.log.warn({ err: err.message }, 'cannot claim audits; retrying');
      this.warned = true;
    }).finally(() => {
      this.pumping = false;
      if (this.again) {
        this.again = false;
        this.pump();
      }
    });
  }

  /** Claims while there is room and audits are due; a coordinator with findings to record claims with them instead. */
  private async claim(): Promise<void> {
    for (let n = this.room(); n > 0 && !this.done.length; n = this.room()) {
      const now = Date.now();
      this.reserved += n;
      let got: Claimed[];
      try {
        this.calls++;
        got = (await this.redis.ig_claimAudits(this.keys.prefix, now, now + this.claimMs, n)) as Claimed[];
      } finally {
        this.reserved -= n;
      }
      this.warned = false;
      this.take(got);
      if (got.length < n) return;
    }
  }

  private take(claims: Claimed[]): void {
    const at = Date.now();
    const held = new Set(this.heldIds());
    for (const [lid, flat, epoch, count] of claims) {
      if (held.has(lid)) continue;
      held.add(lid);
      this.backlog.push({ lid, read: { unit: pairs(flat), epoch, count, at } });
    }
    this.startMore();
  }

  /** Starts held audits on free slots; returns how many it started. */
  private startMore(): number {
    let started = 0;
    while (!this.closed && this.running.size < this.opts.slots && this.backlog.length) {
      const { lid, read } = this.backlog.shift()!;
      this.running.add(lid);
      started++;
      void this.runOne(lid, read);
    }
    return started;
  }

  /** Claims held here are pushed on every third of a claim, well before they would lapse. */
  private async renew(): Promise<void> {
    const held = this.heldIds();
    if (!held.length) return;
    const now = Date.now();
    await this.redis.zadd(this.keys.key('audits'), 'XX', ...held.flatMap((lid) => [now + this.claimMs, lid]));
  }

  private async runOne(lid: string, read: AuditRead): Promise<void> {
    let found: F | null;
    try {
      found = await this.run(parseLeaseId(lid), read);
    } catch (err) {
      await this.failed(lid, err as Error).catch((e: Error) => this.log.warn({ err: e.message, leaseId: lid }, 'a failed audit could not be put back; its claim lapses and it runs again'));
      this.running.delete(lid);
      this.next();
      return;
    }
    this.done.push({ lid, found, epoch: read.epoch });
    this.running.delete(lid);
    this.next();
  }

  /** A slot is free: it runs what this coordinator holds, or, with nothing left to run, records and claims. */
  private next(): void {
    if (this.startMore() > 0 || this.backlog.length) return;
    if (this.done.length) void this.record();
    else this.pump();
  }

  /**
   * One call records every finding waiting here, takes those audits off the queue, and claims what there
   * is room for; findings of a call that fails are dropped, and their audits run again once their claims lapse.
   */
  private async record(): Promise<void> {
    const batch = this.done;
    this.done = [];
    const n = this.room();
    this.reserved += n;
    this.recording++;
    try {
      const now = Date.now();
      const args = batch.flatMap(({ lid, found, epoch }) => {
        const { jobId, unit, replica } = parseLeaseId(lid);
        return [jobId, unit, replica, found?.finding ?? '', epoch ?? ''];
      });
      this.calls++;
      const [recorded, claims] = (await this.redis.ig_auditResult(this.keys.prefix, now, now + this.claimMs, n, batch.length, ...args)) as [number[], Claimed[]];
      batch.forEach(({ lid, found }, i) => {
        if (found && recorded[i] === 1) this.recorded(parseLeaseId(lid), found);
        // 2: its host was caught since its trust was read; it is due again, and will be audited in full.
        if (recorded[i] === 2) this.log.info({ leaseId: lid }, 'a partial audit went by trust its host has lost since; auditing it again');
      });
      this.warned = false;
      this.reserved -= n;
      this.take(claims);
    } catch (err) {
      this.reserved -= n;
      this.log.warn({ err: (err as Error).message, audits: batch.length }, 'audits ran but could not be taken off the queue; they run again and change nothing');
    } finally {
      this.recording--;
    }
  }

  private async remove(lid: string): Promise<void> {
    await this.redis.multi().zrem(this.keys.key('audits'), lid).hdel(this.keys.key('auditTries'), lid).exec();
  }

  /** Tried again after 1, 2, 4, 8 s (retryMs); given up after MAX_TRIES (the validator asks again later). */
  private async failed(lid: string, err: Error): Promise<void> {
    const tries = await this.redis.hincrby(this.keys.key('auditTries'), lid, 1);
    if (tries >= MAX_TRIES) {
      this.log.error({ err: err.message, leaseId: lid, tries }, 'an audit failed every try; given up until the validator asks again');
      await this.remove(lid);
      return;
    }
    this.log.warn({ err: err.message, leaseId: lid, tries }, 'an audit failed; it will be tried again');
    await this.redis.zadd(this.keys.key('audits'), 'XX', Date.now() + (this.opts.retryMs ?? 1_000) * 2 ** (tries - 1), lid);
  }
}
