/**
 * Units whose results are ready to compare, validated apart from the connections that reported them.
 *
 * A connection handles its host's frames in order. When it validated a report's units itself, a host's
 * next request waited for its last results to be compared, audited and credited (docs/scaling.md). Now a
 * report is acknowledged, its units are handed to this queue, and the connection goes on with the next
 * frame. The queue takes what every connection queued in rounds (a few in flight at once), so a single
 * validate.lua call carries the units of many hosts' reports.
 *
 * Nothing is lost with the coordinator: report.lua put each unit in the `validate` set in Redis in the
 * same script that stored its result, and the transitioner validates units left there (orphans) a few
 * seconds later, on any coordinator. The queue only decides when, and bounds how much may wait: past
 * `maxPending`, `add` resolves only once the rounds have caught up, so a host that floods reports slows
 * its own connection, not the coordinator's memory.
 */
import type { Logger } from 'pino';
import { VALIDATE_BATCH } from './validator.js';

export interface UnitRef {
  jobId: string;
  unit: number;
}

export interface ValidationQueueOptions {
  /**
   * Units taken per round (default: what one validate.lua call takes): one pipeline reads them and one
   * call decides them. Larger rounds block Redis (and this event loop) longer at a time, which requests
   * of other hosts then wait behind.
   */
  roundSize?: number;
  /**
   * Rounds in flight at once. A round waits on two round trips to Redis (read, then apply) and on audits;
   * one at a time would leave Redis and this process idle in between. A unit queued again while a round
   * has it waits for that round (and validate.lua would refuse a decision on a unit that changed since
   * it was read anyway).
   */
  concurrency?: number;
  /** Units waiting past which `add` waits for the rounds: a fraction of a second of validation, well inside the transitioner's orphan delay. */
  maxPending?: number;
}

export class ValidationQueue {
  private readonly pending = new Map<string, UnitRef>();
  private readonly inFlight = new Set<string>();
  private readonly roundSize: number;
  private readonly concurrency: number;
  private readonly maxPending: number;
  private active = 0;
  private idleWaiters: Array<() => void> = [];
  private waiters: Array<() => void> = [];
  private closed = false;

  constructor(
    private readonly validate: (units: UnitRef[]) => Promise<void>,
    private readonly log: Logger,
    opts: ValidationQueueOptions = {},
  ) {
    this.roundSize = opts.roundSize ?? VALIDATE_BATCH;
    this.concurrency = opts.concurrency ?? 4;
    this.maxPending = opts.maxPending ?? 1024;
  }

  /** Units waiting now (for /metrics and tests). */
  get size(): number {
    return this.pending.size;
  }

  /** Queue units for validation; resolves at once unless too many are waiting. */
  add(units: UnitRef[]): Promise<void> {
    if (this.closed || !units.length) return Promise.resolve();
    // A unit queued twice (two replicas reported close together) is validated once: it is read afresh.
    for (const u of units) this.pending.set(`${u.jobId}.${u.unit}`, u);
    this.pump();
    if (this.pending.size <= this.maxPending) return Promise.resolve();
    return new Promise((resolve) => this.waiters.push(resolve));
  }

  /** Resolves once everything queued so far is validated (or given up on, and left to the transitioner). */
  idle(): Promise<void> {
    if (!this.active && !this.pending.size) return Promise.resolve();
    return new Promise((resolve) => this.idleWaiters.push(resolve));
  }

  /** Stop taking units; what is still queued stays in Redis' `validate` set for whichever coordinator runs next. */
  close(): void {
    this.closed = true;
    this.pending.clear();
    this.release();
    if (!this.active) this.settle();
  }

  /** Start rounds while there is work and room. */
  private pump(): void {
    while (!this.closed && this.pending.size && this.active < this.concurrency) {
      const round: string[] = [];
      for (const k of this.pending.keys()) {
        if (this.inFlight.has(k)) continue;
        round.push(k);
        if (round.length >= this.roundSize) break;
      }
      if (!round.length) break;
      const units = round.map((k) => {
        const u = this.pending.get(k)!;
        this.pending.delete(k);
        this.inFlight.add(k);
        return u;
      });
      if (this.pending.size <= this.maxPending) this.release();
      this.active++;
      void this.run(round, units);
    }
  }

  private async run(keys: string[], round: UnitRef[]): Promise<void> {
    try {
      await this.validate(round);
    } catch (err) {
      // Still in Redis' `validate` set: the transitioner retries them as orphans.
      this.log.warn({ err: (err as Error).message, units: round.length }, 'validation failed; the transitioner will retry these units');
    } finally {
      for (const k of keys) this.inFlight.delete(k);
      this.active--;
      this.pump();
      if (!this.active && (this.closed || !this.pending.size)) this.settle();
    }
  }

  private release(): void {
    const w = this.waiters;
    this.waiters = [];
    for (const resolve of w) resolve();
  }

  private settle(): void {
    this.release();
    const w = this.idleWaiters;
    this.idleWaiters = [];
    for (const resolve of w) resolve();
  }
}
