/**
 * Verification: the full SETI@home analysis (preset `setiathome`: spikes, Gaussians, pulses, triplets,
 * autocorrelations) of the reference work unit, compared with the official v8 client's result
 * (reference_result_unit.sah; presets.ts). Runs the job's own units through the kernel volunteers run,
 * in parts that can run in parallel processes, each writing its units' results to a JSON file;
 * `--report` assembles them into the job's answer (fftscan.assemble, as the coordinator does), prints
 * the official detections beside ours and writes the table into docs/fftscan.md.
 *
 *   npx tsx bench/seti-reference.ts --part 0/2 --out bench/ref/build/seti-0.json   (about an hour each
 *   npx tsx bench/seti-reference.ts --part 1/2 --out bench/ref/build/seti-1.json    on an idle core)
 *   npx tsx bench/seti-reference.ts --report bench/ref/build/seti-*.json
 *
 * `--lengths 8-512,131072` limits a part to some FFT lengths (a partial check; the report then says
 * which units are missing and compares only what ran). A part rewrites its file after every unit and,
 * started again with the same file, goes on where it stopped.
 */
import { createHash } from 'node:crypto';
import { existsSync, readFileSync, writeFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import type { Kernel } from '../workunits/kind.js';
import kernelDefault from '../workunits/fftscan/kernel.js';
import fftscan from '../workunits/fftscan/kind.js';
import { tolerances, type BasebandUnit, type Result, type UnitSpec } from '../workunits/fftscan/params.js';
import { SETIATHOME_REFERENCE_RESULT } from '../workunits/fftscan/presets.js';
import { compareWithOfficial, matches, OFFICIAL_BEST_PULSE, OFFICIAL_DETECTIONS, type Geometry, type OfficialDetection } from '../workunits/fftscan/reference.js';
import { sahSource } from '../workunits/fftscan/sah.js';
import type { Detection } from '../workunits/fftscan/types.js';
import { fixturePath } from '../test/helpers/fixtures.js';

const DOC = fileURLToPath(new URL('../docs/fftscan.md', import.meta.url));
const kernel = kernelDefault as Kernel<UnitSpec, unknown, Result>;

interface UnitRun {
  index: number;
  fftLength: number;
  result: Result;
  seconds: number;
  ops: number;
}

interface Part {
  part: string;
  units: UnitRun[];
  seconds: number;
}

function arg(name: string): string | undefined {
  const i = process.argv.indexOf(`--${name}`);
  return i < 0 ? undefined : process.argv[i + 1];
}

function parseLengths(s: string | undefined): number[] | null {
  if (!s) return null;
  return s.split(',').flatMap((part) => {
    const [a, b] = part.split('-').map(Number);
    const out: number[] = [];
    for (let l = a; l <= (b ?? a); l *= 2) out.push(l);
    return out;
  });
}

/** The job as a user submits it, and its plan. */
export function referenceJob() {
  const bytes = new Uint8Array(readFileSync(fixturePath('seti_reference_work_unit.sah')));
  const sha = createHash('sha256').update(bytes).digest('hex');
  const p = fftscan.params.parse({ source: sahSource(bytes, sha), preset: 'setiathome' });
  const plan = fftscan.plan(p);
  if (!plan.ok) throw new Error(plan.error.message);
  return { bytes, p, plan: plan.value };
}

/** Runs the part's units; the file at `out` is rewritten after each, and units already in it are kept. */
function runPart(k: number, n: number, lengths: number[] | null, out: string | undefined): Part {
  const { bytes, p, plan } = referenceJob();
  const t0 = performance.now();
  const units: UnitRun[] = out && existsSync(out) ? (JSON.parse(readFileSync(out, 'utf8')) as Part).units : [];
  const mine = Array.from({ length: plan.unitsTotal }, (_, i) => i).filter((i) => i % n === k)
    .filter((i) => !lengths || lengths.includes((fftscan.unit(p, plan, i) as BasebandUnit).fftLength))
    .filter((i) => !units.some((u) => u.index === i));
  for (const [n, index] of mine.entries()) {
    const u = fftscan.unit(p, plan, index) as BasebandUnit;
    const t = performance.now();
    const s = kernel.init(u, bytes);
    while (!kernel.step(s, 1 << 12));
    const run = { index, fftLength: u.fftLength, result: kernel.result(s), seconds: (performance.now() - t) / 1000, ops: fftscan.ops(u) };
    units.push(run);
    console.error(`unit ${index} (${n + 1} of ${mine.length} to run): FFT ${u.fftLength}, ${u.chirpCount} chirps, ${run.result.detections.length} detections, ${run.seconds.toFixed(0)} s`);
    if (out) writeFileSync(out, JSON.stringify({ part: `${k}/${n}`, units, seconds: (performance.now() - t0) / 1000 }));
  }
  return { part: `${k}/${n}`, units, seconds: (performance.now() - t0) / 1000 };
}

const num = (v: number | undefined, digits = 4) => (v === undefined ? '' : v.toFixed(digits));

function row(o: OfficialDetection | undefined, d: Detection | undefined, note: string): string {
  const extra = (x: { periodS?: number; delayS?: number } | undefined) => (x?.periodS !== undefined ? `period ${num(x.periodS)} s` : x?.delayS !== undefined ? `delay ${num(x.delayS)} s` : '');
  const side = (x: (OfficialDetection | Detection) | undefined) => (x
    ? `${num((x as Detection).power ?? (x as Detection).snr)} | ${num(x.frequencyHz)} | ${num(x.driftHzPerS)} | ${x.fftLength} | ${extra(x)}`
    : ' | | | | ');
  const type = (o ?? d)!.type;
  const diff = o && d ? `${((((d.power ?? d.snr) - o.power) / o.power) * 100).toFixed(3)}%` : note;
  return `| ${type} | ${side(o)} | ${side(d)} | ${diff} |`;
}

function report(parts: Part[]): string {
  const { p, plan } = referenceJob();
  const byIndex = new Map<number, UnitRun>();
  for (const part of parts) for (const u of part.units) byIndex.set(u.index, u);
  const runs = [...byIndex.values()].sort((a, b) => a.index - b.index);
  const missing = plan.unitsTotal - runs.length;
  const answer = fftscan.assemble(p, plan, runs.map((r) => ({ index: r.index, result: r.result })), []);
  const ran = new Set(runs.map((r) => r.fftLength));
  const units = Array.from({ length: plan.unitsTotal }, (_, i) => fftscan.unit(p, plan, i) as BasebandUnit);
  const src = units[0].source as { sampleRateHz: number; sampleCount: number };
  const g: Geometry = {
    sampleRateHz: src.sampleRateHz,
    chirpStep: (L) => tolerances(units.find((u) => u.fftLength === L)!).driftStep,
    durationS: src.sampleCount / src.sampleRateHz,
  };
  const official = OFFICIAL_DETECTIONS.filter((o) => ran.has(o.fftLength));
  const ours = answer.detections ?? [];
  const { pairs, extra } = compareWithOfficial(official, ours, g);
  const found = pairs.filter((x) => x.ours).length;
  const lines = [
    '| type | official power | frequency Hz | chirp Hz/s | FFT | | ours power | frequency Hz | chirp Hz/s | FFT | | power diff |',
    '|---|---|---|---|---|---|---|---|---|---|---|---|',
    ...pairs.map((x) => row(x.official, x.ours, 'not found')),
    ...extra.map((d) => row(undefined, d, 'EXTRA')),
  ];
  const bestPulse = answer.best.pulse;
  const pulseOk = ran.has(512) && bestPulse !== undefined && matches(OFFICIAL_BEST_PULSE, bestPulse, g);
  const bp = SETIATHOME_REFERENCE_RESULT.bestPulse;
  const types = (t: string) => `${pairs.filter((x) => x.official.type === t && x.ours).length} of ${official.filter((o) => o.type === t).length}`;
  const seconds = runs.reduce((s, r) => s + r.seconds, 0), ops = runs.reduce((s, r) => s + r.ops, 0);
  const perLength = [...ran].sort((a, b) => a - b).map((L) => {
    const rs = runs.filter((r) => r.fftLength === L);
    return `${L}: ${rs.reduce((s, r) => s + r.seconds, 0).toFixed(0)} s`;
  });
  return [
    `Reproduced ${found} of ${official.length} official detections (spikes ${types('spike')}, Gaussians ${types('gaussian')}, `
      + `triplets ${types('triplet')}, autocorrelations ${types('autocorr')}); ${extra.length} detections of ours have no official partner; `
      + `${ours.filter((d) => d.type === 'pulse').length} pulses reported (official: none).`,
    `Best pulse: ${bestPulse ? `ours ${num(bestPulse.power)} (SNR ${num(bestPulse.snr)}, threshold ${num(bestPulse.threshold)}, period ${num(bestPulse.periodS)} s, FFT ${bestPulse.fftLength}, ${num(bestPulse.driftHzPerS)} Hz/s)` : 'none'}, `
      + `official ${num(bp.power)} (SNR ${num(bp.snr)}, threshold ${num(bp.threshold)}, period ${num(bp.periodS)} s, FFT ${bp.fftLength}, ${num(bp.driftHzPerS)} Hz/s): ${pulseOk ? 'the same' : 'DIFFERENT'}.`,
    `The answer groups them into ${answer.candidates.length} signals; ${answer.detectionsFound} detections in all.`,
    missing ? `PARTIAL: ${missing} of ${plan.unitsTotal} units not run (FFT lengths run: ${[...ran].join(', ')}).` : `All ${plan.unitsTotal} units ran.`,
    '',
    `Kernel time ${seconds.toFixed(0)} s for ${(ops / 1e12).toFixed(2)}e12 operations (${(ops / seconds / 1e9).toFixed(2)} G/s), in ${parts.length} part(s) on a shared machine; per FFT length: ${perLength.join(', ')}.`,
    '',
    ...lines,
  ].join('\n');
}

const BEGIN = '<!-- seti-reference:begin -->', END = '<!-- seti-reference:end -->';

if (process.argv[1] === fileURLToPath(import.meta.url)) {
  if (process.argv.includes('--report')) {
    const files = process.argv.slice(process.argv.indexOf('--report') + 1);
    const text = report(files.map((f) => JSON.parse(readFileSync(f, 'utf8')) as Part));
    console.log(text);
    const doc = readFileSync(DOC, 'utf8');
    const a = doc.indexOf(BEGIN), b = doc.indexOf(END);
    if (a >= 0 && b > a) writeFileSync(DOC, `${doc.slice(0, a + BEGIN.length)}\n${text}\n${doc.slice(b)}`);
    else console.error(`${DOC} has no ${BEGIN} ... ${END} section; not written`);
  } else {
    const [k, n] = (arg('part') ?? '0/1').split('/').map(Number);
    if (!(n >= 1 && k >= 0 && k < n)) throw new Error('--part k/n with 0 <= k < n');
    const part = runPart(k, n, parseLengths(arg('lengths')), arg('out'));
    console.log(report([part]));
  }
}
