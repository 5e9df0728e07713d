/**
 * The catalog of recordings, in Redis whichever backend holds the bytes: which recordings exist (a
 * recording is visible exactly when its `rec:<sha>` hash exists), where their bytes are (a blob id), which
 * jobs use them, and the blobs of uploads in progress or waiting for deletion. Every change that must be
 * atomic is one small script here, and each declares the keys it touches, so that under Redis Cluster
 * these keys need only share a hash tag (docs/scaling.md).
 *
 * A blob's life: `uploads` (being written; its score is its last progress) -> committed as a recording,
 * or `doomed` (abandoned, failed, a duplicate of a recording that exists) -> its bytes removed. A
 * recording's: committed -> claimed by jobs -> `doomed` once no job has needed it for the grace period.
 * Removal from `uploads` is the arbiter between a commit and the collector declaring the upload
 * abandoned: whichever comes first wins, the other does nothing.
 */
import { randomBytes } from 'node:crypto';
import type { Redis } from 'ioredis';
import type { Keys } from '../store/keys.js';
import { declaredScript } from '../store/scripts.js';

export interface RecordingMeta {
  sha256: string;
  size: number;
  blob: string;
  /** Bytes per chunk of a blob kept in Redis; 0 for a file. */
  chunkSize: number;
  storedAt: number;
  /** Last upload of these bytes or claim by a job. */
  usedAt: number;
  /** Bumped by every claim and re-upload: the collector deletes only a recording it read unchanged. */
  v: string;
  /** Jobs that claimed it. */
  jobs: string[];
}

export interface RecordingUsage {
  recordings: number;
  bytes: number;
  /** Bytes received so far by uploads in progress. */
  uploadingBytes: number;
}

export type CommitOutcome = 'stored' | 'exists' | 'gone';

const SCRIPTS = {
  // KEYS: rec, recs, uploads, uploadBytes, doomed. ARGV: blob, sha, size, chunkSize, now.
  // The blob becomes the recording, unless one exists already (then the blob is a duplicate, doomed, and
  // the recording counts as used now) or the upload was declared abandoned ('gone').
  igrec_commit: [5, `
if not redis.call('ZSCORE', KEYS[3], ARGV[1]) then return 'gone' end
redis.call('ZREM', KEYS[3], ARGV[1])
redis.call('HDEL', KEYS[4], ARGV[1])
if redis.call('EXISTS', KEYS[1]) == 1 then
  redis.call('HSET', KEYS[1], 'usedAt', ARGV[5])
  redis.call('HINCRBY', KEYS[1], 'v', 1)
  redis.call('ZADD', KEYS[5], ARGV[5], ARGV[1])
  return 'exists'
end
redis.call('HSET', KEYS[1], 'blob', ARGV[1], 'size', ARGV[3], 'chunkSize', ARGV[4], 'storedAt', ARGV[5], 'usedAt', ARGV[5], 'v', 0)
redis.call('ZADD', KEYS[2], ARGV[3], ARGV[2])
return 'stored'`],
  // KEYS: uploads, uploadBytes. ARGV: blob, now, bytes. 0 when the upload was declared abandoned.
  igrec_progress: [2, `
if not redis.call('ZSCORE', KEYS[1], ARGV[1]) then return 0 end
redis.call('ZADD', KEYS[1], ARGV[2], ARGV[1])
redis.call('HSET', KEYS[2], ARGV[1], ARGV[3])
return 1`],
  // KEYS: uploads, uploadBytes, doomed. ARGV: blob, now. 1 when this call moved the blob to doomed.
  igrec_abandon: [3, `
if redis.call('ZREM', KEYS[1], ARGV[1]) == 0 then return 0 end
redis.call('HDEL', KEYS[2], ARGV[1])
redis.call('ZADD', KEYS[3], ARGV[2], ARGV[1])
return 1`],
  // KEYS: rec. ARGV: job, now. 0 when there is no such recording.
  igrec_claim: [1, `
if redis.call('EXISTS', KEYS[1]) == 0 then return 0 end
redis.call('HSET', KEYS[1], 'j:' .. ARGV[1], 1, 'usedAt', ARGV[2])
redis.call('HINCRBY', KEYS[1], 'v', 1)
return 1`],
  // KEYS: rec, recs, doomed. ARGV: sha, v, now. Deletes the recording if it is still as the collector read
  // it (no claim or upload since), its blob to doomed. 0 when it changed or is gone.
  igrec_forget: [3, `
local cur = redis.call('HMGET', KEYS[1], 'v', 'blob')
if cur[1] ~= ARGV[2] then return 0 end
redis.call('DEL', KEYS[1])
redis.call('ZREM', KEYS[2], ARGV[1])
redis.call('ZADD', KEYS[3], ARGV[3], cur[2])
return 1`],
} as const;

