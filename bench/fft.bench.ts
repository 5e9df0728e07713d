/**
 * Our WebAssembly SIMD FFT against fft.js (the usual JavaScript FFT) and FFTW (single thread, single
 * precision, bench/ref/fftw_ref.c built here with -lfftw3f), complex forward transforms at
 * N = 2^10, 2^14, 2^17, 2^20. MFLOPS = 5 N log2 N / time (DOMAIN.md's convention).
 * Goals: >= 2x fft.js at every size; >= 1/4 of FFTW at 2^14.
 */
import { execFileSync } from 'node:child_process';
import { existsSync, mkdirSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import FFTJS from 'fft.js';
import { Fft } from '../workunits/fftscan/fft.js';
import { median, spread, type Bench, type BenchRow } from './section.js';

const here = dirname(fileURLToPath(import.meta.url));
const mflops = (n: number, seconds: number): number => (5 * n * Math.log2(n)) / seconds / 1e6;

/** Seconds per call of `fn`, timed over batches of about `batchS` seconds; one figure per rep. */
function timeIt(fn: () => void, reps: number, batchS: number): number[] {
  let inner = 1;
  for (;;) {
    const t0 = performance.now();
    for (let i = 0; i < inner; i++) fn();
    if ((performance.now() - t0) / 1000 > batchS / 4 || inner > 1 << 24) break;
    inner *= 2;
  }
  inner = Math.max(1, inner * 4);
  const out: number[] = [];
  for (let r = 0; r < reps; r++) {
    const t0 = performance.now();
    for (let i = 0; i < inner; i++) fn();
    out.push((performance.now() - t0) / 1000 / inner);
  }
  return out;
}

function ours(n: number, reps: number, batchS: number): number[] {
  const p = new Fft(n);
  const fill = () => {
    for (let i = 0; i < n; i++) {
      p.re[i] = Math.sin(i * 0.37);
      p.im[i] = Math.cos(i * 0.11);
    }
  };
  fill();
  // Stockham passes overwrite the input; the data stays finite and typical, so timings are fair.
  return timeIt(() => p.forward(), reps, batchS).map((s) => mflops(n, s));
}

function fftjs(n: number, reps: number, batchS: number): number[] {
  const f = new FFTJS(n);
  const input = f.createComplexArray();
  const out = f.createComplexArray();
  for (let i = 0; i < 2 * n; i++) input[i] = Math.sin(i * 0.37);
  return timeIt(() => f.transform(out, input), reps, batchS).map((s) => mflops(n, s));
}

/** Builds the FFTW harness into bench/ref/build (gitignored); null with a reason when it cannot. */
function fftwBinary(): { path: string } | { error: string } {
  const src = join(here, 'ref', 'fftw_ref.c');
  const out = join(here, 'ref', 'build', 'fftw_ref');
  if (!existsSync('/usr/include/fftw3.h')) return { error: 'FFTW headers missing (apt-get install libfftw3-dev)' };
  try {
    mkdirSync(dirname(out), { recursive: true });
    execFileSync('cc', ['-O2', '-o', out, src, '-lfftw3f'], { stdio: 'pipe' });
    return { path: out };
  } catch (e) {
    return { error: `could not build fftw_ref: ${(e as Error).message.split('\n')[0]}` };
  }
}

function fftw(bin: string, n: number, reps: number): number[] {
  const line = execFileSync(bin, [String(Math.log2(n)), String(reps)], { encoding: 'utf8' });
  const m = /ns_per_fft=([\d.]+) min=([\d.]+) max=([\d.]+)/.exec(line);
  if (!m) throw new Error(`unexpected fftw_ref output: ${line}`);
  return [Number(m[1]), Number(m[2]), Number(m[3])].map((ns) => mflops(n, ns / 1e9));
}

const bench: Bench = async (opts) => {
  const sizes = opts.smoke ? [1 << 10] : [1 << 10, 1 << 14, 1 << 17, 1 << 20];
  const reps = opts.smoke ? 1 : Math.max(3, opts.reps);
  const batchS = opts.smoke ? 0.02 : 0.2;
  const ref = opts.smoke ? { error: 'not run in smoke mode' } : fftwBinary();
  const rows: BenchRow[] = [];
  const notes: string[] = [];
  for (const n of sizes) {
    const lg = Math.log2(n);
    const a = ours(n, reps, batchS), b = fftjs(n, reps, batchS);
    const us = median(a), js = median(b);
    rows.push({
      metric: `complex FFT 2^${lg}, MFLOPS, vs fft.js`, value: us, unit: 'MFLOPS', spread: spread(a),
      reference: { name: 'fft.js 4', value: js }, ratio: us / js, goal: '>= 2x fft.js', met: us >= 2 * js,
    });
    if ('path' in ref) {
      const w = median(fftw(ref.path, n, reps));
      const goal = n === 1 << 14 ? { goal: '>= 0.25x FFTW', met: us >= 0.25 * w } : {};
      rows.push({
        metric: `complex FFT 2^${lg}, MFLOPS, vs FFTW`, value: us, unit: 'MFLOPS', spread: spread(a),
        reference: { name: 'FFTW 3 (fftwf, 1 thread, MEASURE)', value: w }, ratio: us / w, ...goal,
      });
    }
  }
  if ('error' in ref) notes.push(`FFTW reference: ${ref.error}`);
  notes.push('Ours: WebAssembly SIMD (128-bit), split re/im, Stockham radix-4, deterministic f32; fft.js: double, interleaved.');
  return {
    id: 'fft',
    title: 'FFT: WebAssembly SIMD vs fft.js vs FFTW',
    command: 'npx tsx bench/fft.bench.ts',
    rows,
    notes,
  };
};

export default bench;

// Run directly: print the table.
if (process.argv[1] && fileURLToPath(import.meta.url) === process.argv[1]) {
  const smoke = process.argv.includes('--smoke');
  const section = await bench({ smoke, reps: 5 });
  for (const r of section.rows) {
    console.log(`${r.metric.padEnd(40)} ${r.value.toFixed(0).padStart(8)} ${r.reference ? `${r.reference.name}: ${r.reference.value.toFixed(0)}` : ''} ratio ${r.ratio?.toFixed(2)} ${r.goal ?? ''} ${r.met === undefined ? '' : r.met ? 'met' : 'NOT met'}`);
  }
  for (const n of section.notes ?? []) console.log(`note: ${n}`);
}
