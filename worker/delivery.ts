/**
 * Results on their way to the coordinator: written to the outbox first (so nothing finished is lost to
 * a crash or an outage), then sent in small batches (one frame, one Redis round trip), sent again in
 * full after every reconnect, and removed once acknowledged.
 */
import type { CoordinatorMessage } from '../protocol/index.js';
import type { Link } from './link.js';
import type { Outbox, PendingResult } from './outbox.js';

const BATCH = 64;

type AckItem = Extract<CoordinatorMessage, { type: 'ack' }>['items'][number];

export class Delivery {
  private pending: PendingResult[] = [];
  private timer?: NodeJS.Timeout;

  constructor(private readonly outbox: Outbox, private readonly link: Link) {}

  add(item: PendingResult): void {
    this.outbox.add(item);
    this.pending.push(item);
    // A few ms of grace gathers the results of threads that finish together into one frame.
    this.timer ??= setTimeout(() => {
      this.timer = undefined;
      const items = this.pending.splice(0, BATCH);
      if (items.length) this.link.send({ type: 'results', items });
    }, 5);
  }

  /** After a (re)connect: everything still in the outbox. Returns how many results that was. */
  resend(): number {
    const all = this.outbox.all();
    for (let i = 0; i < all.length; i += BATCH) this.link.send({ type: 'results', items: all.slice(i, i + BATCH) });
    return all.length;
  }

  /** The coordinator has the result (accepted or not): it leaves the outbox. */
  acknowledged(items: AckItem[]): void {
    for (const item of items) this.outbox.remove(item.leaseId);
  }

  /** Lease ids finished and not yet acknowledged: not to be computed again. */
  finished(): Set<string> {
    return new Set(this.outbox.all().map((r) => r.leaseId));
  }

  get waiting(): number {
    return this.outbox.count();
  }
}
