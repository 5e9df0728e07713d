/**
 * The SETI@home reference work unit analysed as a user runs it: uploaded to a coordinator process and
 * computed by a real worker process (2 threads), preset setiathome (spikes, Gaussians, pulses, triplets,
 * autocorrelations). Wall time on this machine, and its operations per second against our FFT's own rate
 * measured in the same run: the FFTs of the job would take fftOps / (2 x FFT rate), the rest of the
 * wall time is everything outside the FFTs (de-chirping, the searches, grouping, the grid).
 * Also what each search adds to one trial chirp of a unit (in-process, one thread, with and without it).
 *
 * `npm run bench` analyses the unit at every FFT length but only the trial chirps within +-BUDGET Hz/s
 * (the budget below), so it fits the 10-minute run; IDLEGRID_BENCH_SETI_FULL=1 analyses the whole unit
 * (every chirp to +-50 Hz/s: about 1e13 operations, an hour or more here) as its own section.
 */
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import type { JobDoc } from '../protocol/index.js';
import type { Kernel } from '../workunits/kind.js';
import { Fft } from '../workunits/fftscan/fft.js';
import kernelDefault from '../workunits/fftscan/kernel.js';
import fftscan from '../workunits/fftscan/kind.js';
import { unitBlocks, type BasebandUnit, type DetectorName, type Result, type UnitSpec } from '../workunits/fftscan/params.js';
import { sahSource } from '../workunits/fftscan/sah.js';
import { fixturePath } from '../test/helpers/fixtures.js';
import type { Bench, BenchRow } from './section.js';
import { startCoordinator, type BenchCoordinator } from './lib/coordinator.js';
import { getJob, submitJob } from './lib/jobs.js';
import { CLI, captureOutput, killAll, sleep, spawnNode, stopProcess } from './lib/procs.js';
import { startBenchRedis, type BenchRedis } from './lib/redis.js';
import { printSection } from './lib/report.js';
import { row } from './lib/stats.js';

const kernel = kernelDefault as Kernel<UnitSpec, unknown, Result>;
const THREADS = 2;
const FULL = process.env.IDLEGRID_BENCH_SETI_FULL === '1';
/** Trial chirps analysed by `npm run bench`, Hz/s either side of 0 (every chirp: FULL). */
const BUDGET = { full: 0.4, smoke: 0.01 };

const fftOps = (n: number) => 5 * n * Math.log2(n);

/** Operations of the job that are FFTs: every block at every chirp, and the autocorrelations' DCTs. */
function fftShare(params: unknown): { ops: number; fft: number; units: number } {
  const p = fftscan.params.parse(params);
  const plan = fftscan.plan(p);
  if (!plan.ok) throw new Error(plan.error.message);
  let ops = 0, fft = 0;
  for (let i = 0; i < plan.value.unitsTotal; i++) {
    const u = fftscan.unit(p, plan.value, i) as BasebandUnit;
    ops += fftscan.ops(u);
    fft += u.chirpCount * unitBlocks(u) * fftOps(u.fftLength) * (u.detectors.autocorr ? 2 : 1);
  }
  return { ops, fft, units: plan.value.unitsTotal };
}

/** Our FFT's rate (FLOP/s, one thread) at 2^17, the reference unit's longest length. */
function fftRate(seconds: number): number {
  const p = new Fft(1 << 17);
  for (let i = 0; i < p.n; i++) {
    p.re[i] = Math.sin(i * 0.37);
    p.im[i] = Math.cos(i * 0.11);
  }
  let n = 0;
  const t0 = performance.now();
  while (performance.now() - t0 < seconds * 1000) {
    p.forward();
    n++;
  }
  return (n * fftOps(p.n)) / ((performance.now() - t0) / 1000);
}

