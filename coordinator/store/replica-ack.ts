/**
 * Waiting for replicas before telling a client that something is kept: a job acknowledged to its
 * submitter, an upload answered 201, credit announced to a host. Redis replicates asynchronously, so a
 * write the primary answered can die with it; `WAIT n timeout` returns once n replicas have everything
 * the calling connection wrote before it.
 *
 * WAIT blocks its connection, so it runs on a connection of its own, never the one the hot path shares.
 * That connection writes one counter (INCR ackmark) first: WAIT then covers every write any connection
 * made before it, since the primary replicates in one ordered stream. Callers that arrive while a wait is
 * out join the next one (group commit), so N acknowledgements at once cost one round trip to the
 * replicas, not N.
 *
 * A failover can come between the write and the wait: the wait then runs on the promoted replica and
 * proves nothing about a write made on the old primary. So each caller names what it wrote (a key, or a
 * hash field), read in the same pipeline after WAIT: present there, it is on a primary whose replicas
 * have acknowledged it; absent, it was lost and the caller redoes it (or says so). A pipeline is never
 * split between two servers (ioredis aborts or resends it whole), which is what makes that read sound.
 */
import type { Redis } from 'ioredis';
import type { Logger } from 'pino';
import { COMMAND_PATIENCE_MS, FAILOVER_RETRY_MS } from './redis.js';

/** A write to look for after the wait: a key, or one field of a hash. */
export interface Written {
  key: string;
  field?: string;
  /**
   * On a Redis Cluster, a counter key in the write's own slot when that is not the deployment's (a
   * recording's chunks: store/keys.ts, SPREAD): the wait must run on the node that holds the write, and
   * only its own replication stream orders the counter after it.
   */
  mark?: string;
}

interface Waiter {
  writes: Written[];
  resolve: (present: boolean[]) => void;
  reject: (err: Error) => void;
}

/** Cluster replies that mean "not here, or not yet": the slot moved, or has no master for now. */
const REDIRECTED = /^(MOVED|ASK|CLUSTERDOWN|TRYAGAIN) /;
/** As long as any command would wait on a cluster (store/redis.ts). */
const MAX_REDIRECTED = Math.round(COMMAND_PATIENCE_MS / FAILOVER_RETRY_MS);

/** Warn about replicas that did not acknowledge at most this often. */
const WARN_EVERY_MS = 60_000;

export class ReplicaAck {
  private queue: Waiter[] = [];
  private running = false;
  private warnedAt = 0;
  /** Waits that ended with fewer acknowledgements than asked (for /metrics and tests). */
  shortWaits = 0;

  /**
   * @param client a connection of its own (WAIT blocks it), or null when no replica is waited for.
   * @param replicas how many replicas must acknowledge; 0 turns the whole thing off.
   */
  constructor(
    private readonly client: Redis | null,
    private readonly markKey: string,
    readonly replicas: number,
    private readonly timeoutMs: number,
    private readonly log: Logger,
  ) {}

  get enabled(): boolean {
    return this.client !== null && this.replicas > 0;
  }

  /**
   * Resolves once `replicas` replicas have acknowledged everything written before this call (or the
   * timeout passed: logged, and the answer goes out anyway, as the deployment has no replica to fail
   * over to), with, for each write named, whether it is on the primary now. Off: all true at once.
   */
  confirm(writes: Written[]): Promise<boolean[]> {
    if (!this.enabled) return Promise.resolve(writes.map(() => true));
    return new Promise((resolve, reject) => {
      this.queue.push({ writes, resolve, reject });
      void this.pump();
    });
  }

  /** confirm() for one write. */
  async kept(write: Written): Promise<boolean> {
    return (await this.confirm([write]))[0];
  }

  private async pump(): Promise<void> {
    if (this.running) return;
    this.running = true;
    try {
      while (this.queue.length) {
        const batch = this.queue.splice(0);
        try {
          // One wait per mark, in parallel: on one server every write has the same mark.
          const all = batch.flatMap((w) => w.writes);
          const groups = new Map<string, number[]>();
          all.forEach((w, at) => {
            const m = w.mark ?? this.markKey;
            groups.set(m, [...(groups.get(m) ?? []), at]);
          });
          const present = new Array<boolean>(all.length);
          await Promise.all([...groups].map(async ([m, at]) => {
            const got = await this.barrier(m, at.map((k) => all[k]));
            at.forEach((k, n) => {
              present[k] = got[n];
            });
          }));
          let i = 0;
          for (const w of batch) w.resolve(present.slice(i, (i += w.writes.length)));
        } catch (err) {
          for (const w of batch) w.reject(err as Error);
        }
      }
    } finally {
      this.running = false;
    }
  }

  private async barrier(mark: string, writes: Written[]): Promise<boolean[]> {
    for (let attempt = 1; ; attempt++) {
      const pipe = this.client!.pipeline().incr(mark).wait(this.replicas, this.timeoutMs);
      for (const w of writes) {
        if (w.field === undefined) pipe.exists(w.key);
        else pipe.hexists(w.key, w.field);
      }
      const replies = (await pipe.exec()) ?? [];
      const failed = replies.find(([err]) => err);
      // On a cluster, ioredis resends a pipeline that a failover redirected only if all of it is reads,
      // and WAIT is not: this one comes back with MOVED (or CLUSTERDOWN while the slot has no master).
      // Each step is safe to repeat, so learn where the slot is now and go again, as long as a command
      // would wait (redis.ts).
      if (failed && REDIRECTED.test(failed[0]!.message) && attempt < MAX_REDIRECTED) {
        (this.client as Redis & { refreshSlotsCache?: () => void }).refreshSlotsCache?.();
        await new Promise((r) => setTimeout(r, FAILOVER_RETRY_MS));
        continue;
      }
      if (failed || replies.length !== writes.length + 2) throw failed?.[0] ?? new Error('the replica wait got no answer');
      return this.counted(replies);
    }
  }

  private counted(replies: Array<[Error | null, unknown]>): boolean[] {
    const acked = Number(replies[1][1]);
    if (acked < this.replicas) {
      this.shortWaits++;
      if (Date.now() - this.warnedAt > WARN_EVERY_MS) {
        this.warnedAt = Date.now();
        this.log.warn({ acked, wanted: this.replicas, timeoutMs: this.timeoutMs },
          'fewer replicas than --redis-wait-replicas acknowledged within --redis-wait-timeout; answering anyway (a failover now could lose the last writes)');
      }
    }
    return replies.slice(2).map(([, n]) => Number(n) === 1);
  }

  close(): void {
    this.client?.disconnect();
  }
}
