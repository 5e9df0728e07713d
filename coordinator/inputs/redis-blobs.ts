/**
 * Blobs as chunks in Redis, the default: every coordinator reads the same bytes, and a failover keeps
 * them with everything else. A blob is `blob:<id>` (state, chunks written, sealed) and `blob:<id>:<i>`
 * strings of CHUNK_BYTES each (the last shorter). A slice reads only the chunks it covers, and only the
 * bytes of them it needs (GETRANGE). Writes go one chunk at a time with at most WRITES_IN_FLIGHT
 * outstanding, so an upload holds a few MiB whatever its size.
 *
 * A chunk is written by a script that first checks the blob is still open: once the collector has marked
 * it dead (an upload declared abandoned) no write can add a chunk it would not know to remove.
 *
 * Nothing acknowledged may be lost in a failover. Chunks are numbered, and a write finds a gap left by a
 * primary that died; the last one is checked by sealing the blob. With --redis-wait-replicas the
 * upload is answered only once replicas hold the seal: on one server by the wait for the recording that
 * is written after it; on a Redis Cluster, where a blob's keys are in a slot of their own (store/keys.ts),
 * often on another node than the recording that names it, by a wait on the blob's node when it is sealed.
 */
import type { Redis } from 'ioredis';
import { IdlegridError } from '../../protocol/index.js';
import type { Keys } from '../store/keys.js';
import type { ReplicaAck } from '../store/replica-ack.js';
import { declaredScript } from '../store/scripts.js';
import type { BlobBackend, BlobLayout, BlobWriter } from './blob-backend.js';

/** 1 MiB: large enough that per-command costs vanish (~1 GB/s through Redis), small enough to stream. */
export const CHUNK_BYTES = 1 << 20;
const WRITES_IN_FLIGHT = 2;
/** Chunk keys removed per UNLINK. */
const REMOVE_BATCH = 256;

// KEYS: blob, chunk. ARGV: index, bytes. 0 when the blob is no longer open; -1 when an earlier chunk is
// missing (written to a primary that died before its replica had it: the chunks are numbered, so the
// next write after a failover finds the gap).
const WRITE_CHUNK = `
local b = redis.call('HMGET', KEYS[1], 'state', 'chunks')
if b[1] ~= 'open' then return 0 end
if b[2] ~= ARGV[1] then return -1 end
redis.call('SET', KEYS[2], ARGV[2])
redis.call('HSET', KEYS[1], 'chunks', ARGV[1] + 1)
return 1`;

// KEYS: blob. ARGV: the number of chunks written. 1 once the blob holds all of them (then marked sealed),
// else 0: the last chunks went with a primary that died, and no later write was there to notice.
const SEAL = `
local b = redis.call('HMGET', KEYS[1], 'state', 'chunks')
if b[1] ~= 'open' or b[2] ~= ARGV[1] then return 0 end
redis.call('HSET', KEYS[1], 'sealed', 1)
return 1`;

type ChunkRedis = Redis & {
  igblob_write(blobKey: string, chunkKey: string, index: number, data: Buffer): Promise<number>;
  igblob_seal(blobKey: string, chunks: number): Promise<number>;
};

const lostInFailover = () => new IdlegridError('STORE_UNAVAILABLE', 'the upload was lost in a Redis failover; upload it again');

export class RedisBlobs implements BlobBackend {
  readonly where = 'redis';
  private readonly redis: ChunkRedis;

  constructor(redis: Redis, private readonly keys: Keys, private readonly chunkBytes = CHUNK_BYTES, private readonly ack?: ReplicaAck) {
    if (!('igblob_write' in redis)) redis.defineCommand('igblob_write', { numberOfKeys: 2, lua: declaredScript(WRITE_CHUNK) });
    if (!('igblob_seal' in redis)) redis.defineCommand('igblob_seal', { numberOfKeys: 1, lua: declaredScript(SEAL) });
    this.redis = redis as ChunkRedis;
  }

  private chunkKey(blob: string, index: number): string {
    return this.keys.key('chunk', { blob, index });
  }

