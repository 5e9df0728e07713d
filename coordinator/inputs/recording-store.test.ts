/**
 * The recording store against a real Redis, with both backends: chunks in Redis (a 1000-byte chunk size,
 * so that slices cross chunk boundaries) and files. Uploads become visible only when complete; an upload
 * cut short leaves nothing a reader sees and its bytes are collected; a duplicate keeps one copy; the
 * collector deletes what no job needs after the grace period and keeps what a live job uses. Time is
 * passed to the collector, not waited for.
 */
import { createHash, randomBytes } from 'node:crypto';
import { mkdtempSync, readdirSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Readable } from 'node:stream';
import { Redis } from 'ioredis';
import { pino } from 'pino';
import { afterAll, describe, expect, it } from 'vitest';
import { redisUrl, uniquePrefix } from '../../test/helpers/redis.js';
import { waitFor } from '../../test/helpers/processes.js';
import { Keys } from '../store/keys.js';
import type { BlobBackend } from './blob-backend.js';
import { RecordingCatalog } from './catalog.js';
import { RecordingCollector } from './collector.js';
import { FileBlobs } from './file-blobs.js';
import { RecordingStore } from './recording-store.js';
import { RedisBlobs } from './redis-blobs.js';

const redis = new Redis(redisUrl());
const dirs: string[] = [];
afterAll(() => {
  redis.disconnect();
  for (const d of dirs) rmSync(d, { recursive: true, force: true });
});

const log = pino({ level: 'silent' });
const GRACE_MS = 60_000;
const sha = (b: Buffer) => createHash('sha256').update(b).digest('hex');
const collect = async (body: Readable) => {
  const out: Buffer[] = [];
  for await (const c of body) out.push(c as Buffer);
  return Buffer.concat(out);
};
/** A body that yields `pieces` and then fails, as a client that disconnects mid-upload. */
function cutShort(pieces: Buffer[]): Readable {
  return Readable.from((async function* () {
    yield* pieces;
    throw new Error('client went away');
  })(), { objectMode: false });
}

interface Parts {
  keys: Keys;
  store: RecordingStore;
  collector: RecordingCollector;
  /** Chunk keys (Redis) or files (directory) holding bytes. */
  bytesHeld(): Promise<number>;
}

function setup(backend: 'redis' | 'file'): Parts {
  const keys = new Keys(uniquePrefix('rec'));
  let blobs: BlobBackend;
  let bytesHeld: () => Promise<number>;
  if (backend === 'redis') {
    blobs = new RedisBlobs(redis, keys, 1000);
    bytesHeld = async () => (await redis.keys(`${keys.prefix}:blob:*`)).length;
  } else {
    const dir = mkdtempSync(join(tmpdir(), 'ig-recordings-'));
    dirs.push(dir);
    blobs = new FileBlobs(dir);
    bytesHeld = async () => {
      try {
        return readdirSync(join(dir, 'blobs')).length;
      } catch {
        return 0;
      }
    };
  }
  const store = new RecordingStore(new RecordingCatalog(redis, keys), blobs, log);
  return { keys, store, collector: new RecordingCollector(store, redis, keys, GRACE_MS, log), bytesHeld };
}

