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
 * A finished audit costs one round trip: audit-result.lua records the finding, takes the audit off the
 * queue and claims the next due audits for the threads free now, all in one call. claim-audits.lua alone
 * serves a coordinator with free threads and no audit finishing (asked for audits, or polling).
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

/** What claim-audits.lua read with a claim: the unit, and its host's trust in the job's kind. */
export interface AuditRead {
  unit: Record<string, string>;
  epoch: string | null;
  count: string | null;
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
}

/** Tries before an audit is given up (the validator asks again later): a missing recording, a kernel that throws. */
export const MAX_TRIES = 5;
const CLAIM_MS = 15_000;
const POLL_MS = 500;

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
  private readonly running = new Set<string>();
  /** Slots asked for by claims not yet answered: counted as taken, so no two calls claim the same slot. */
  private reserved = 0;
  private readonly claimMs: number;
  private timer?: NodeJS.Timeout;
  private renewTimer?: NodeJS.Timeout;
  private pumping = false;
  private again = false;
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

  /**
   * Takes no more audits and waits up to `waitMs` for those running to end (their findings are
   * recorded); the claims of any still running lapse, and other coordinators run them.
   */
  async close(waitMs = 5_000): Promise<void> {
    this.closed = true;
    clearInterval(this.timer);
    clearInterval(this.renewTimer);
    const until = Date.now() + waitMs;
    while ((this.running.size || this.pumping) && Date.now() < until) await new Promise((r) => setTimeout(r, 20));
  }

  private free(): number {
    return this.closed ? 0 : this.opts.slots - this.running.size - this.reserved;
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

  private async claim(): Promise<void> {
    for (let n = this.free(); n > 0; n = this.free()) {
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
    for (const [lid, flat, epoch, count] of claims) {
      if (this.running.has(lid)) continue;
      this.running.add(lid);
      void this.runOne(lid, { unit: pairs(flat), epoch, count });
    }
  }

  /** Claims of audits still running are pushed on every third of a claim, well before they would lapse. */
  private async renew(): Promise<void> {
    if (!this.running.size) return;
    const now = Date.now();
    await this.redis.zadd(this.keys.key('audits'), 'XX', ...[...this.running].flatMap((lid) => [now + this.claimMs, lid]));
  }

  private async runOne(lid: string, read: AuditRead): Promise<void> {
    const a = parseLeaseId(lid);
    let found: F | null;
    try {
      found = await this.run(a, read);
    } catch (err) {
      await this.failed(lid, err as Error).catch((e: Error) => this.log.warn({ err: e.message, leaseId: lid }, 'a failed audit could not be put back; its claim lapses and it runs again'));
      this.running.delete(lid);
      this.pump();
      return;
    }
    // This audit's slot and every other one free now are filled by the same call that ends it.
    const n = this.free() + 1;
    this.reserved += n;
    try {
      const now = Date.now();
      this.calls++;
      const [recorded, claims] = (await this.redis.ig_auditResult(this.keys.prefix, a.jobId, a.unit, a.replica, found?.finding ?? '', now, now + this.claimMs, this.closed ? 0 : n)) as [number, Claimed[]];
      this.running.delete(lid);
      if (found && recorded === 1) this.recorded(a, found);
      this.warned = false;
      this.take(claims);
    } catch (err) {
      this.running.delete(lid);
      this.log.warn({ err: (err as Error).message, leaseId: lid }, 'an audit ran but could not be taken off the queue; it runs again and changes nothing');
    } finally {
      this.reserved -= n;
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
