/**
 * Hosts' reports, stored by report.lua calls that carry several hosts' results at once.
 *
 * A report.lua call costs Redis about as much before its first result as a dozen results cost
 * (docs/scaling.md, "What a request costs"), and a real worker reports a result or two at a time. So the
 * connections of a coordinator hand their reports here, and while a call is out the reports that arrive
 * gather into the next one (group commit): an idle coordinator stores a report at once, a busy one
 * stores many hosts' reports per call. Each connection still gets its own items' statuses, in order,
 * and still waits for replicas and retries after a failover as before (connection.ts, store).
 */
import type { Keys } from './store/keys.js';
import type { StoreRedis } from './store/scripts.js';

/** A report's item as report.lua takes it after the host id: jobId, unit, replica, kind, payload, cpuS. */
export type ReportArgs = Array<string | number>;

interface Waiting {
  hostId: string;
  items: ReportArgs[];
  resolve(statuses: string[]): void;
  reject(err: unknown): void;
}

export interface ReportQueueOptions {
  /** Calls out at once: two keep Redis busy while this process reads the last answer. */
  concurrency?: number;
  /** Items past which a call takes no more reports (a report is never split). A call blocks Redis while it runs. */
  maxItems?: number;
}

export class ReportQueue {
  private readonly waiting: Waiting[] = [];
  private inFlight = 0;
  private readonly concurrency: number;
  private readonly maxItems: number;
  /** Calls made and the reports they carried (how well reports gather; /metrics). */
  calls = 0;
  reports = 0;

  constructor(private readonly redis: StoreRedis, private readonly keys: Keys, opts: ReportQueueOptions = {}) {
    this.concurrency = opts.concurrency ?? 2;
    this.maxItems = opts.maxItems ?? 256;
  }

  /** Stores one host's report; resolves with report.lua's status for each item. */
  store(hostId: string, items: ReportArgs[]): Promise<string[]> {
    if (!items.length) return Promise.resolve([]);
    return new Promise((resolve, reject) => {
      this.waiting.push({ hostId, items, resolve, reject });
      this.pump();
    });
  }

  private pump(): void {
    while (this.inFlight < this.concurrency && this.waiting.length) {
      const batch: Waiting[] = [];
      let n = 0;
      while (this.waiting.length && (!batch.length || n + this.waiting[0].items.length <= this.maxItems)) {
        const w = this.waiting.shift()!;
        batch.push(w);
        n += w.items.length;
      }
      this.inFlight++;
      this.calls++;
      this.reports += batch.length;
      const args = batch.flatMap((w) => w.items.flatMap((item) => [w.hostId, ...item]));
      this.redis.ig_report(this.keys.prefix, Date.now(), n, ...args).then((got) => {
        const statuses = got as string[];
        let k = 0;
        for (const w of batch) {
          w.resolve(statuses.slice(k, k + w.items.length));
          k += w.items.length;
        }
      }, (err: unknown) => {
        for (const w of batch) w.reject(err);
      }).finally(() => {
        this.inFlight--;
        this.pump();
      });
    }
  }
}