describe.each(['redis', 'file'] as const)('recording store (%s)', (backend) => {
  it('stores an upload under its sha256 and serves any slice of it, across chunk boundaries', async () => {
    const s = setup(backend);
    const data = randomBytes(12_345);
    const stored = await s.store.put(Readable.from([data.subarray(0, 7), data.subarray(7, 4000), data.subarray(4000)]), 1 << 20);
    expect(stored).toEqual({ sha256: sha(data), size: data.length });
    expect(await s.store.has(stored.sha256)).toBe(true);
    expect(await s.store.size(stored.sha256)).toBe(data.length);
    for (const [offset, length] of [[0, data.length], [0, 1], [999, 2], [1000, 1000], [1500, 3001], [12_344, 1], [2000, 10_345]]) {
      expect(await collect(s.store.read(stored.sha256, offset, length))).toEqual(data.subarray(offset, offset + length));
      expect(await s.store.sliceSha256(stored.sha256, offset, length)).toBe(sha(data.subarray(offset, offset + length)));
    }
    await expect(s.store.sliceSha256(stored.sha256, 12_000, 346)).rejects.toThrow(/outside the 12345-byte input/);
    await expect(collect(s.store.read('ab'.repeat(32), 0, 1))).rejects.toMatchObject({ code: 'INPUT_MISSING' });
    expect(await s.store.catalog.usage()).toEqual({ recordings: 1, bytes: data.length, uploadingBytes: 0 });
  });

  it('an upload cut short is never visible, and the collector removes what it wrote', async () => {
    const s = setup(backend);
    const data = randomBytes(5_000);
    await expect(s.store.put(cutShort([data.subarray(0, 2500), data.subarray(2500, 4200)]), 1 << 20)).rejects.toThrow(/client went away/);
    expect(await s.store.has(sha(data))).toBe(false);
    expect(await s.store.has(sha(data.subarray(0, 4200)))).toBe(false);
    expect(await s.store.catalog.shas()).toEqual([]);
    // Removed right away by the failing upload itself (or, had it died, by the collector's next pass).
    await s.collector.tick();
    expect(await s.bytesHeld()).toBe(0);
    expect(await s.store.catalog.doomed()).toEqual([]);
    // The client tries again and succeeds.
    expect((await s.store.put(Readable.from([data]), 1 << 20)).sha256).toBe(sha(data));
  });

  it('refuses an upload over the limit while streaming, leaving nothing', async () => {
    const s = setup(backend);
    await expect(s.store.put(Readable.from([randomBytes(600), randomBytes(600)]), 1000)).rejects.toMatchObject({ code: 'FRAME_TOO_LARGE' });
    await s.collector.tick();
    expect(await s.store.catalog.shas()).toEqual([]);
    expect(await s.bytesHeld()).toBe(0);
  });

  it('the same bytes uploaded twice are kept once', async () => {
    const s = setup(backend);
    const data = randomBytes(3_000);
    await Promise.all([s.store.put(Readable.from([data]), 1 << 20), s.store.put(Readable.from([data]), 1 << 20)]);
    await s.collector.tick();
    expect(await s.store.catalog.shas()).toEqual([sha(data)]);
    expect(await s.store.catalog.doomed()).toEqual([]);
    expect(await s.bytesHeld()).toBe(backend === 'redis' ? 1 + 3 : 1); // blob hash + 3 chunks, or one file
    expect(await collect(s.store.read(sha(data), 0, data.length))).toEqual(data);
  });

  it('an upload whose coordinator died is abandoned after its silence, and a late write of it is refused', async () => {
    const s = setup(backend);
    // What a coordinator SIGKILLed mid-upload leaves: an open blob with some bytes.
    const { catalog, blobs } = s.store;
    const blob = await catalog.openUpload();
    const writer = await blobs.open(blob);
    await writer.write(randomBytes(2_500));
    await s.collector.tick(Date.now() + 5_000);
    expect(await catalog.silentUploads(Date.now() + 1)).toEqual([blob]); // silent for 5 s: not yet
    await s.collector.tick(Date.now() + GRACE_MS + 1);
    expect(await catalog.silentUploads(Date.now() + GRACE_MS)).toEqual([]);
    expect(await s.bytesHeld()).toBe(0);
    // The writer wakes up (a stalled process): its chunks are refused, and its commit finds it gone.
    if (backend === 'redis') await expect(writer.write(randomBytes(2_000)).then(() => writer.finish())).rejects.toMatchObject({ code: 'SLOW_CLIENT' });
    expect(await catalog.commit(blob, 'cd'.repeat(32), 4_500, 1000)).toBe('gone');
    expect(await catalog.shas()).toEqual([]);
  });

  it('the collector deletes a recording no job needs after the grace, and keeps one a live job uses', async () => {
    const s = setup(backend);
    const lonely = randomBytes(1_500);
    const used = randomBytes(2_500);
    await s.store.put(Readable.from([lonely]), 1 << 20);
    await s.store.put(Readable.from([used]), 1 << 20);
    const job = 'jobrec1';
    expect(await s.store.claim(sha(used), job)).toBe(true);
    expect(await s.store.claim('ef'.repeat(32), job)).toBe(false);
    await redis.hset(s.keys.key('job', { job }), 'state', 'running');

    await s.collector.tick(Date.now() + GRACE_MS / 2);
    expect((await s.store.catalog.shas()).sort()).toEqual([sha(lonely), sha(used)].sort());
    const later = Date.now() + GRACE_MS + 1;
    await s.collector.tick(later);
    expect(await s.store.catalog.shas()).toEqual([sha(used)]);
    expect(await s.store.has(sha(lonely))).toBe(false);

    // The job ends: the recording stays for the grace after its end, then goes.
    const ended = later + 1_000;
    await redis.hset(s.keys.key('job', { job }), 'state', 'done', 'finishedAt', ended);
    await s.collector.tick(ended + GRACE_MS - 1);
    expect(await s.store.catalog.shas()).toEqual([sha(used)]);
    await s.collector.tick(ended + GRACE_MS);
    expect(await s.store.catalog.shas()).toEqual([]);
    expect(await s.bytesHeld()).toBe(0);
    expect(await s.store.catalog.usage()).toEqual({ recordings: 0, bytes: 0, uploadingBytes: 0 });
  });

  it('a claim between the collector\'s read and its delete keeps the recording', async () => {
    const s = setup(backend);
    const data = randomBytes(1_000);
    await s.store.put(Readable.from([data]), 1 << 20);
    const read = (await s.store.catalog.meta(sha(data)))!;
    expect(await s.store.claim(sha(data), 'jobrec2')).toBe(true);
    expect(await s.store.catalog.forget(read)).toBe(false);
    expect(await s.store.has(sha(data))).toBe(true);
  });
});

