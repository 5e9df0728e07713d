/**
 * Recordings in the shared store: a slice served by a coordinator that did not receive the upload,
 * against the one that did (both coordinator processes on one Redis). With the bytes in Redis neither
 * has them locally, so the two should be alike: that is the claim measured. Also, for scale, the same
 * through the file store (--data-dir on this machine's disk), and upload rates of both stores.
 * Slices are 1 MiB (a unit's input is of that order) at random offsets, read as the admin.
 */
import { randomBytes } from 'node:crypto';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import type { Bench, BenchRow } from './section.js';
import { startCoordinator, type BenchCoordinator } from './lib/coordinator.js';
import { killAll } from './lib/procs.js';
import { startBenchRedis, type BenchRedis } from './lib/redis.js';
import { printSection } from './lib/report.js';
import { fmt, percentile, row } from './lib/stats.js';

const MiB = 1 << 20;
export const SIZES = {
  full: { recordingMiB: 64, latencyReads: 60, throughputReads: 192, concurrency: 8 },
  smoke: { recordingMiB: 4, latencyReads: 5, throughputReads: 8, concurrency: 2 },
};
const SLICE = MiB;

async function upload(c: BenchCoordinator, data: Buffer): Promise<{ sha256: string; seconds: number }> {
  const t0 = performance.now();
  const res = await fetch(`${c.url}/api/data`, { method: 'POST', headers: { 'content-type': 'application/octet-stream', authorization: `Bearer ${c.token}` }, body: new Uint8Array(data) });
  const text = await res.text();
  if (res.status !== 201) throw new Error(`upload failed: HTTP ${res.status}: ${text.slice(0, 300)}`);
  return { sha256: (JSON.parse(text) as { sha256: string }).sha256, seconds: (performance.now() - t0) / 1000 };
}

async function read(c: BenchCoordinator, sha256: string, offset: number): Promise<number> {
  const res = await fetch(`${c.url}/api/data/${sha256}?offset=${offset}&length=${SLICE}`, { headers: { authorization: `Bearer ${c.token}` } });
  const n = (await res.arrayBuffer()).byteLength;
  if (res.status !== 200 || n !== SLICE) throw new Error(`slice at ${offset}: HTTP ${res.status}, ${n} bytes`);
  return n;
}

const offsets = (n: number, size: number) => Array.from({ length: n }, () => Math.floor(Math.random() * (size - SLICE)));

type Source = [BenchCoordinator, string];

/**
 * Median latency of one slice at a time, in ms, for each source: slice by slice in turn (the same
 * offset from each, the order rotating), so that the machine's load at any moment falls on all alike.
 * Blocks of one source after another put whatever the upload left running (hashing, garbage
 * collection) on the first block only: between two coordinators that read the same store alike, that
 * gave ratios of 1.08 to 1.37 (latency and throughput) in runs here.
 */
async function latencies(sources: Source[], size: number, n: number): Promise<number[]> {
  const ms: number[][] = sources.map(() => []);
  for (const [i, off] of offsets(n, size).entries()) {
    for (let k = 0; k < sources.length; k++) {
      const s = (i + k) % sources.length;
      const [c, sha256] = sources[s];
      const t0 = performance.now();
      await read(c, sha256, off);
      ms[s].push(performance.now() - t0);
    }
  }
  return ms.map((v) => percentile(v, 50));
}

/** MB/s with `concurrency` slices in flight. */
async function throughput(c: BenchCoordinator, sha256: string, size: number, n: number, concurrency: number): Promise<number> {
  const todo = offsets(n, size);
  const t0 = performance.now();
  let bytes = 0;
  await Promise.all(Array.from({ length: concurrency }, async () => {
    for (let off = todo.pop(); off !== undefined; off = todo.pop()) {
      const n = await read(c, sha256, off);
      bytes += n;
    }
  }));
  return bytes / 1e6 / ((performance.now() - t0) / 1000);
}

