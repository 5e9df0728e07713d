/**
 * A worker that takes no job is replaced, and the job it left waiting is queued again (queue-worker.ts).
 * Real Redis, real BullMQ. A worker busy for good on its one slot stands in for one stuck on a dead
 * master (test/chaos/failover.test.ts has the real thing on a cluster).
 */
import { Queue } from 'bullmq';
import { pino } from 'pino';
import { afterAll, describe, expect, it } from 'vitest';
import { connectStore } from './store/redis.js';
import { QueueWorker, STUCK_MS } from './queue-worker.js';
import { redisUrl, uniquePrefix } from '../test/helpers/redis.js';
import { waitFor } from '../test/helpers/processes.js';

const redis = connectStore(redisUrl());
const blocking = connectStore(redisUrl(), { blocking: true });
afterAll(() => {
  redis.disconnect();
  blocking.disconnect();
});

describe('QueueWorker', () => {
  it('leaves a job that waits a moment alone, and replaces a worker that leaves one waiting too long', async () => {
    const prefix = `${uniquePrefix('qw')}:bull`;
    const queue = new Queue('q', { connection: redis, prefix });
    const done: string[] = [];
    let release!: () => void;
    const stuck = new Promise<void>((r) => (release = r));
    const worker = new QueueWorker(queue, blocking, async (job) => {
      if (job.data.n === 1) await stuck; // the first worker's only slot, held for good
      done.push(String(job.data.n));
    }, { prefix, concurrency: 1 }, 'test', pino({ level: 'silent' }));
    try {
      await queue.add('j', { n: 1 }, { jobId: 'one' });
      await waitFor('job one to be taken', async () => (await queue.getJob('one'))?.isActive(), 10_000, 20);
      await queue.add('j', { n: 2 }, { jobId: 'two', attempts: 3 });
      expect(await worker.watch()).toBe(false); // it has only just been added
      expect(await (await queue.getJob('two'))!.isWaiting()).toBe(true);

      expect(await worker.watch(Date.now() + STUCK_MS + 1)).toBe(true);
      await waitFor('job two to be done by the new worker', async () => done.includes('2'), 10_000, 20);
      expect(done).toEqual(['2']);
    } finally {
      release();
      await worker.close();
      await queue.obliterate({ force: true }).catch(() => {});
      await queue.close();
    }
  });
});
