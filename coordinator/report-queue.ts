/**
 * Hosts' reports, stored by report.lua calls that carry several hosts' results at once (group-commit.ts:
 * the reports that arrive while a call is out gather into the next). Each connection still gets its own
 * items' statuses, in order, and still waits for replicas and retries after a failover as before
 * (connection.ts, store).
 */
import { GroupCommit, type GroupCommitOptions } from './group-commit.js';
import type { Keys } from './store/keys.js';
import type { StoreRedis } from './store/scripts.js';

/** A report's item as report.lua takes it after the host id: jobId, unit, replica, kind, payload, cpuS. */
export type ReportArgs = Array<string | number>;

interface Report {
  hostId: string;
  items: ReportArgs[];
}

export class ReportQueue {
  private readonly gather: GroupCommit<Report, string[]>;

  constructor(redis: StoreRedis, keys: Keys, opts: GroupCommitOptions = {}) {
    this.gather = new GroupCommit(async (reports) => {
      const n = reports.reduce((s, r) => s + r.items.length, 0);
      const args = reports.flatMap((r) => r.items.flatMap((item) => [r.hostId, ...item]));
      const statuses = (await redis.ig_report(keys.prefix, Date.now(), n, ...args)) as string[];
      let k = 0;
      return reports.map((r) => statuses.slice(k, (k += r.items.length)));
    }, (r) => r.items.length, opts);
  }

  /** report.lua calls made (/metrics). */
  get calls(): number {
    return this.gather.calls;
  }

  /** Hosts' reports those calls carried. */
  get requests(): number {
    return this.gather.requests;
  }

  /** Stores one host's report; resolves with report.lua's status for each item. */
  store(hostId: string, items: ReportArgs[]): Promise<string[]> {
    if (!items.length) return Promise.resolve([]);
    return this.gather.submit({ hostId, items });
  }
}