const bench: Bench = async (opts) => {
  const size = opts.smoke ? SIZES.smoke : SIZES.full;
  const reps = opts.smoke ? 1 : Math.max(3, opts.reps);
  const dataDir = mkdtempSync(join(tmpdir(), 'idlegrid-bench-files-'));
  let redis: BenchRedis | undefined;
  const coords: BenchCoordinator[] = [];
  try {
    redis = await startBenchRedis();
    const [uploader, other, files] = await Promise.all([
      startCoordinator({ redisUrl: redis.url, prefix: 'brec' }),
      startCoordinator({ redisUrl: redis.url, prefix: 'brec' }),
      startCoordinator({ redisUrl: redis.url, prefix: 'brecf', args: ['--data-dir', dataDir] }),
    ]);
    coords.push(uploader, other, files);
    const bytes = size.recordingMiB * MiB;
    const m = { lat: { other: [] as number[], uploader: [] as number[], files: [] as number[] }, tp: { other: [] as number[], uploader: [] as number[], files: [] as number[] }, up: { redis: [] as number[], files: [] as number[] } };
    for (let r = 0; r < reps; r++) {
      // A fresh recording per repetition, so no repetition reads what an earlier one left in a cache.
      const data = randomBytes(bytes);
      const inRedis = await upload(uploader, data);
      const inFiles = await upload(files, data);
      m.up.redis.push(bytes / 1e6 / inRedis.seconds);
      m.up.files.push(bytes / 1e6 / inFiles.seconds);
      // Interleaved, so drift in the machine's load falls on each alike.
      const [lo, lu, lf] = await latencies([[other, inRedis.sha256], [uploader, inRedis.sha256], [files, inFiles.sha256]], bytes, size.latencyReads);
      m.lat.other.push(lo);
      m.lat.uploader.push(lu);
      m.lat.files.push(lf);
      // Throughput runs take turns, the first place rotating with the repetition.
      const runs: Array<[BenchCoordinator, string, number[]]> = [[other, inRedis.sha256, m.tp.other], [uploader, inRedis.sha256, m.tp.uploader], [files, inFiles.sha256, m.tp.files]];
      for (let k = 0; k < runs.length; k++) {
        const [c, sha256, into] = runs[(r + k) % runs.length];
        into.push(await throughput(c, sha256, bytes, size.throughputReads, size.concurrency));
      }
    }
    const rows: BenchRow[] = [
      row({
        metric: '1 MiB slice latency (median), from a coordinator that did not receive the upload', unit: 'ms', ours: m.lat.other,
        ref: { name: 'the coordinator that received it', values: m.lat.uploader },
        goal: 'alike (ratio 0.8-1.25)', met: (_v, ratio) => ratio !== null && ratio >= 0.8 && ratio <= 1.25,
      }),
      row({
        metric: `slice throughput, ${size.concurrency} slices in flight, from a coordinator that did not receive the upload`, unit: 'MB/s', ours: m.tp.other,
        ref: { name: 'the coordinator that received it', values: m.tp.uploader },
        goal: 'alike (ratio 0.8-1.25)', met: (_v, ratio) => ratio !== null && ratio >= 0.8 && ratio <= 1.25,
      }),
      row({ metric: '1 MiB slice latency (median), Redis store', unit: 'ms', ours: m.lat.other, ref: { name: 'file store on local disk (--data-dir)', values: m.lat.files } }),
      row({ metric: `slice throughput, ${size.concurrency} in flight, Redis store`, unit: 'MB/s', ours: m.tp.other, ref: { name: 'file store on local disk (--data-dir)', values: m.tp.files } }),
      row({ metric: `upload of ${size.recordingMiB} MiB, Redis store`, unit: 'MB/s', ours: m.up.redis, ref: { name: 'file store on local disk (--data-dir)', values: m.up.files } }),
    ];
    return {
      id: 'recordings',
      title: 'Recordings: slices from any coordinator',
      command: 'npm run bench -- --only recordings',
      rows,
      notes: [
        `Two coordinator processes on one Redis (the default store: 1 MiB chunks in Redis) and a third with --data-dir on this machine's disk; a fresh random ${size.recordingMiB} MiB recording per repetition, uploaded through the first (and the third). Slices of 1 MiB at random offsets, read as the admin over HTTP from this process: ${size.latencyReads} one at a time for latency, ${size.throughputReads} with ${size.concurrency} in flight for throughput. ${reps} repetitions; latency reads take turns slice by slice, throughput runs take turns with the first place rotating.`,
        `Upload rates include hashing (sha256) on the way; the Redis store's also the chunk writes (a script per MiB that checks the upload is still live). Median upload: Redis ${fmt(m.up.redis.sort((a, b) => a - b)[Math.floor(reps / 2)], 0)} MB/s.`,
        'Every process (Redis, three coordinators, this client) shares the same cores, so absolute rates say little; the ratio between two coordinators of one store is what the section is for.',
      ],
    };
  } finally {
    await Promise.all(coords.map((c) => c.stop().catch(() => {})));
    await redis?.stop().catch(() => {});
    rmSync(dataDir, { recursive: true, force: true });
    killAll();
  }
};

export default bench;

if (process.argv[1] === fileURLToPath(import.meta.url)) {
  printSection(await bench({ smoke: process.argv.includes('--smoke'), reps: 3 }));
}
