/**
 * The coordinator's BullMQ worker (assembly) that is replaced when it stops taking jobs.
 *
 * On a Redis Cluster whose master died, a worker's blocking pop was seen to hang for good, silently, in
 * about half the failover runs (test/chaos/failover.test.ts): jobs then waited for ever, and a job whose
 * units were all done was never assembled. A failover can also lose the mark by which BullMQ tells
 * workers that a job waits, while the job itself survives. So every few seconds the oldest waiting job
 * is looked at. One that has waited longer than STUCK_MS while this worker had a slot free means the
 * worker is not taking jobs: the job is added afresh (a new mark) and the worker is replaced by one on a
 * new connection, which learns the cluster anew. The old one is closed gently: it takes no more jobs,
 * and the jobs it runs finish with their locks renewed, so none is taken again as stalled and run twice.
 *
 * A worker whose every slot is taken is busy, not stuck: a backlog of jobs older than STUCK_MS is
 * normal under load, and replacing the worker would only start more work than it has threads for. Only
 * when no job of it has started or ended for HUNG_MS are its running jobs taken to be hung (a call that
 * will never answer) and the worker replaced without waiting for them.
 */
import { type Job, type Processor, type Queue, Worker } from 'bullmq';
import type { Redis } from 'ioredis';
import type { Logger } from 'pino';
import { atMost } from './store/ready.js';

/** A job waiting longer than this while a slot was free was forgotten by the worker. */
export const STUCK_MS = 15_000;
/** A worker with every slot taken and no job started or ended for this long is hung. */
export const HUNG_MS = 10 * 60_000;
const WATCH_MS = 5_000;

/**
 * How soon a job held by a coordinator that died runs elsewhere: its lock lapses after LOCK_MS (a live
 * worker renews it every LOCK_MS / 2) and every worker looks for lapsed locks every STALLED_CHECK_MS.
 * BullMQ's defaults (30 s each) left an audit (a BullMQ job until audit-queue.ts) held by a SIGKILLed
 * coordinator, and with it the job's last unit, waiting 30-60 s (test/chaos/crashes.test.ts, case a);
 * these leave 10-15 s. A lock lost to a long pause of a live coordinator only runs the job twice, which
 * assembly allows (it ends a job once, close-job.lua); MAX_STALLED lets a job
 * survive a few such losses, or a few dead coordinators, before BullMQ fails it.
 */
export const LOCK_MS = 10_000;
export const STALLED_CHECK_MS = 5_000;
const MAX_STALLED = 3;

/** One BullMQ worker and what it is doing, to tell busy from stuck. */
interface Running {
  worker: Worker;
  connection: Redis;
  active: number;
  /** When a job of this worker last started or ended (or the worker started). */
  movedAt: number;
  /** Called when `active` falls to 0. */
  idle: Array<() => void>;
}

export class QueueWorker {
  private current: Running;
  private readonly timer: NodeJS.Timeout;
  private restartedAt = 0;
  /** Workers being closed, and the connections made for them, so close() can finish them. */
  private readonly retiring = new Set<Promise<void>>();

  constructor(
    private readonly queue: Queue,
    private readonly connection: Redis,
    private readonly processor: Processor,
    private readonly opts: { prefix: string; concurrency: number },
    private readonly what: string,
    private readonly log: Logger,
  ) {
    this.current = this.start(connection);
    this.timer = setInterval(() => void this.watch().catch(() => {}), WATCH_MS);
    this.timer.unref();
  }

  private start(connection: Redis): Running {
    const run = { connection, active: 0, movedAt: Date.now(), idle: [] as Array<() => void> };
    const processor: Processor = async (job, token) => {
      run.active++;
      run.movedAt = Date.now();
      try {
        return await this.processor(job, token);
      } finally {
        run.active--;
        run.movedAt = Date.now();
        if (run.active === 0) for (const f of run.idle.splice(0)) f();
      }
    };
    const worker = new Worker(this.queue.name, processor, {
      connection, lockDuration: LOCK_MS, stalledInterval: STALLED_CHECK_MS, maxStalledCount: MAX_STALLED, ...this.opts,
    });
    worker.on('failed', (job, err) => this.log.error({ err, job: job?.id }, `${this.what} failed; BullMQ will retry`));
    // While Redis is away BullMQ reports every reconnect attempt: say it once, and again after a recovery.
    let said = false;
    worker.on('error', (err) => {
      if (!said) this.log.warn({ err: err.message }, `${this.what} queue cannot reach Redis; retrying`);
      said = true;
    });
    connection.on('ready', () => {
      said = false;
    });
    return Object.assign(run, { worker });
  }

  /** Looks at the oldest waiting job; see the top of the file. True when the worker was replaced. */
  async watch(now = Date.now()): Promise<boolean> {
    const [oldest] = (await this.queue.getJobs(['wait'], 0, 0, true)) as Job[];
    if (!oldest || now - oldest.timestamp < STUCK_MS) return false;
    const run = this.current;
    const hung = now - run.movedAt >= HUNG_MS;
    if (run.active >= this.opts.concurrency && !hung) return false;
    if (await oldest.remove().then(() => true, () => false)) {
      await this.queue.add(oldest.name, oldest.data, { ...oldest.opts, jobId: oldest.id });
    }
    if (now - this.restartedAt >= STUCK_MS) {
      this.restartedAt = now;
      this.current = this.start(this.connection.duplicate());
      this.retire(run, hung);
    }
    const waitedS = Math.round((now - oldest.timestamp) / 1000);
    if (hung) this.log.warn({ job: oldest.id, waitedS, running: run.active }, `the ${this.what} worker's jobs made no progress for ${HUNG_MS / 60_000} min; replaced it and queued the oldest waiting job again`);
    else this.log.warn({ job: oldest.id, waitedS }, `a ${this.what} job waited with no worker taking it (a Redis failover?); queued it again on a new worker`);
    return true;
  }

  /**
   * Closes a replaced worker: gently unless its jobs are hung. It takes no more jobs, the jobs it runs
   * end with their locks renewed, and BullMQ then has a few seconds to record them (a connection that
   * died answers nothing: the jobs are then handed out again once their locks lapse). Then the
   * connection made for it is closed; the caller's own connection is the caller's to close.
   */
  private retire(run: Running, hung: boolean): void {
    const closed = run.worker.close(hung).catch(() => {});
    const ended = hung || run.active === 0 ? Promise.resolve() : new Promise<void>((r) => run.idle.push(r));
    const closing = ended.then(() => atMost(closed, 5_000)).then(() => {
      if (run.connection !== this.connection) run.connection.disconnect();
      this.retiring.delete(closing);
    });
    this.retiring.add(closing);
  }

  async close(): Promise<void> {
    clearInterval(this.timer);
    await this.current.worker.close();
    if (this.current.connection !== this.connection) this.current.connection.disconnect();
    await Promise.all(this.retiring);
  }
}
