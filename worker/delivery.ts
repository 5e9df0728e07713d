/**
 * Results and failures on their way to the coordinator, both the same way: written to the outbox first
 * (so nothing is lost to a crash or an outage), then sent in small batches (one frame, one Redis round
 * trip), sent again in full after every reconnect, and removed once acknowledged.
 */
import type { CoordinatorMessage, WorkerMessage } from '../protocol/index.js';
import type { Outbox, Pending } from './outbox.js';

const BATCH = 64;

type AckItem = Extract<CoordinatorMessage, { type: 'ack' }>['items'][number];

export interface Sender {
  send(msg: WorkerMessage): boolean;
}

export class Delivery {
  private pending: Pending[] = [];
  private timer?: NodeJS.Timeout;

  constructor(private readonly outbox: Outbox, private readonly link: Sender) {}

  add(p: Pending): void {
    this.outbox.add(p);
    this.pending.push(p);
    // A few ms of grace gathers the results of threads that finish together into one frame.
    this.timer ??= setTimeout(() => {
      this.timer = undefined;
      this.send(this.pending.splice(0));
    }, 5);
  }

  /** After a (re)connect: everything still in the outbox. Returns how many of each that was. */
  resend(): { results: number; failures: number } {
    const all = this.outbox.all();
    this.send(all);
    const failures = all.filter((p) => p.type === 'failure').length;
    return { results: all.length - failures, failures };
  }

  /** The coordinator has them (accepted or not): they leave the outbox. Returns each with what was sent. */
  acknowledged(items: AckItem[]): Array<{ ack: AckItem; sent: Pending | undefined }> {
    return items.map((ack) => ({ ack, sent: this.outbox.take(ack.leaseId) }));
  }

  /** Lease ids finished or failed and not yet acknowledged: not to be computed again. */
  finished(): Set<string> {
    return new Set(this.outbox.all().map((p) => p.item.leaseId));
  }

  get waiting(): number {
    return this.outbox.count();
  }

  /** Sends what it can; what the link cannot take now stays in the outbox for the next resend. */
  private send(list: Pending[]): void {
    const results = list.flatMap((p) => (p.type === 'result' ? [p.item] : []));
    const failures = list.flatMap((p) => (p.type === 'failure' ? [p.item] : []));
    for (let i = 0; i < results.length; i += BATCH) this.link.send({ type: 'results', items: results.slice(i, i + BATCH) });
    for (let i = 0; i < failures.length; i += BATCH) this.link.send({ type: 'failures', items: failures.slice(i, i + BATCH) });
  }
}
