/**
 * BullMQ as the reference: the parent fills a queue with addBulk (no-op jobs, removed on completion as
 * a high-throughput deployment would), then a Worker process (bench/sim/bullmq-worker.ts, concurrency
 * 50) drains it; its rate is jobs completed per second. Also the Redis memory a queued BullMQ job costs.
 */
import type { ChildProcess } from 'node:child_process';
import { Queue } from 'bullmq';
import { Redis } from 'ioredis';
import { captureOutput, forkTs, stopProcess } from './procs.js';
import { keyspaceBytes } from './redis.js';

const CHUNK = 1_000;

async function fill(queue: Queue, n: number, from = 0): Promise<void> {
  for (let i = 0; i < n; i += CHUNK) {
    const jobs = Array.from({ length: Math.min(CHUNK, n - i) }, (_, k) => ({
      name: 'noop',
      data: { unit: from + i + k },
      opts: { removeOnComplete: true, removeOnFail: true },
    }));
    await queue.addBulk(jobs);
  }
}

export class BullmqReference {
  private nextId = 1;
  private readonly output: () => string;

  private constructor(private readonly proc: ChildProcess, private readonly redisUrl: string, private readonly prefix: string) {
    this.output = captureOutput(proc);
  }

  static start(redisUrl: string, prefix: string): BullmqReference {
    return new BullmqReference(forkTs('bench/sim/bullmq-worker.ts'), redisUrl, prefix);
  }

  /** Jobs per second of one drain of `n` no-op jobs. */
  async rate(n: number, concurrency = 50): Promise<number> {
    const connection = new Redis(this.redisUrl, { maxRetriesPerRequest: null });
    const name = `ref${this.nextId}`;
    const queue = new Queue(name, { connection, prefix: this.prefix });
    try {
      await fill(queue, n);
      const id = this.nextId++;
      const r = await new Promise<{ seconds: number }>((res, rej) => {
        const onExit = (code: number | null) => rej(new Error(`BullMQ reference exited (${code}): ${this.output().slice(-1500)}`));
        const onMsg = (m: { id: number; ok: boolean; data?: { seconds: number }; error?: string }) => {
          if (m.id !== id) return;
          this.proc.off('message', onMsg);
          this.proc.off('exit', onExit);
          if (m.ok) res(m.data!);
          else rej(new Error(`BullMQ reference: ${m.error}`));
        };
        this.proc.on('message', onMsg);
        this.proc.once('exit', onExit);
        this.proc.send({ id, cmd: 'drain', url: this.redisUrl, prefix: this.prefix, queue: name, n, concurrency });
      });
      await queue.obliterate({ force: true });
      return n / r.seconds;
    } finally {
      await queue.close();
      connection.disconnect();
    }
  }

  async close(): Promise<void> {
    await stopProcess(this.proc, 'SIGTERM', 2_000);
  }
}

/** Redis bytes per waiting BullMQ job (addBulk of `n` no-op jobs with a small payload), by MEMORY USAGE of its keys. */
export async function bullmqBytesPerJob(redisUrl: string, prefix: string, n: number): Promise<number> {
  const connection = new Redis(redisUrl, { maxRetriesPerRequest: null });
  const name = `mem${Date.now()}`;
  const queue = new Queue(name, { connection, prefix });
  try {
    await queue.waitUntilReady();
    await fill(queue, 1); // the queue's own keys (meta, id counter) before measuring
    const before = await keyspaceBytes(connection, `${prefix}:${name}:*`);
    await fill(queue, n, 1);
    const after = await keyspaceBytes(connection, `${prefix}:${name}:*`);
    await queue.obliterate({ force: true });
    return (after.bytes - before.bytes) / n;
  } finally {
    await queue.close();
    connection.disconnect();
  }
}