async function analyse(coord: BenchCoordinator, bytes: Uint8Array, params: Record<string, unknown>): Promise<{ wallS: number; doc: JobDoc }> {
  const up = await fetch(`${coord.url}/api/data`, {
    method: 'POST', headers: { 'content-type': 'application/octet-stream', authorization: `Bearer ${coord.token}` }, body: Buffer.from(bytes),
  });
  if (up.status !== 201) throw new Error(`upload failed: HTTP ${up.status}`);
  const { sha256 } = (await up.json()) as { sha256: string };
  const job = await submitJob(coord, {
    kind: 'fftscan', name: 'SETI@home reference unit', params: { ...params, source: sahSource(bytes, sha256) },
    // The analysis alone: no audits (the coordinator's verifier would recompute the new worker's first
    // results in full on the same cores; docs/fftscan.md gives the audit's cost).
    policy: { minQuorum: 1, targetResults: 1, adaptive: false, audit: 0, probation: 0 },
  });
  const configDir = mkdtempSync(join(tmpdir(), 'idlegrid-bench-worker-'));
  const worker = spawnNode([], CLI, ['worker', '--coordinator', coord.url, '--threads', String(THREADS), '--config-dir', configDir, '--json', '--suspend-cpu', '0']);
  const output = captureOutput(worker);
  try {
    const deadline = Date.now() + (FULL ? 12 * 3600_000 : 900_000);
    for (;;) {
      const doc = await getJob(coord, job.id);
      if (doc.state === 'done') return { wallS: (Date.parse(doc.finishedAt!) - Date.parse(doc.startedAt!)) / 1000, doc };
      if (doc.state === 'failed' || doc.state === 'cancelled') throw new Error(`job ${doc.state}: ${JSON.stringify(doc.error)}; worker: ${output().slice(-1000)}`);
      if (worker.exitCode !== null) throw new Error(`the worker exited (${worker.exitCode}): ${output().slice(-1500)}`);
      if (Date.now() > deadline) throw new Error(`the analysis did not end in time: ${JSON.stringify(doc.progress)}`);
      await sleep(500);
    }
  } finally {
    await stopProcess(worker, 'SIGKILL');
    rmSync(configDir, { recursive: true, force: true });
  }
}

/**
 * CPU seconds of one trial chirp (position 0) of the plan's unit at `fftLength` with these searches:
 * CPU time, not wall time, so that other processes on the machine weigh less on the figure.
 */
function chirpSeconds(bytes: Uint8Array, fftLength: number, detectors: DetectorName[]): number {
  const p = fftscan.params.parse({ source: sahSource(bytes, '0'.repeat(64)), detectors });
  const plan = fftscan.plan(p);
  if (!plan.ok) throw new Error(plan.error.message);
  let unit: BasebandUnit | undefined;
  for (let i = 0; i < plan.value.unitsTotal && !unit; i++) {
    const u = fftscan.unit(p, plan.value, i) as BasebandUnit;
    if (u.fftLength === fftLength) unit = { ...u, chirpFrom: 0, chirpCount: 1 };
  }
  const s = kernel.init(unit!, bytes);
  const c0 = process.cpuUsage();
  while (!kernel.step(s, 1 << 14));
  const c = process.cpuUsage(c0);
  return (c.user + c.system) / 1e6;
}

const ADDS: Array<{ what: string; fftLength: number; detectors: DetectorName[] }> = [
  { what: 'autocorrelations', fftLength: 131072, detectors: ['autocorr'] },
  { what: 'Gaussians', fftLength: 16384, detectors: ['gaussian'] },
  { what: 'Gaussians', fftLength: 4096, detectors: ['gaussian'] },
  { what: 'triplets', fftLength: 4096, detectors: ['triplet'] },
  { what: 'pulses', fftLength: 4096, detectors: ['pulse'] },
  { what: 'pulses', fftLength: 512, detectors: ['pulse'] },
  { what: 'triplets', fftLength: 64, detectors: ['triplet'] },
  { what: 'pulses', fftLength: 64, detectors: ['pulse'] },
];

