/**
 * Recordings in the shared store, with real coordinator processes on one Redis: an upload through one
 * coordinator is served by another; a coordinator SIGKILLed while a client streams an upload leaves
 * nothing visible, the client's retry through another succeeds, and the abandoned bytes are collected;
 * a recording no job needs is deleted after the grace period while one a queued job uses is kept until
 * the job ends; a 256 MiB upload passes through a coordinator whose peak memory grows by far less.
 */
import { createHash, randomBytes } from 'node:crypto';
import { readFileSync } from 'node:fs';
import { request } from 'node:http';
import { Readable } from 'node:stream';
import { Redis } from 'ioredis';
import { afterAll, afterEach, describe, expect, it } from 'vitest';
import { Keys } from '../../coordinator/store/keys.js';
import { sahSource } from '../../workunits/fftscan/sah.js';
import { readFixture } from '../helpers/fixtures.js';
import { startCoordinatorProcess, submitJob, tokenHeaders, waitFor, type Proc } from '../helpers/processes.js';
import { redisUrl, uniquePrefix } from '../helpers/redis.js';

const MiB = 1 << 20;
const redis = new Redis(redisUrl());
const procs: Proc[] = [];
const prefixes: string[] = [];
afterEach(async () => {
  await Promise.all(procs.splice(0).map((p) => p.kill('SIGKILL')));
});
afterAll(async () => {
  // The recordings of these tests are large: remove every key they left in the shared Redis.
  for (const prefix of prefixes) {
    let cursor = '0';
    do {
      const [next, batch] = await redis.scan(cursor, 'MATCH', `${prefix}:*`, 'COUNT', 1000);
      cursor = next;
      if (batch.length) await redis.unlink(...batch);
    } while (cursor !== '0');
  }
  redis.disconnect();
});

function grid(name: string): Keys {
  const keys = new Keys(uniquePrefix(name));
  prefixes.push(keys.prefix);
  return keys;
}

async function coordinator(keys: Keys, extra: string[] = []): Promise<Proc & { url: string; port: number }> {
  const c = await startCoordinatorProcess(redisUrl(), keys.prefix, extra);
  procs.push(c);
  return c;
}

const sha = (b: Buffer) => createHash('sha256').update(b).digest('hex');

async function upload(url: string, body: Buffer): Promise<{ sha256: string; size: number }> {
  const res = await fetch(`${url}/api/data`, { method: 'POST', headers: { 'content-type': 'application/octet-stream', ...tokenHeaders() }, body: new Uint8Array(body) });
  const doc = (await res.json()) as { sha256: string; size: number };
  expect(res.status, JSON.stringify(doc)).toBe(201);
  return doc;
}

async function slice(url: string, sha256: string, offset?: number, length?: number): Promise<{ status: number; body: Buffer }> {
  const q = offset === undefined ? '' : `?offset=${offset}&length=${length}`;
  const res = await fetch(`${url}/api/data/${sha256}${q}`, { headers: tokenHeaders() });
  return { status: res.status, body: Buffer.from(await res.arrayBuffer()) };
}

/** Everything the store holds under a prefix: recordings, uploads in progress, doomed blobs, blob keys. */
async function store(keys: Keys): Promise<{ recordings: string[]; open: number; doomed: number; blobKeys: number }> {
  const [recordings, open, doomed, blobKeys] = await Promise.all([
    redis.zrange(keys.key('recordings'), '0', '-1'),
    redis.zcard(keys.key('uploads')),
    redis.zcard(keys.key('doomed')),
    redis.keys(`${keys.prefix}:blob:*`).then((k) => k.length),
  ]);
  return { recordings, open, doomed, blobKeys };
}

const metric = async (url: string, series: string): Promise<number> => {
  const text = await (await fetch(`${url}/metrics`)).text();
  const line = text.split('\n').find((l) => l.startsWith(`${series} `));
  if (!line) throw new Error(`no ${series} in /metrics`);
  return Number(line.slice(series.length + 1));
};

