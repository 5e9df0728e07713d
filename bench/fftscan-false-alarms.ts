/**
 * Verification: how often does noise alone make a candidate? Seeded noise-only recordings (the
 * synthetic source, complex Gaussian noise) are scanned through plan -> unit -> kernel -> assemble at
 * several thresholds; the script counts detections and candidates (grouped signals) per 10^9 bin
 * trials (one bin of one spectrum at one trial chirp) and per hour of recording, beside e^-T, the
 * probability that an exponentially distributed power exceeds T times its mean. It writes the table into
 * docs/fftscan.md between the `false-alarms` markers.
 *
 *   npx tsx bench/fftscan-false-alarms.ts            (2^27 samples a row: about an hour of one core)
 *   npx tsx bench/fftscan-false-alarms.ts --quick    (2^22 samples; prints, writes nothing)
 *   npx tsx bench/fftscan-false-alarms.ts --only issue --thresholds 14,16 --log2 26
 *
 * Rows are kept in bench/ref/build/false-alarms.json (by search and threshold) and the table is written
 * from all of them, so a row can be measured again, or added, without running the others.
 */
import { existsSync, mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import type { Kernel } from '../workunits/kind.js';
import kernelDefault from '../workunits/fftscan/kernel.js';
import fftscan from '../workunits/fftscan/kind.js';
import type { BasebandUnit, Result, UnitSpec } from '../workunits/fftscan/params.js';

const DOC = fileURLToPath(new URL('../docs/fftscan.md', import.meta.url));
const ROWS = fileURLToPath(new URL('./ref/build/false-alarms.json', import.meta.url));
const kernel = kernelDefault as Kernel<UnitSpec, unknown, Result>;
const quick = process.argv.includes('--quick');
const argOf = (name: string) => {
  const i = process.argv.indexOf(`--${name}`);
  return i < 0 ? undefined : process.argv[i + 1];
};

interface Setup {
  id: string;
  name: string;
  params: Record<string, unknown>;
}

const FS = 65_536;
const SAMPLES = 2 ** Number(argOf('log2') ?? (quick ? 22 : 27));
const source = (seed: number) => ({ format: 'synthetic', seed, sampleRateHz: FS, centreFrequencyHz: 1e9, sampleCount: SAMPLES, signals: [] });
const SETUPS: Setup[] = [
  { id: 'default', name: 'default preset (FFT 1024 and 16384, drift ±1 Hz/s)', params: {} },
  { id: 'issue', name: 'issue 15 case (FFT 65536, drift ±4 Hz/s: 17 trial chirps)', params: { fftSize: 65536, maxDrift: 4 } },
].filter((x) => !argOf('only') || argOf('only') === x.id);
const THRESHOLDS = (argOf('thresholds') ?? '12,14,16,18,20').split(',').map(Number);

function run(setup: Setup, threshold: number, seed: number) {
  const p = fftscan.params.parse({ source: source(seed), threshold, ...setup.params });
  const plan = fftscan.plan(p);
  if (!plan.ok) throw new Error(plan.error.message);
  const results = [];
  let trials = 0;
  for (let i = 0; i < plan.value.unitsTotal; i++) {
    const u = fftscan.unit(p, plan.value, i) as BasebandUnit;
    const s = kernel.init(u, undefined);
    while (!kernel.step(s, 1 << 12));
    const r = kernel.result(s);
    trials += r.work * (u.fftLength - 1);
    results.push({ index: i, result: r });
  }
  const a = fftscan.assemble(p, plan.value, results, []);
  return { trials, detections: a.detectionsFound, candidates: a.candidates.length + a.dropped };
}

interface Row {
  search: string;
  threshold: number;
  samples: number;
  trials: number;
  detections: number;
  candidates: number;
}

const kept: Row[] = !quick && existsSync(ROWS) ? (JSON.parse(readFileSync(ROWS, 'utf8')) as Row[]) : [];
for (const setup of SETUPS) {
  for (const t of THRESHOLDS) {
    const t0 = performance.now();
    const r = run(setup, t, 1000 + t);
    const fresh: Row = { search: setup.name, threshold: t, samples: SAMPLES, ...r };
    const at = kept.findIndex((x) => x.search === fresh.search && x.threshold === t);
    if (at >= 0) kept[at] = fresh;
    else kept.push(fresh);
    console.error(`${setup.name} T=${t}: ${r.detections} detections, ${r.candidates} candidates in ${r.trials.toExponential(2)} trials (${((performance.now() - t0) / 1000).toFixed(0)} s)`);
    if (!quick) {
      mkdirSync(fileURLToPath(new URL('./ref/build/', import.meta.url)), { recursive: true });
      writeFileSync(ROWS, JSON.stringify(kept, null, 1));
    }
  }
}
const per = (n: number, r: Row) => ((n / r.trials) * 1e9).toPrecision(3);
const rows = kept.map((r) => `| ${r.search} | ${r.threshold} | ${(r.samples / FS).toFixed(0)} s | ${r.trials.toExponential(2)} | ${r.detections} | ${r.candidates} | `
  + `${per(r.detections, r)} | ${per(r.candidates, r)} | ${(Math.exp(-r.threshold) * 1e9).toPrecision(3)} | ${(r.candidates / (r.samples / FS / 3600)).toPrecision(3)} |`);
const text = [
  `Noise only: complex Gaussian noise at ${FS.toLocaleString('en-US')} samples/s, a new seed per row.`,
  '',
  '| search | threshold T | recording | bin trials | detections | candidates | detections per 1e9 trials | candidates per 1e9 trials | e^-T per 1e9 | candidates per hour |',
  '|---|---|---|---|---|---|---|---|---|---|',
  ...rows,
].join('\n');
console.log(text);
const BEGIN = '<!-- false-alarms:begin -->', END = '<!-- false-alarms:end -->';
if (!quick) {
  const doc = readFileSync(DOC, 'utf8');
  const a = doc.indexOf(BEGIN), b = doc.indexOf(END);
  if (a >= 0 && b > a) writeFileSync(DOC, `${doc.slice(0, a + BEGIN.length)}\n${text}\n${doc.slice(b)}`);
  else console.error(`${DOC} has no ${BEGIN} ... ${END} section; not written`);
}
