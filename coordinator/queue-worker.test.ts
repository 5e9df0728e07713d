/**
 * A worker that stops taking jobs is replaced and the job it left waiting is queued again; a worker
 * that is merely busy is left alone (queue-worker.ts). Real Redis, real BullMQ, real sockets: a worker
 * whose connection freezes (bytes stop, the socket stays open) stands in for one whose blocking pop hung
 * on a dead master (test/chaos/failover.test.ts has the real thing on a cluster).
 */
import { Queue } from 'bullmq';
import { pino } from 'pino';
import { afterAll, describe, expect, it } from 'vitest';
import { connectStore } from './store/redis.js';
import { HUNG_MS, QueueWorker, STUCK_MS } from './queue-worker.js';
import { redisUrl, uniquePrefix } from '../test/helpers/redis.js';
import { waitFor } from '../test/helpers/processes.js';
import { startFreezeProxy } from '../test/helpers/freeze-proxy.js';

const redis = connectStore(redisUrl());
const blocking = connectStore(redisUrl(), { blocking: true });
afterAll(() => {
  redis.disconnect();
  blocking.disconnect();
});
const silent = pino({ level: 'silent' });

/** A queue of its own, a gate that holds job 1 until opened, and what each job run saw. */
function setup() {
  const prefix = `${uniquePrefix('qw')}:bull`;
  const queue = new Queue('q', { connection: redis, prefix });
  const runs: number[] = [];
  let open!: () => void;
  const gate = new Promise<void>((r) => (open = r));
  const processor = async (job: { data: { n: number } }) => {
    runs.push(job.data.n);
    if (job.data.n === 1) await gate;
  };
  const end = async (worker: QueueWorker) => {
    open();
    await worker.close();
    await queue.obliterate({ force: true }).catch(() => {});
    await queue.close();
  };
  return { prefix, queue, runs, processor, open, end };
}

describe('QueueWorker', () => {
  it('leaves a busy worker alone however old its backlog, and runs each job once', async () => {
    const { prefix, queue, runs, processor, open, end } = setup();
    const worker = new QueueWorker(queue, blocking, processor, { prefix, concurrency: 1 }, 'test', silent);
    try {
      await queue.add('j', { n: 1 }, { jobId: 'one' });
      await waitFor('job one to be taken', async () => (await queue.getJob('one'))?.isActive(), 10_000, 20);
      await queue.add('j', { n: 2 }, { jobId: 'two' });
      const queuedAt = (await queue.getJob('two'))!.timestamp;
      expect(await worker.watch()).toBe(false); // it has only just been added
      expect(await worker.watch(Date.now() + STUCK_MS + 1)).toBe(false); // the one slot is working
      expect((await queue.getJob('two'))!.timestamp).toBe(queuedAt); // not queued again
      open();
      await waitFor('job two to be done', async () => (await queue.getJob('two'))?.isCompleted(), 10_000, 20);
      expect(runs).toEqual([1, 2]);
    } finally {
      await end(worker);
    }
  });

  it('replaces a worker whose jobs made no progress for HUNG_MS', async () => {
    const { prefix, queue, runs, processor, end } = setup();
    const worker = new QueueWorker(queue, blocking, processor, { prefix, concurrency: 1 }, 'test', silent);
    try {
      await queue.add('j', { n: 1 }, { jobId: 'one' });
      await waitFor('job one to be taken', async () => (await queue.getJob('one'))?.isActive(), 10_000, 20);
      await queue.add('j', { n: 2 }, { jobId: 'two' });
      expect(await worker.watch(Date.now() + STUCK_MS + 1)).toBe(false);
      expect(await worker.watch(Date.now() + HUNG_MS + 1)).toBe(true);
      await waitFor('job two to be done by the new worker', async () => (await queue.getJob('two'))?.isCompleted(), 10_000, 20);
      expect(runs).toEqual([1, 2]);
    } finally {
      await end(worker);
    }
  });

  it('replaces a worker whose connection froze while a slot was free', async () => {
    const { prefix, queue, runs, processor, open, end } = setup();
    const proxy = await startFreezeProxy(Number(new URL(redisUrl()).port));
    const through = connectStore(`redis://127.0.0.1:${proxy.port}`, { blocking: true });
    const worker = new QueueWorker(queue, through, processor, { prefix, concurrency: 2 }, 'test', silent);
    try {
      await queue.add('j', { n: 1 }, { jobId: 'one' });
      await waitFor('job one to be taken', async () => (await queue.getJob('one'))?.isActive(), 10_000, 20);
      proxy.freeze();
      await queue.add('j', { n: 2 }, { jobId: 'two' });
      await new Promise((r) => setTimeout(r, 300));
      expect(await (await queue.getJob('two'))!.isWaiting()).toBe(true); // the frozen worker cannot take it
      expect(await worker.watch(Date.now() + STUCK_MS + 1)).toBe(true); // a slot was free
      await waitFor('job two to be done by the new worker', async () => (await queue.getJob('two'))?.isCompleted(), 10_000, 20);
      expect(runs).toEqual([1, 2]);
      open(); // job one ends on the old worker, whose connection is gone: BullMQ hands it out again
    } finally {
      await end(worker);
      through.disconnect();
      await proxy.close();
    }
  });
});