describe('recordings shared by coordinators', () => {
  it('an upload through one coordinator is served, byte for byte, by another', async () => {
    const keys = grid('rec-share');
    const [a, b] = await Promise.all([coordinator(keys), coordinator(keys)]);
    const data = randomBytes(3 * MiB + 123);
    const stored = await upload(a.url, data);
    expect(stored).toEqual({ sha256: sha(data), size: data.length });
    for (const [offset, length] of [[undefined, undefined], [MiB - 10, 20], [0, 1], [2 * MiB, MiB + 123], [data.length - 1, 1]]) {
      const got = await slice(b.url, stored.sha256, offset, length);
      const want = offset === undefined ? data : data.subarray(offset, offset + length!);
      expect(got.status).toBe(200);
      expect(sha(got.body)).toBe(sha(want));
    }
    expect(await metric(b.url, 'idlegrid_recordings')).toBe(1);
    expect(await metric(b.url, 'idlegrid_recording_bytes{state="stored"}')).toBe(data.length);
  });

  it('a coordinator SIGKILLed mid-upload leaves nothing visible; the retry succeeds and the abandoned bytes are collected', async () => {
    const keys = grid('rec-kill');
    const [a, b] = await Promise.all([coordinator(keys), coordinator(keys)]);
    const data = randomBytes(12 * MiB);
    // The client streams slowly (256 KiB every 100 ms) so that the kill lands mid-upload.
    let sent = 0;
    const body = new Readable({
      read() {
        if (sent >= data.length) return void this.push(null);
        const piece = data.subarray(sent, sent + MiB / 4);
        sent += piece.length;
        setTimeout(() => this.push(piece), 100);
      },
    });
    const req = request(`${a.url}/api/data`, { method: 'POST', headers: { 'content-type': 'application/octet-stream', ...tokenHeaders() } });
    const outcome = new Promise<string>((resolve) => {
      req.on('response', (res) => resolve(`answered ${res.statusCode}`));
      req.on('error', (err) => resolve(err.message));
    });
    body.pipe(req);
    await waitFor('some of the upload stored', async () => Number((await redis.hvals(keys.key('uploadBytes')))[0] ?? 0) >= 2 * MiB, 30_000, 20);
    await a.kill('SIGKILL');
    expect(await outcome).not.toMatch(/^answered/);
    expect(sent).toBeLessThan(data.length);

    // Nothing visible, through the other coordinator or in the store; the bytes written are an open upload.
    expect((await slice(b.url, sha(data))).status).toBe(404);
    const left = await store(keys);
    expect(left.recordings).toEqual([]);
    expect(left.open).toBe(1);
    expect(left.blobKeys).toBeGreaterThan(1);

    const again = await upload(b.url, data);
    expect(again.sha256).toBe(sha(data));
    expect(sha((await slice(b.url, again.sha256, 5 * MiB - 7, 2 * MiB)).body)).toBe(sha(data.subarray(5 * MiB - 7, 7 * MiB - 7)));

    // A coordinator with a short grace collects the silent upload (and, no job using it, the recording).
    await b.kill('SIGTERM');
    const c = await coordinator(keys, ['--recording-grace', '1']);
    await waitFor('the store emptied', async () => {
      const s = await store(keys);
      return s.recordings.length === 0 && s.open === 0 && s.doomed === 0 && s.blobKeys === 0;
    }, 30_000, 100);
    expect(await metric(c.url, 'idlegrid_recording_bytes{state="stored"}')).toBe(0);
    expect(await metric(c.url, 'idlegrid_recording_bytes{state="uploading"}')).toBe(0);
  });

  it('deletes a recording no job needs after the grace, and keeps one a queued job uses until the job ends', async () => {
    const keys = grid('rec-gc');
    const c = await coordinator(keys, ['--recording-grace', '2']);
    const sah = Buffer.from(readFixture('seti_reference_work_unit.sah'));
    const used = await upload(c.url, sah);
    const jobId = await submitJob(c.url, { kind: 'fftscan', params: { source: sahSource(new Uint8Array(sah), used.sha256), fftSize: 131072, maxDrift: 5.3, chirpResolution: 0.333 * 27 } });
    const lonely = await upload(c.url, randomBytes(MiB + 1));
    expect((await store(keys)).recordings.sort()).toEqual([used.sha256, lonely.sha256].sort());

    // No worker: the job stays queued. The lonely recording, uploaded after the other, goes first.
    await waitFor('the unused recording deleted', async () => !(await store(keys)).recordings.includes(lonely.sha256), 30_000, 100);
    expect((await store(keys)).recordings).toEqual([used.sha256]);
    expect((await slice(c.url, used.sha256, 0, 64)).body).toEqual(sah.subarray(0, 64));
    expect(await metric(c.url, 'idlegrid_recording_bytes{state="stored"}')).toBe(sah.length);

    const cancel = await fetch(`${c.url}/api/jobs/${jobId}`, { method: 'DELETE', headers: tokenHeaders() });
    expect(cancel.status).toBe(200);
    await waitFor('the recording deleted after its job ended', async () => {
      const s = await store(keys);
      return s.recordings.length === 0 && s.doomed === 0 && s.blobKeys === 0;
    }, 30_000, 100);
    expect((await slice(c.url, used.sha256)).status).toBe(404);
    expect(await metric(c.url, 'idlegrid_recordings')).toBe(0);
  });

  it('a 256 MiB upload streams through: the coordinator\'s peak memory grows by far less than the upload', async () => {
    const keys = grid('rec-big');
    const [a, b] = await Promise.all([coordinator(keys), coordinator(keys)]);
    const peak = () => Number(/VmHWM:\s+(\d+) kB/.exec(readFileSync(`/proc/${a.proc.pid}/status`, 'utf8'))![1]) * 1024;
    // Deterministic content, made as it is sent: block k is a random MiB with k written into it.
    const base = randomBytes(MiB);
    const block = (k: number) => {
      const b = Buffer.from(base);
      for (let at = 0; at < MiB; at += 4096) b.writeUInt32LE(k, at);
      return b;
    };
    const total = 256;
    const want = createHash('sha256');
    let k = 0;
    const body = new Readable({
      read() {
        if (k === total) return void this.push(null);
        const b = block(k++);
        want.update(b);
        this.push(b);
      },
    });
    const before = peak();
    const res = await new Promise<{ status: number; text: string }>((resolve, reject) => {
      const req = request(`${a.url}/api/data`, { method: 'POST', headers: { 'content-type': 'application/octet-stream', ...tokenHeaders() } }, (r) => {
        let text = '';
        r.on('data', (d) => (text += d));
        r.on('end', () => resolve({ status: r.statusCode!, text }));
      });
      req.on('error', reject);
      body.pipe(req);
    });
    const grown = peak() - before;
    expect(res.status, res.text).toBe(201);
    const stored = JSON.parse(res.text) as { sha256: string; size: number };
    expect(stored).toEqual({ sha256: want.digest('hex'), size: total * MiB });
    // What it grows by is garbage awaiting V8's next collection (about 45 MiB here, for 256 MiB and for
    // 1 GiB alike), not the upload: the bound is a fraction of the upload that a buffered one would exceed.
    expect(grown, `peak resident memory grew by ${(grown / MiB).toFixed(1)} MiB during a ${total} MiB upload`).toBeLessThan(96 * MiB);
    // A slice across blocks 100 and 101, from the other coordinator.
    const got = await slice(b.url, stored.sha256, 101 * MiB - 5000, 10_000);
    expect(got.body).toEqual(Buffer.concat([block(100).subarray(MiB - 5000), block(101).subarray(0, 5000)]));
  }, 180_000);
});
