/**
 * The credit that validation grants, added to the totals (each host's, account's and team's credit,
 * decayed credit and leaderboard entry, the hosts' daily records, the grid's credit) a batch at a time.
 *
 * validate.lua decides and records outcomes, and only queues the credit they earn (`credit:pending`);
 * apply-credit.lua takes entries off that list and adds them up in one call, so ten validation calls'
 * worth of one host's results write its totals once (docs/scaling.md, Cheaper before sharding, item 5).
 * Taking and adding are one script, so each grant is added exactly once whichever coordinator adds it;
 * grants left by a coordinator that died are added by any other's transitioner.
 *
 * `applied()` resolves once every grant queued before it was called is in the totals: a host is told of
 * its credit, and a job ends, only then, so what they are told matches what the dashboard shows.
 */
import type { Logger } from 'pino';
import type { Keys } from './store/keys.js';
import type { StoreRedis } from './store/scripts.js';

/** Entries one call takes: a call blocks Redis while it runs, about a microsecond or two an entry. */
const PER_CALL = 1024;

interface Waiter {
  resolve(): void;
  reject(err: unknown): void;
}

export class CreditLedger {
  private waiting: Waiter[] = [];
  private timer?: NodeJS.Timeout;
  private busy = false;
  /** A flush() is waiting: the next pass goes at once. */
  private urgent = false;
  /** Calls made and grants added: their ratio is how well grants gather (tests). */
  calls = 0;
  added = 0;

  /**
   * `delayMs`: how long a grant may wait for others to share its call. A host hears of its credit that
   * much later, which nobody notices, and Redis adds up that many more validation calls at once.
   */
  constructor(
    private readonly redis: StoreRedis,
    private readonly keys: Keys,
    private readonly log: Logger,
    private readonly delayMs = 100,
  ) {}

  /** Resolves once every grant queued before this call is in the totals, added here or by another coordinator. */
  applied(): Promise<void> {
    return new Promise((resolve, reject) => {
      this.waiting.push({ resolve, reject });
      this.schedule();
    });
  }

  /** applied() without waiting for company: for shutdown, and for tests that read the totals. */
  flush(): Promise<void> {
    this.urgent = true;
    const done = this.applied();
    if (this.timer) {
      clearTimeout(this.timer);
      this.timer = undefined;
      this.schedule();
    }
    return done;
  }

  /** Grants still queued in the store (/metrics). */
  async pending(): Promise<number> {
    return this.redis.llen(this.keys.key('creditPending'));
  }

  close(): void {
    clearTimeout(this.timer);
    this.timer = undefined;
  }

  private schedule(): void {
    if (this.timer || this.busy) return;
    this.timer = setTimeout(() => {
      this.timer = undefined;
      void this.pass();
    }, this.urgent ? 0 : this.delayMs);
    this.timer.unref();
  }

  private async pass(): Promise<void> {
    this.busy = true;
    this.urgent = false;
    const batch = this.waiting.splice(0);
    try {
      await this.addQueued();
      for (const w of batch) w.resolve();
    } catch (err) {
      // Each caller says what it could not do (announce, assemble, tick); the grants stay queued for the next pass.
      this.log.debug({ err: (err as Error).message }, 'credit not added yet: the store failed');
      for (const w of batch) w.reject(err);
    } finally {
      this.busy = false;
      // Those who came while this pass ran may have queued grants after it began: they get a pass of their own.
      if (this.waiting.length) this.schedule();
    }
  }

  /**
   * Adds every grant queued before it began. The list is first in, first out, so those are the first
   * `added + left` entries as the first call found them; grants queued meanwhile may wait for a later pass.
   */
  private async addQueued(): Promise<void> {
    let owed = Infinity;
    while (owed > 0) {
      const [added, left] = (await this.redis.ig_applyCredit(this.keys.prefix, PER_CALL)) as [number, number];
      this.calls++;
      this.added += added;
      if (owed === Infinity) owed = left;
      else owed -= added;
      if (added === 0) return;
    }
  }
}
