/**
 * A BullMQ worker of the coordinator's (assembly, audits) that is replaced when it stops taking jobs.
 *
 * On a Redis Cluster whose master died, a worker's blocking pop was seen to hang for good, silently, in
 * about half the failover runs (test/chaos/failover.test.ts): jobs then waited for ever, and a job whose
 * units were all done was never assembled. A failover can also lose the mark by which BullMQ tells
 * workers that a job waits, while the job itself survives. So every few seconds the oldest waiting job
 * is looked at; one that has waited longer than STUCK_MS means no worker here or elsewhere is taking
 * jobs: it is added afresh (a new mark) and this coordinator's worker is replaced by one on a new
 * connection, which learns the cluster anew. Workers that are merely busy, with a backlog older than
 * STUCK_MS, are treated the same: re-queueing the oldest job is harmless, but the replaced worker's running
 * jobs go on without their lock being renewed, so one that runs past BullMQ's lock (30 s) may be taken
 * again as stalled and run twice (an audit recomputed; its result is recorded once). Not seen here.
 */
import { type Job, type Processor, type Queue, Worker } from 'bullmq';
import type { Redis } from 'ioredis';
import type { Logger } from 'pino';
import { atMost } from './store/ready.js';

/** A job waiting longer than this was forgotten by the workers. */
export const STUCK_MS = 15_000;
const WATCH_MS = 5_000;

export class QueueWorker {
  private worker: Worker;
  private readonly timer: NodeJS.Timeout;
  private restartedAt = 0;
  /** Connections of workers started in place of stuck ones. */
  private readonly spares: Redis[] = [];

  constructor(
    private readonly queue: Queue,
    private readonly connection: Redis,
    private readonly processor: Processor,
    private readonly opts: { prefix: string; concurrency: number },
    private readonly what: string,
    private readonly log: Logger,
  ) {
    this.worker = this.start(connection);
    this.timer = setInterval(() => void this.watch().catch(() => {}), WATCH_MS);
    this.timer.unref();
  }

  private start(connection: Redis): Worker {
    const worker = new Worker(this.queue.name, this.processor, { connection, ...this.opts });
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
    return worker;
  }

  /** Looks at the oldest waiting job; see the top of the file. */
  async watch(now = Date.now()): Promise<boolean> {
    const [oldest] = (await this.queue.getJobs(['wait'], 0, 0, true)) as Job[];
    if (!oldest || now - oldest.timestamp < STUCK_MS) return false;
    if (await oldest.remove().then(() => true, () => false)) {
      await this.queue.add(oldest.name, oldest.data, { ...oldest.opts, jobId: oldest.id });
    }
    if (now - this.restartedAt >= STUCK_MS) {
      this.restartedAt = now;
      const old = this.worker;
      const connection = this.connection.duplicate();
      this.spares.push(connection);
      this.worker = this.start(connection);
      void atMost(old.close(true), 5_000);
    }
    this.log.warn({ job: oldest.id, waitedS: Math.round((now - oldest.timestamp) / 1000) }, `a ${this.what} job waited with no worker taking it (a Redis failover?); queued it again on a new worker`);
    return true;
  }

  async close(): Promise<void> {
    clearInterval(this.timer);
    await this.worker.close();
    for (const c of this.spares) c.disconnect();
  }
}
