/**
 * The transitioner loop that every coordinator runs: time out replicas past their deadline, hand back the
 * replicas of hosts gone silent or away, expire host records that never proved anything, retry
 * validations that a crashed coordinator left behind, queue settled jobs for assembly, and add credit
 * that a crashed coordinator granted and left queued. Each step is
 * an atomic script or idempotent, so any number of coordinators may run it at once. Settled jobs are
 * known only by their id in the `settled` set, whichever script put it there.
 */
import type { Logger } from 'pino';
import type { Assembler } from './assembler.js';
import type { CreditLedger } from './credit-ledger.js';
import type { HostPresence } from './presence.js';
import type { Keys } from './store/keys.js';
import type { StoreRedis } from './store/scripts.js';
import type { Validator } from './validator.js';

/** A unit queued for validation this long ago was left by a coordinator that died mid-way. */
const ORPHAN_VALIDATION_MS = 3_000;

export class Transitioner {
  private timer?: NodeJS.Timeout;
  private running = false;

  constructor(
    private readonly redis: StoreRedis,
    private readonly keys: Keys,
    private readonly validator: Validator,
    private readonly assembler: Assembler,
    private readonly presence: HostPresence,
    private readonly credit: CreditLedger,
    private readonly intervalMs: number,
    private readonly log: Logger,
  ) {}

  start(): void {
    this.timer = setInterval(() => void this.tick(), this.intervalMs);
    this.timer.unref();
  }

  stop(): void {
    clearInterval(this.timer);
  }

  async tick(): Promise<void> {
    if (this.running) return;
    this.running = true;
    try {
      const now = Date.now();
      const timedOut = (await this.redis.ig_sweep(this.keys.prefix, now, 1000)) as number;
      if (timedOut) this.log.info({ timedOut }, 'replicas past their deadline; reissuing');
      await this.presence.sweep(now);
      const orphans = await this.redis.zrangebyscore(this.keys.key('validate'), '-inf', now - ORPHAN_VALIDATION_MS, 'LIMIT', 0, 200);
      await this.validator.validateMany(orphans.map((member) => {
        const dot = member.lastIndexOf('.');
        return { jobId: member.slice(0, dot), unit: Number(member.slice(dot + 1)) };
      }));
      await this.assembler.drainSettled();
      // Grants that a coordinator queued and died before adding (its own are added within a moment anyway).
      await this.credit.applied();
    } catch (err) {
      this.log.warn({ err: (err as Error).message }, 'transitioner tick failed; retrying next tick');
    } finally {
      this.running = false;
    }
  }
}
