/**
 * The assimilator: when a job is settled (every unit valid or failed, or a decisive result validated),
 * assemble the answer with the kind and close the job. It runs as a BullMQ queue shared by all
 * coordinators: a coordinator that dies mid-assembly leaves a stalled BullMQ job that another one picks
 * up, and the job id deduplicates requests from several coordinators.
 */
import { Queue, Worker } from 'bullmq';
import type { Logger } from 'pino';
import type { Redis } from 'ioredis';
import { wireError } from '../protocol/index.js';
import type { EventBus } from './events.js';
import type { JobStore } from './job-store.js';
import type { Keys } from './store/keys.js';
import type { StoreRedis } from './store/scripts.js';

const QUEUE = 'assemble';

export class Assimilator {
  private readonly queue: Queue;
  private worker?: Worker;

  constructor(
    private readonly redis: StoreRedis,
    private readonly blocking: Redis,
    private readonly keys: Keys,
    private readonly jobs: JobStore,
    private readonly bus: EventBus,
    private readonly log: Logger,
  ) {
    this.queue = new Queue(QUEUE, { connection: redis, prefix: keys.bullPrefix });
    // While Redis is away the queue reports each failed reconnect; readiness already says so.
    this.queue.on('error', (err) => this.log.debug({ err: err.message }, 'assembler queue error'));
  }

  start(): void {
    this.worker = new Worker(QUEUE, async (job) => this.assemble(job.data.jobId as string), {
      connection: this.blocking,
      prefix: this.keys.bullPrefix,
      concurrency: 2,
    });
    this.worker.on('failed', (job, err) => this.log.error({ err, jobId: job?.data?.jobId }, 'assembly failed; BullMQ will retry'));
    this.worker.on('error', (err) => this.log.warn({ err: err.message }, 'assembler queue error'));
  }

  async enqueue(jobId: string): Promise<void> {
    await this.queue.add(QUEUE, { jobId }, {
      jobId: `assemble-${jobId}`,
      attempts: 5,
      backoff: { type: 'exponential', delay: 500 },
      removeOnComplete: true,
      removeOnFail: 1000,
    });
  }

  /** Idempotent: close-job.lua ignores a job that has already ended. */
  async assemble(jobId: string): Promise<void> {
    const meta = await this.jobs.meta(jobId);
    const jk = this.keys.key('job', { job: jobId });
    if (!meta) {
      await this.redis.srem(this.keys.key('settled'), jobId);
      return;
    }
    const [canon, failed, counts] = await Promise.all([
      this.redis.hgetall(this.keys.key('canon', { job: jobId })),
      this.redis.hgetall(this.keys.key('failed', { job: jobId })),
      this.redis.hmget(jk, 'unitsTotal', 'unitsFailed'),
    ]);
    const results = Object.entries(canon)
      .map(([index, json]) => ({ index: Number(index), result: meta.kind.result.parse(JSON.parse(json)) }))
      .sort((a, b) => a.index - b.index);
    const failedIdx = Object.keys(failed).map(Number).sort((a, b) => a - b);
    const allFailed = Number(counts[1]) >= Number(counts[0]);
    const answer = meta.kind.assemble(meta.params, meta.plan, results, failedIdx);
    const state = allFailed ? 'failed' : 'done';
    const error = allFailed ? JSON.stringify(wireError('UNIT_ERROR', `all ${counts[0]} units failed`)) : '';
    const out = await this.redis.ig_closeJob(this.keys.prefix, jobId, state, Date.now(), JSON.stringify(answer), error);
    if (out === 'already') return;
    const flat = out as string[];
    const leases: Array<[string, string]> = [];
    for (let i = 0; i < flat.length; i += 2) leases.push([flat[i], flat[i + 1]]);
    this.log.info({ jobId, state, withdrawn: leases.length }, 'job finished');
    await this.bus.publish({ type: 'job', id: jobId, state });
    if (leases.length) await this.bus.publish({ type: 'cancel', leases, reason: `job ${jobId} is ${state}` });
  }

  async close(): Promise<void> {
    await this.worker?.close();
    await this.queue.close();
  }
}