const bench: Bench = async (opts) => {
  const reps = opts.smoke ? 1 : Math.max(3, opts.reps);
  const bytes = new Uint8Array(readFileSync(fixturePath('seti_reference_work_unit.sah')));
  const drift = FULL && !opts.smoke ? undefined : opts.smoke ? BUDGET.smoke : BUDGET.full;
  const params: Record<string, unknown> = { preset: 'setiathome', ...(drift !== undefined ? { maxDrift: drift } : {}), ...(opts.smoke ? { fftSizes: [131072] } : {}) };
  const share = fftShare({ source: sahSource(bytes, '0'.repeat(64)), ...params });
  let redis: BenchRedis | undefined;
  let coord: BenchCoordinator | undefined;
  try {
    redis = await startBenchRedis();
    coord = await startCoordinator({ redisUrl: redis.url, prefix: 'bseti' });
    const runs: Array<{ wallS: number; rate: number; detections: number; signals: number }> = [];
    for (let r = 0; r < (FULL && !opts.smoke ? 1 : reps); r++) {
      const before = fftRate(opts.smoke ? 0.2 : 2);
      const { wallS, doc } = await analyse(coord, bytes, params);
      const rate = (before + fftRate(opts.smoke ? 0.2 : 2)) / 2;
      const answer = doc.result as { candidates: unknown[]; detections?: unknown[] };
      runs.push({ wallS, rate, detections: answer.detections?.length ?? 0, signals: answer.candidates.length });
    }
    const rows: BenchRow[] = [
      row({ metric: `wall time, the reference unit (${share.units} units, ${(share.ops / 1e12).toFixed(2)}e12 operations) on ${THREADS} worker threads`, unit: 's', ours: runs.map((x) => x.wallS) }),
      row({
        metric: 'operations per second of the whole analysis', unit: 'Gop/s',
        ours: runs.map((x) => share.ops / x.wallS / 1e9),
        ref: { name: `our FFT at 2^17 on ${THREADS} threads, measured around each run`, values: runs.map((x) => (THREADS * x.rate) / 1e9) },
      }),
      row({
        metric: 'share of the wall time outside FFTs (1 - FFT operations / (FFT rate x threads) / wall time)', unit: '%',
        ours: runs.map((x) => 100 * (1 - share.fft / (THREADS * x.rate) / x.wallS)),
      }),
    ];
    for (const a of ADDS) {
      if (opts.smoke && a.fftLength !== 131072) continue;
      const base: number[] = [], withIt: number[] = [];
      for (let r = 0; r < reps; r++) {
        base.push(chirpSeconds(bytes, a.fftLength, ['spike']));
        withIt.push(chirpSeconds(bytes, a.fftLength, ['spike', ...a.detectors]));
      }
      rows.push(row({
        metric: `one trial chirp at FFT ${a.fftLength} with ${a.what}`, unit: 'CPU s',
        ours: withIt, ref: { name: 'the same chirp, spikes only (de-chirp, FFTs, spike search)', values: base },
      }));
    }
    const notes = [
      `A coordinator process and \`idlegrid worker --threads ${THREADS} --suspend-cpu 0\` on this machine, minQuorum 1 (one host computes each unit). `
        + (drift === undefined ? 'The whole unit: every trial chirp of every FFT length 8 .. 131072 (+-50 Hz/s up to 32768, +-20 above), all five searches.'
          : `${opts.smoke ? 'FFT length 131072 only' : 'Every FFT length 8 .. 131072'}, the trial chirps within +-${drift} Hz/s (the whole unit is +-50 / +-20 Hz/s: IDLEGRID_BENCH_SETI_FULL=1), all five searches.`),
      `Operations are the kind's own count (docs/fftscan.md): 5 N log2 N per FFT, and for the searches SETI@home's operation counts; ${(share.fft / 1e12).toFixed(2)}e12 of the ${(share.ops / 1e12).toFixed(2)}e12 are FFTs. Detections reported: ${runs[0].detections}, grouped into ${runs[0].signals} signals.`,
      'The per-search rows run one trial chirp of the plan\'s unit in this process (CPU seconds of one thread; decoding and baseline smoothing not counted), with and without that search: the ratio is what it adds to the chirp. Pulses run on every other trial chirp, triplets on every one (lengths 8 .. 4096), Gaussians on every one up to 16384, autocorrelations at 131072.',
      'The machine is shared; what the other load leaves changes from second to second (the spread).',
    ];
    return {
      id: FULL && !opts.smoke ? 'seti-reference-full' : 'seti-reference',
      title: FULL && !opts.smoke ? 'The SETI@home reference unit, whole, through coordinator and worker' : 'The SETI@home reference unit through coordinator and worker (chirps within a budget)',
      command: FULL ? 'IDLEGRID_BENCH_SETI_FULL=1 npm run bench -- --only seti-reference' : 'npm run bench -- --only seti-reference',
      rows,
      notes,
    };
  } finally {
    await coord?.stop().catch(() => {});
    await redis?.stop().catch(() => {});
    killAll();
  }
};

export default bench;

if (process.argv[1] === fileURLToPath(import.meta.url)) {
  printSection(await bench({ smoke: process.argv.includes('--smoke'), reps: 3 }));
}