type ScriptName = keyof typeof SCRIPTS;
type CatalogRedis = Redis & Record<ScriptName, (...args: Array<string | number>) => Promise<unknown>>;

export class RecordingCatalog {
  private readonly redis: CatalogRedis;

  constructor(redis: Redis, private readonly keys: Keys) {
    for (const [name, [numberOfKeys, lua]] of Object.entries(SCRIPTS)) {
      if (!(name in redis)) redis.defineCommand(name, { numberOfKeys, lua: declaredScript(lua) });
    }
    this.redis = redis as CatalogRedis;
  }

  /** A new blob id, registered as an upload in progress (so that a crash leaves it findable). */
  async openUpload(now = Date.now()): Promise<string> {
    const blob = randomBytes(12).toString('hex');
    await this.redis.multi().zadd(this.keys.key('uploads'), now, blob).hset(this.keys.key('uploadBytes'), blob, 0).exec();
    return blob;
  }

  /** Note that an upload is advancing; false when it was declared abandoned meanwhile. */
  async progress(blob: string, bytes: number, now = Date.now()): Promise<boolean> {
    return (await this.redis.igrec_progress(this.keys.key('uploads'), this.keys.key('uploadBytes'), blob, now, bytes)) === 1;
  }

  async commit(blob: string, sha256: string, size: number, chunkSize: number, now = Date.now()): Promise<CommitOutcome> {
    const k = this.keys;
    return (await this.redis.igrec_commit(
      k.key('recording', { sha: sha256 }), k.key('recordings'), k.key('uploads'), k.key('uploadBytes'), k.key('doomed'),
      blob, sha256, size, chunkSize, now)) as CommitOutcome;
  }

  /** An upload that failed or went silent: its blob goes to doomed. False when it was already gone. */
  async abandon(blob: string, now = Date.now()): Promise<boolean> {
    return (await this.redis.igrec_abandon(this.keys.key('uploads'), this.keys.key('uploadBytes'), this.keys.key('doomed'), blob, now)) === 1;
  }

  async claim(sha256: string, jobId: string, now = Date.now()): Promise<boolean> {
    return (await this.redis.igrec_claim(this.keys.key('recording', { sha: sha256 }), jobId, now)) === 1;
  }

  async meta(sha256: string): Promise<RecordingMeta | null> {
    const h = await this.redis.hgetall(this.keys.key('recording', { sha: sha256 }));
    if (!h.blob) return null;
    return {
      sha256,
      size: Number(h.size),
      blob: h.blob,
      chunkSize: Number(h.chunkSize),
      storedAt: Number(h.storedAt),
      usedAt: Number(h.usedAt),
      v: h.v,
      jobs: Object.keys(h).filter((f) => f.startsWith('j:')).map((f) => f.slice(2)),
    };
  }

  /** Delete a recording read as `v`, unless it changed since; its blob is doomed. */
  async forget(meta: RecordingMeta, now = Date.now()): Promise<boolean> {
    const k = this.keys;
    return (await this.redis.igrec_forget(k.key('recording', { sha: meta.sha256 }), k.key('recordings'), k.key('doomed'), meta.sha256, meta.v, now)) === 1;
  }

  /** Every stored recording's sha256. */
  async shas(): Promise<string[]> {
    return this.redis.zrange(this.keys.key('recordings'), '0', '-1');
  }

  /** Uploads with no progress since `before` (ms). */
  async silentUploads(before: number, limit = 100): Promise<string[]> {
    return this.redis.zrangebyscore(this.keys.key('uploads'), '-inf', before, 'LIMIT', 0, limit);
  }

  async doomed(limit = 100): Promise<string[]> {
    return this.redis.zrange(this.keys.key('doomed'), '0', String(limit - 1));
  }

  /** A doomed blob's bytes are gone: forget it. */
  async reaped(blob: string): Promise<void> {
    await this.redis.zrem(this.keys.key('doomed'), blob);
  }

  async usage(): Promise<RecordingUsage> {
    const [recs, uploading] = await Promise.all([
      this.redis.zrange(this.keys.key('recordings'), '0', '-1', 'WITHSCORES'),
      this.redis.hvals(this.keys.key('uploadBytes')),
    ]);
    let bytes = 0;
    for (let i = 1; i < recs.length; i += 2) bytes += Number(recs[i]);
    return { recordings: recs.length / 2, bytes, uploadingBytes: uploading.reduce((s, b) => s + Number(b), 0) };
  }
}
