/**
 * Garbage collection of recordings, run by every coordinator and done by one at a time (a lock with a
 * TTL; every step is idempotent, so two at once would only do the work twice). Each pass:
 * 1. uploads silent for longer than min(grace, 10 min) were abandoned (their coordinator died, or the
 *    client vanished): their blobs are doomed;
 * 2. a recording no queued or running job uses, whose last use (upload, claim, or the end of the last
 *    job using it) is older than the grace period, is deleted, unless a claim came in meanwhile;
 * 3. doomed blobs' bytes are removed.
 */
import { randomBytes } from 'node:crypto';
import type { Redis } from 'ioredis';
import type { Logger } from 'pino';
import type { Keys } from '../store/keys.js';
import type { RecordingMeta } from './catalog.js';
import type { RecordingStore } from './recording-store.js';

/** An upload silent this long (or the grace period, if shorter) is abandoned. Live ones report every second. */
const ABANDON_AFTER_MS = 10 * 60_000;
const LIVE_JOB_STATES = new Set(['queued', 'running']);

export class RecordingCollector {
  private timer?: NodeJS.Timeout;
  private running = false;
  private readonly me = randomBytes(6).toString('hex');
  readonly intervalMs: number;

  constructor(
    private readonly store: RecordingStore,
    private readonly redis: Redis,
    private readonly keys: Keys,
    private readonly graceMs: number,
    private readonly log: Logger,
  ) {
    // A quarter of the grace, so a recording outlives it by at most that; at least every minute.
    this.intervalMs = Math.max(200, Math.min(60_000, Math.floor(graceMs / 4)));
  }

  start(): void {
    this.timer = setInterval(() => void this.tick(), this.intervalMs);
    this.timer.unref();
  }

  stop(): void {
    clearInterval(this.timer);
  }

  /** One pass, if no other coordinator holds the lock. Returns whether this one ran it. */
  async tick(now = Date.now()): Promise<boolean> {
    if (this.running) return false;
    this.running = true;
    try {
      if (!(await this.lock())) return false;
      await this.collect(now);
      return true;
    } catch (err) {
      this.log.warn({ err: (err as Error).message }, 'recording collection failed; retrying next pass');
      return false;
    } finally {
      this.running = false;
    }
  }

  /** Take the lock, or keep it if this collector holds it (it runs every interval, the lock lasts one). */
  private async lock(): Promise<boolean> {
    const key = this.keys.key('collectorLock');
    if ((await this.redis.set(key, this.me, 'PX', this.intervalMs, 'NX')) === 'OK') return true;
    if ((await this.redis.get(key)) !== this.me) return false;
    await this.redis.pexpire(key, this.intervalMs);
    return true;
  }

  private async collect(now: number): Promise<void> {
    const { catalog } = this.store;
    for (const blob of await catalog.silentUploads(now - Math.min(this.graceMs, ABANDON_AFTER_MS))) {
      if (await catalog.abandon(blob, now)) this.log.info({ blob }, 'an upload went silent and was abandoned; discarding what it wrote');
    }
    for (const sha of await catalog.shas()) {
      const meta = await catalog.meta(sha);
      if (!meta) continue;
      const lastUse = await this.lastUse(meta, now);
      if (lastUse !== null && now - lastUse >= this.graceMs && (await catalog.forget(meta, now))) {
        this.log.info({ sha256: sha, size: meta.size, jobs: meta.jobs.length }, 'recording no job needs any more deleted');
      }
    }
    for (const blob of await catalog.doomed()) await this.store.reap(blob);
  }

  /** When the recording was last needed, or null while a job that uses it is queued or running. */
  private async lastUse(meta: RecordingMeta, now: number): Promise<number | null> {
    let last = Math.max(meta.storedAt, meta.usedAt);
    if (!meta.jobs.length) return last;
    const pipe = this.redis.pipeline();
    for (const job of meta.jobs) pipe.hmget(this.keys.key('job', { job }), 'state', 'finishedAt');
    for (const [err, fields] of (await pipe.exec()) ?? []) {
      if (err) return null;
      const [state, finishedAt] = fields as [string | null, string | null];
      // A claim by a submission that never created its job counts only as a use (usedAt).
      if (state === null) continue;
      if (LIVE_JOB_STATES.has(state)) return null;
      last = Math.max(last, Number(finishedAt) || now);
    }
    return last;
  }
}
