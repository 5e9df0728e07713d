/**
 * The assembler (BOINC's assimilator): when a job is settled (every unit valid or failed, or a decisive
 * result validated) its id is in the `settled` set; the assembler builds the answer with the kind and
 * ends the job through the job lifecycle. It runs as a BullMQ queue shared by all coordinators: a
 * coordinator that dies mid-assembly leaves a stalled BullMQ job that another one picks up, and the
 * BullMQ job id deduplicates requests from several coordinators.
 */
import { Queue } from 'bullmq';
import type { Logger } from 'pino';
import type { Redis } from 'ioredis';
import { wireError, type WireError } from '../protocol/index.js';
import { storedFailure } from './job-doc.js';
import { QueueWorker } from './queue-worker.js';
import type { CreditLedger } from './credit-ledger.js';
import type { JobLifecycle } from './job-lifecycle.js';
import type { JobStore } from './job-store.js';
import type { Keys } from './store/keys.js';
import type { StoreRedis } from './store/scripts.js';

const QUEUE = 'assemble';

export class Assembler {
  private readonly queue: Queue;
  private worker?: QueueWorker;
  private draining = false;

  constructor(
    private readonly redis: StoreRedis,
    private readonly blocking: Redis,
    private readonly keys: Keys,
    private readonly jobs: JobStore,
    private readonly lifecycle: JobLifecycle,
    private readonly credit: CreditLedger,
    private readonly log: Logger,
  ) {
    this.queue = new Queue(QUEUE, { connection: redis, prefix: keys.bullPrefix });
    // While Redis is away the queue reports each failed reconnect; readiness already says so.
    this.queue.on('error', (err) => this.log.debug({ err: err.message }, 'assembly queue error'));
  }

  start(): void {
    this.worker = new QueueWorker(this.queue, this.blocking, async (job) => this.assemble(job.data.jobId as string),
      { prefix: this.keys.bullPrefix, concurrency: 2 }, 'assembly', this.log);
  }

  /** Queue every settled job for assembly (the transitioner calls this each tick; a validation that settles a job calls it at once). */
  async drainSettled(): Promise<void> {
    if (this.draining) return;
    this.draining = true;
    try {
      for (const jobId of await this.redis.smembers(this.keys.key('settled'))) await this.enqueue(jobId);
    } finally {
      this.draining = false;
    }
  }

  private async enqueue(jobId: string): Promise<void> {
    await this.queue.add(QUEUE, { jobId }, {
      jobId: `assemble-${jobId}`,
      attempts: 5,
      backoff: { type: 'exponential', delay: 500 },
      removeOnComplete: true,
      removeOnFail: 1000,
    });
  }

  /** Idempotent: the lifecycle leaves a job that has already ended as it is. */
  async assemble(jobId: string): Promise<void> {
    const meta = await this.jobs.meta(jobId);
    if (!meta) {
      await this.redis.srem(this.keys.key('settled'), jobId);
      return;
    }
    const [canon, failed, counts] = await Promise.all([
      this.redis.hgetall(this.keys.key('canon', { job: jobId })),
      this.redis.hgetall(this.keys.key('failed', { job: jobId })),
      this.redis.hmget(this.keys.key('job', { job: jobId }), 'unitsTotal', 'unitsFailed'),
    ]);
    const results = Object.entries(canon)
      .map(([index, json]) => ({ index: Number(index), result: meta.kind.result.parse(JSON.parse(json)) }))
      .sort((a, b) => a.index - b.index);
    const failedIdx = Object.keys(failed).map(Number).sort((a, b) => a - b);
    const answer = meta.kind.assemble(meta.params, meta.plan, results, failedIdx);
    // Every unit of the job was judged before it settled: once their grants are in the totals, a job that
    // says done has credited every host that worked on it.
    await this.credit.applied();
    const total = Number(counts[0]);
    if (Number(counts[1]) >= total) {
      await this.lifecycle.close(jobId, { state: 'failed', error: allFailed(total, Object.values(failed)), result: answer });
    } else {
      await this.lifecycle.close(jobId, { state: 'done', result: answer });
    }
  }

  async close(): Promise<void> {
    await this.worker?.close();
    await this.queue.close();
  }
}

/** Why a job whose every unit failed failed: the commonest failure, with its own code, and how often. */
function allFailed(total: number, stored: string[]): WireError {
  const byCode = new Map<string, { error: WireError; n: number }>();
  for (const s of stored) {
    const e = storedFailure(s);
    const seen = byCode.get(e.code) ?? { error: e, n: 0 };
    seen.n++;
    byCode.set(e.code, seen);
  }
  const top = [...byCode.values()].sort((a, b) => b.n - a.n)[0];
  if (!top) return wireError('UNIT_ERROR', `all ${total} units failed`);
  return { code: top.error.code, message: `all ${total} units failed; ${top.n === total ? 'every one' : `${top.n} of them`}: ${top.error.message}` };
}