describe('collector lock', () => {
  it('one coordinator collects per interval', async () => {
    const a = setup('redis');
    const b = new RecordingCollector(a.store, redis, a.keys, GRACE_MS, log);
    expect(await a.collector.tick()).toBe(true);
    expect(await b.tick()).toBe(false);
  });
});

describe('chunks lost in a Redis failover', () => {
  // What a primary that died before its replica had its last writes leaves on the promoted one: the
  // blob's chunk count behind what the writer sent. Written here directly; the writer must notice.
  const keys = new Keys(uniquePrefix('gap'));
  const blobs = new RedisBlobs(redis, keys, 1000);
  const blobKey = (id: string) => keys.key('blob', { blob: id });
  const written = (id: string, n: number) => waitFor(`chunk ${n - 1} of ${id} to be written`, async () => (await redis.hget(blobKey(id), 'chunks')) === String(n), 5_000, 10);
  const lost = { code: 'STORE_UNAVAILABLE', message: expect.stringMatching(/lost in a Redis failover; upload it again/) };

  it('a chunk written after a gap is refused', async () => {
    const w = await blobs.open('gap');
    await w.write(randomBytes(1000));
    await written('gap', 1);
    await redis.hset(blobKey('gap'), 'chunks', 0); // chunk 0 gone with the old primary
    await w.write(randomBytes(1000));
    await expect(w.finish()).rejects.toMatchObject(lost);
    expect(await redis.hget(blobKey('gap'), 'chunks')).toBe('0');
  });

  it('a blob whose last chunk is gone is not sealed', async () => {
    const w = await blobs.open('tail');
    await w.write(randomBytes(1000)); // the last chunk: no later write would find the gap
    await written('tail', 1);
    await redis.hset(blobKey('tail'), 'chunks', 0);
    await expect(w.finish()).rejects.toMatchObject(lost);
    expect(await redis.hget(blobKey('tail'), 'sealed')).toBeNull();
  });

  it('a whole blob is sealed', async () => {
    const w = await blobs.open('whole');
    await w.write(randomBytes(2500));
    expect(await w.finish()).toEqual({ chunkSize: 1000 });
    expect(await redis.hmget(blobKey('whole'), 'chunks', 'sealed')).toEqual(['3', '1']);
  });
});
