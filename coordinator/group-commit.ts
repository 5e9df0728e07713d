/**
 * Group commit for the store's hot scripts: requests that arrive while a call is out gather into the
 * next one, so that many hosts share one script call.
 *
 * A lease.lua or report.lua call costs Redis far more before its first item than per item
 * (docs/scaling.md, "What a request costs"), and real workers ask for a unit or two and report a result
 * or two at a time. An idle coordinator still makes its call at once (no timer, nothing waits for
 * company); a busy one makes fewer, bigger calls. Each request is answered with its own part of the
 * call's answer, in order; a call that fails fails every request it carried, and each caller handles that
 * as it handled its own call before (reconnect, retry).
 */

export interface GroupCommitOptions {
  /** Calls out at once: two keep Redis busy while this process reads the last answer. */
  concurrency?: number;
  /**
   * Weight (items) past which a call takes no more requests; a request is never split, so one heavier
   * than this goes alone. A call blocks Redis while it runs, so this bounds how long.
   */
  maxWeight?: number;
}

interface Waiting<Req, Ans> {
  req: Req;
  resolve(answer: Ans): void;
  reject(err: unknown): void;
}

export class GroupCommit<Req, Ans> {
  private readonly waiting: Array<Waiting<Req, Ans>> = [];
  private inFlight = 0;
  private readonly concurrency: number;
  private readonly maxWeight: number;
  /** Calls made, and the requests they carried: their ratio is how well requests gather (/metrics). */
  calls = 0;
  requests = 0;

  /**
   * `run` makes one call for the requests given and answers each, in order; `weight` is what a request
   * adds to a call (results, units asked for).
   */
  constructor(
    private readonly run: (reqs: Req[]) => Promise<Ans[]>,
    private readonly weight: (req: Req) => number,
    opts: GroupCommitOptions = {},
  ) {
    this.concurrency = opts.concurrency ?? 2;
    this.maxWeight = opts.maxWeight ?? 256;
  }

  submit(req: Req): Promise<Ans> {
    return new Promise((resolve, reject) => {
      this.waiting.push({ req, resolve, reject });
      this.pump();
    });
  }

  private pump(): void {
    while (this.inFlight < this.concurrency && this.waiting.length) {
      const batch: Array<Waiting<Req, Ans>> = [];
      let w = 0;
      while (this.waiting.length && (!batch.length || w + this.weight(this.waiting[0].req) <= this.maxWeight)) {
        const next = this.waiting.shift()!;
        batch.push(next);
        w += this.weight(next.req);
      }
      this.inFlight++;
      this.calls++;
      this.requests += batch.length;
      // run() may throw before its promise exists; either way every request of the batch hears of it.
      Promise.resolve().then(() => this.run(batch.map((b) => b.req))).then((answers) => {
        if (answers.length !== batch.length) throw new Error(`a gathered call answered ${answers.length} of ${batch.length} requests`);
        batch.forEach((b, i) => b.resolve(answers[i]));
      }).catch((err: unknown) => {
        for (const b of batch) b.reject(err);
      }).finally(() => {
        this.inFlight--;
        this.pump();
      });
    }
  }
}
