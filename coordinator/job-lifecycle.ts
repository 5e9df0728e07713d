/**
 * The one place a job ends, for every reason: done with its answer, failed with why, or cancelled by its
 * owner. close-job.lua stores the end and withdraws the replicas still out; this module then tells every
 * coordinator (pub/sub), so each tells its hosts to drop those units. Idempotent: a job that has already
 * ended is left as it is.
 */
import type { Logger } from 'pino';
import type { WireError } from '../protocol/index.js';
import type { EventBus } from './events.js';
import type { Keys } from './store/keys.js';
import type { StoreRedis } from './store/scripts.js';

export type JobEnd =
  | { state: 'done'; result: unknown }
  | { state: 'failed'; error: WireError; result?: unknown }
  | { state: 'cancelled'; by: string };

export interface Closed {
  /** False when the job had already ended (nothing was changed). */
  closed: boolean;
  withdrawn: number;
}

export class JobLifecycle {
  constructor(
    private readonly redis: StoreRedis,
    private readonly keys: Keys,
    private readonly bus: EventBus,
    private readonly log: Logger,
  ) {}

  async close(jobId: string, end: JobEnd): Promise<Closed> {
    const result = end.state === 'cancelled' || end.result === undefined ? '' : JSON.stringify(end.result);
    const error = end.state === 'failed' ? JSON.stringify(end.error) : '';
    const out = await this.redis.ig_closeJob(this.keys.prefix, jobId, end.state, Date.now(), result, error);
    if (out === 'already') return { closed: false, withdrawn: 0 };
    const flat = out as string[];
    const leases: Array<[string, string]> = [];
    for (let i = 0; i < flat.length; i += 2) leases.push([flat[i], flat[i + 1]]);
    const why = end.state === 'cancelled' ? `job ${jobId} was cancelled` : `job ${jobId} is ${end.state}`;
    this.log.info({ jobId, state: end.state, withdrawn: leases.length, ...(end.state === 'cancelled' ? { by: end.by } : {}) }, `job ${end.state}`);
    await this.bus.publish({ type: 'job', id: jobId, state: end.state });
    if (leases.length) await this.bus.publish({ type: 'cancel', leases, reason: why });
    return { closed: true, withdrawn: leases.length };
  }
}