  async open(blob: string): Promise<BlobWriter> {
    const blobKey = this.keys.key('blob', { blob });
    await this.redis.hset(blobKey, 'state', 'open', 'chunks', 0);
    const size = this.chunkBytes;
    // Chunk buffers are reused once Redis has answered for them (ioredis holds a buffer until then), so
    // an upload allocates WRITES_IN_FLIGHT + 1 of them, not one per MiB.
    const free: Buffer[] = [];
    let buf: Buffer = Buffer.allocUnsafe(size);
    let fill = 0;
    let index = 0;
    const inFlight: Array<Promise<void>> = [];
    const redis = this.redis;
    const ack = this.ack;
    // On a cluster the blob's node is not the deployment's: its own counter orders the wait after it.
    const mark = this.keys.cluster ? this.keys.key('blobAck', { blob }) : undefined;
    const flush = async () => {
      if (!fill) return;
      const i = index++;
      const full = buf;
      const piece = fill === size ? full : full.subarray(0, fill);
      buf = free.pop() ?? Buffer.allocUnsafe(size);
      fill = 0;
      const p = this.redis.igblob_write(blobKey, this.chunkKey(blob, i), i, piece).then((ok) => {
        free.push(full);
        if (ok === -1) throw lostInFailover();
        if (ok !== 1) throw new IdlegridError('SLOW_CLIENT', 'the upload was discarded as abandoned while it was being written; upload it again');
      });
      p.catch(() => {}); // observed when awaited below; never an unhandled rejection meanwhile
      inFlight.push(p);
      if (inFlight.length >= WRITES_IN_FLIGHT) await inFlight.shift();
    };
    return {
      async write(data) {
        for (let off = 0; off < data.length;) {
          const n = Math.min(data.length - off, size - fill);
          data.copy(buf, fill, off, off + n);
          fill += n;
          off += n;
          if (fill === size) await flush();
        }
      },
      async finish(): Promise<BlobLayout> {
        await flush();
        while (inFlight.length) await inFlight.shift();
        if ((await redis.igblob_seal(blobKey, index)) !== 1) throw lostInFailover();
        // Sealed on a node whose replicas then acknowledged it: every chunk is on them too. Waited for here
        // only on a cluster, where the blob has a node of its own: on one server (or Sentinel) the caller
        // waits once for the recording it writes next (routes/data.ts), which follows the seal in the
        // same replication stream, so a second wait here would only double an upload's last round trip.
        if (mark && ack?.enabled && !(await ack.kept({ key: blobKey, field: 'sealed', mark }))) throw lostInFailover();
        return { chunkSize: size };
      },
      async abort() {
        await Promise.allSettled(inFlight.splice(0));
      },
    };
  }

  async *read(blob: string, layout: BlobLayout, offset: number, length: number): AsyncIterable<Buffer> {
    const cs = layout.chunkSize;
    const first = Math.floor(offset / cs);
    const last = Math.floor((offset + length - 1) / cs);
    const fetch = (i: number): Promise<Buffer> => {
      const from = i === first ? offset - i * cs : 0;
      const to = i === last ? offset + length - 1 - i * cs : cs - 1;
      return this.redis.getrangeBuffer(this.chunkKey(blob, i), from, to).then((b) => {
        if (b.length !== to - from + 1) throw new IdlegridError('INPUT_MISSING', `chunk ${i} of the recording's bytes is gone (deleted while being read?)`);
        return b;
      });
    };
    // One chunk ahead: the next read overlaps sending this one.
    let next = fetch(first);
    for (let i = first; i <= last; i++) {
      const current = next;
      if (i < last) {
        next = fetch(i + 1);
        next.catch(() => {}); // a reader that stops early never awaits it
      }
      yield await current;
    }
  }

  async remove(blob: string): Promise<void> {
    const blobKey = this.keys.key('blob', { blob });
    // Dead first: a late write of an abandoned upload is refused from here on, so `chunks` is final.
    const replies = await this.redis.multi().hset(blobKey, 'state', 'dead').hget(blobKey, 'chunks').exec();
    const chunks = Number(replies?.[1]?.[1] ?? 0);
    for (let i = 0; i < chunks; i += REMOVE_BATCH) {
      const keys = [];
      for (let j = i; j < Math.min(chunks, i + REMOVE_BATCH); j++) keys.push(this.chunkKey(blob, j));
      await this.redis.unlink(...keys);
    }
    await this.redis.del(blobKey, this.keys.key('blobAck', { blob }));
  }
}
