/**
 * The reference for coordinator throughput: BullMQ's own Worker with a no-op processor, in its own
 * process like the coordinator. Told over IPC to drain a queue the parent has filled, it times from the
 * moment the worker starts fetching to the n-th 'completed' event.
 */
import { Worker } from 'bullmq';
import { Redis } from 'ioredis';

interface Drain {
  id: number;
  cmd: 'drain';
  url: string;
  prefix: string;
  queue: string;
  n: number;
  concurrency: number;
}

async function drain(c: Drain): Promise<{ seconds: number; completed: number }> {
  const connection = new Redis(c.url, { maxRetriesPerRequest: null });
  const worker = new Worker(c.queue, async () => undefined, { connection, prefix: c.prefix, concurrency: c.concurrency, autorun: false });
  worker.on('error', () => {});
  await worker.waitUntilReady();
  let completed = 0;
  const t0 = performance.now();
  const done = new Promise<number>((res) => {
    worker.on('completed', () => {
      if (++completed === c.n) res(performance.now());
    });
  });
  void worker.run();
  const timeout = new Promise<number>((_, rej) => setTimeout(() => rej(new Error(`BullMQ drained ${completed} of ${c.n} jobs in 120 s`)), 120_000).unref());
  const t1 = await Promise.race([done, timeout]);
  await worker.close();
  connection.disconnect();
  return { seconds: (t1 - t0) / 1000, completed };
}

process.on('message', (c: Drain) => {
  drain(c).then(
    (data) => process.send!({ id: c.id, ok: true, data }),
    (err: Error) => process.send!({ id: c.id, ok: false, error: err.message }),
  );
});
process.on('disconnect', () => process.exit(0));
