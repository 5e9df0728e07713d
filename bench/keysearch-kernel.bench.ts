/**
 * RC5-32/12/9 (RC5-72) key search, keys per second on one thread: our kernel (generated WebAssembly,
 * in-process) against our scalar C reference (bench/ref/rc5_ref.c) built with gcc -O3 and with
 * -O3 -march=native, and, for the ceiling, the same C computing 32 keys side by side, which gcc
 * -march=native turns into native SIMD (on x86-64, AVX2's per-lane shifts, which WebAssembly lacks).
 * Every program searches the same range and must report the same digest.
 * Goal (benchmark issue): >= scalar C per thread, then as close to -march=native as wasm SIMD allows.
 */
import { execFileSync } from 'node:child_process';
import { mkdirSync, statSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import kernel, { type Engine } from '../workunits/keysearch/kernel.js';
import type { UnitSpec } from '../workunits/keysearch/params.js';
import { median, spread, type Bench, type BenchRow } from './section.js';

const here = dirname(fileURLToPath(import.meta.url));
const START = 'c90c0353c0d4e10000'; // the first distributed.net self-test key lies in this range
const unit = (count: number): UnitSpec => ({
  b: 9,
  rounds: 12,
  iv: '07ce591f86149a41',
  plaintext: '54686520756e6b6e',
  targets: ['5a282d562a85b72f'],
  start: START,
  count,
});

/** Keys per second of our kernel over `count` keys from START, and the digest it reports. */
function ours(engine: Engine, count: number): { rate: number; digest: string } {
  const s = kernel.initWith(unit(count), undefined, undefined, engine);
  const t0 = performance.now();
  while (!kernel.step(s, kernel.initialBudget));
  return { rate: count / ((performance.now() - t0) / 1000), digest: kernel.result(s).digest };
}

const C_BUILDS = [
  { name: 'C scalar, gcc -O3', file: 'rc5_ref', flags: ['-O3'] },
  { name: 'C scalar, gcc -O3 -march=native', file: 'rc5_ref_native', flags: ['-O3', '-march=native'] },
  {
    name: 'C 32 keys side by side, gcc -O3 -march=native (auto-vectorised)',
    file: 'rc5_ref_native32',
    flags: ['-O3', '-march=native', '-DLANES=32'],
  },
];

/** Builds one C reference into bench/ref/build (gitignored), unless it is newer than its source. */
function build(file: string, flags: string[]): string {
  const src = join(here, 'ref', 'rc5_ref.c');
  const out = join(here, 'ref', 'build', file);
  mkdirSync(dirname(out), { recursive: true });
  const fresh = (() => {
    try {
      return statSync(out).mtimeMs > statSync(src).mtimeMs;
    } catch {
      return false;
    }
  })();
  if (!fresh) execFileSync('gcc', [...flags, '-o', out, src], { stdio: 'pipe' });
  return out;
}

function c(bin: string, count: number): { rate: number; digest: string } {
  const r = JSON.parse(execFileSync(bin, [START, String(count)], { encoding: 'utf8' }));
  return { rate: r.keysPerSecond, digest: r.digest };
}

const bench: Bench = async (opts) => {
  const reps = opts.smoke ? 1 : Math.max(3, opts.reps);
  // Sizes: about a second per measurement on a ~4 GHz x86-64 core.
  const n = opts.smoke ? { ours: 1 << 15, c: 1 << 14 } : { ours: 1 << 25, c: 1 << 23 };
  const notes: string[] = [];
  for (const e of ['simd', 'scalar'] as const) ours(e, opts.smoke ? 1 << 12 : 1 << 18); // compile, tier up
  const refs = C_BUILDS.flatMap((b) => {
    try {
      return [{ ...b, bin: build(b.file, b.flags), count: b.flags.includes('-DLANES=32') ? n.ours : n.c }];
    } catch (e) {
      notes.push(`${b.name}: not measured (${(e as Error).message.split('\n')[0]})`);
      return [];
    }
  });
  // Each repetition measures everything once, so a busy machine slows all of them alike.
  const simd: number[] = [];
  const scalar: number[] = [];
  const cRates = refs.map(() => [] as number[]);
  const digests = new Map<number, string>();
  for (let r = 0; r < reps; r++) {
    const o = ours('simd', n.ours);
    simd.push(o.rate);
    digests.set(n.ours, o.digest);
    scalar.push(ours('scalar', opts.smoke ? n.ours : n.ours / 2).rate);
    refs.forEach((ref, i) => {
      const m = c(ref.bin, ref.count);
      const want = digests.get(ref.count) ?? digests.set(ref.count, ours('simd', ref.count).digest).get(ref.count);
      if (m.digest !== want) throw new Error(`${ref.name}: digest ${m.digest} differs from the kernel's ${want}`);
      cRates[i].push(m.rate);
    });
  }
  const ourRate = median(simd);
  const rows: BenchRow[] = refs.map((ref, i) => ({
    metric: 'rc5-32/12/9 keys/s per thread, wasm SIMD kernel',
    value: ourRate,
    unit: 'keys/s',
    spread: spread(simd),
    reference: { name: ref.name, value: median(cRates[i]) },
    ratio: ourRate / median(cRates[i]),
    ...(ref.flags.includes('-DLANES=32')
      ? { goal: 'ceiling: native SIMD, no fixed bar' }
      : { goal: '>= 1x', met: ourRate >= median(cRates[i]) }),
  }));
  const cScalar = refs.findIndex((r) => r.file === 'rc5_ref');
  const scalarRate = median(scalar);
  rows.push({
    metric: 'rc5-32/12/9 keys/s per thread, wasm scalar fallback',
    value: scalarRate,
    unit: 'keys/s',
    spread: spread(scalar),
    reference: cScalar < 0 ? null : { name: refs[cScalar].name, value: median(cRates[cScalar]) },
    ratio: cScalar < 0 ? null : scalarRate / median(cRates[cScalar]),
  });
  notes.push(
    'Kernel: 6 SIMD vectors (24 keys) and 8 scalar keys interleaved per batch; rotations by a variable amount ' +
      'are 64-bit multiplies by 2^s (docs/keysearch.md). C reference: one key at a time, as plain as it gets.',
    `Every program searched from ${START} and reported the same digest.`,
  );
  return {
    id: 'keysearch-kernel',
    title: 'Key search: RC5-72 keys/s per thread, WebAssembly vs C',
    command:
      'npx tsx --input-type=module -e "import b from \'./bench/keysearch-kernel.bench.ts\'; console.log(JSON.stringify(await b({smoke:false,reps:3}),null,1))"',
    rows,
    notes,
  };
};

export default bench;

// Run directly (npx tsx bench/keysearch-kernel.bench.ts [--smoke]): print the table.
if (process.argv[1] && fileURLToPath(import.meta.url) === process.argv[1]) {
  const section = await bench({ smoke: process.argv.includes('--smoke'), reps: 5 });
  for (const r of section.rows) {
    const ref = r.reference ? `${(r.reference.value / 1e6).toFixed(2)} M  ${r.reference.name}` : '';
    console.log(`${r.metric.padEnd(52)} ${(r.value / 1e6).toFixed(2).padStart(7)} M  x${r.ratio?.toFixed(2)} vs ${ref}`);
  }
  for (const n of section.notes ?? []) console.log(`note: ${n}`);
}
