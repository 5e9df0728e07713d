/**
 * Verification: the full SETI@home spike search (preset `setiathome`) of the reference work unit,
 * compared with the official v8 client's 13 spikes (DOMAIN.md section 3). About 3e12 FLOPs, so it can be
 * split and run in pieces (in parallel processes), each writing a JSON part; `--report` merges the parts,
 * prints both lists side by side and writes the comparison into docs/fftscan.md.
 *
 *   npx tsx bench/seti-reference.ts --lengths 131072 --chirps -20:0 --out bench/ref/build/seti-a.json
 *   npx tsx bench/seti-reference.ts --lengths 131072 --chirps 0:20 --out bench/ref/build/seti-b.json
 *   npx tsx bench/seti-reference.ts --lengths 8-65536 --out bench/ref/build/seti-c.json
 *   npx tsx bench/seti-reference.ts --report bench/ref/build/seti-*.json
 *
 * Runs the same units and kernel that volunteers run (plan -> unit -> kernel), one unit at a time.
 */
import { createHash } from 'node:crypto';
import { readFileSync, writeFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import type { Kernel } from '../workunits/kind.js';
import kernelDefault from '../workunits/fftscan/kernel.js';
import fftscan from '../workunits/fftscan/kind.js';
import { unitChirpIndices, type BasebandUnit, type Result, type UnitSpec } from '../workunits/fftscan/params.js';
import { SETIATHOME_REFERENCE_SPIKES } from '../workunits/fftscan/presets.js';
import { sahSource } from '../workunits/fftscan/sah.js';
import type { Detection as Candidate } from '../workunits/fftscan/types.js';
import { fixturePath } from '../test/helpers/fixtures.js';

const SAH = fixturePath('seti_reference_work_unit.sah');
const DOC = fileURLToPath(new URL('../docs/fftscan.md', import.meta.url));
const kernel = kernelDefault as Kernel<UnitSpec, unknown, Result>;

interface Part {
  lengths: number[];
  chirps: [number, number];
  units: number;
  ops: number;
  seconds: number;
  hits: Candidate[];
}

function arg(name: string): string | undefined {
  const i = process.argv.indexOf(`--${name}`);
  return i < 0 ? undefined : process.argv[i + 1];
}

function parseLengths(s: string | undefined): number[] {
  if (!s) return Array.from({ length: 15 }, (_, i) => 8 << i);
  return s.split(',').flatMap((part) => {
    const [a, b] = part.split('-').map(Number);
    const out: number[] = [];
    for (let l = a; l <= (b ?? a); l *= 2) out.push(l);
    return out;
  });
}

function scan(lengths: number[], chirps: [number, number]): Part {
  const bytes = new Uint8Array(readFileSync(SAH));
  const sha = createHash('sha256').update(bytes).digest('hex');
  const p = fftscan.params.parse({ source: sahSource(bytes, sha), preset: 'setiathome' });
  const plan = fftscan.plan(p);
  if (!plan.ok) throw new Error(plan.error.message);
  const chosen: BasebandUnit[] = [];
  for (let i = 0; i < plan.value.unitsTotal; i++) {
    const u = fftscan.unit(p, plan.value, i) as BasebandUnit;
    const idx = unitChirpIndices(u);
    const lo = idx[0] * u.minChirpStep, hi = idx[idx.length - 1] * u.minChirpStep;
    if (lengths.includes(u.fftLength) && hi >= chirps[0] && lo <= chirps[1]) chosen.push(u);
  }
  const t0 = performance.now();
  const hits: Candidate[] = [];
  let ops = 0;
  chosen.forEach((u, k) => {
    const s = kernel.init(u, bytes);
    while (!kernel.step(s, 1 << 20));
    hits.push(...kernel.result(s).detections);
    ops += fftscan.ops(u);
    const el = (performance.now() - t0) / 1000;
    console.error(`unit ${k + 1}/${chosen.length}: L=${u.fftLength} chirps ${u.chirpCount} -> ${hits.length} hits, ${el.toFixed(0)} s, ${(ops / el / 1e9).toFixed(2)} GFLOPS`);
  });
  return { lengths, chirps, units: chosen.length, ops, seconds: (performance.now() - t0) / 1000, hits };
}

const fmt = (c: { snr: number; frequencyHz: number; driftHzPerS: number; fftLength?: number }) =>
  `${c.snr.toFixed(4)} | ${c.frequencyHz.toFixed(4)} | ${c.driftHzPerS.toFixed(4)} | ${c.fftLength}`;

function report(parts: Part[]): string {
  // Parts may share a unit (a chirp range that straddles two parts' limits): keep each hit once.
  const seen = new Set<string>();
  const hits = parts.flatMap((p) => p.hits).filter((h) => {
    const key = `${h.fftLength}|${h.driftHzPerS}|${h.timeS}|${h.frequencyHz}`;
    return !seen.has(key) && seen.add(key) !== undefined;
  });
  const minStep = 0.333 * (9765.62 / 131072) ** 2;
  const match = (r: (typeof SETIATHOME_REFERENCE_SPIKES)[number], o: Candidate) =>
    r.fftLength === o.fftLength && Math.abs(r.frequencyHz - o.frequencyHz) <= 9765.62 / o.fftLength
    && Math.abs(r.driftHzPerS - o.driftHzPerS) <= minStep * (131072 / o.fftLength) ** 2;
  const lines = [
    '| official score | frequency Hz | chirp Hz/s | FFT | ours score | frequency Hz | chirp Hz/s | FFT | score diff |',
    '|---|---|---|---|---|---|---|---|---|',
  ];
  let found = 0;
  const used = new Set<Candidate>();
  for (const r of SETIATHOME_REFERENCE_SPIKES) {
    const o = hits.filter((h) => match(r, h)).sort((a, b) => Math.abs(a.snr - r.snr) - Math.abs(b.snr - r.snr))[0];
    if (o) { found++; used.add(o); }
    lines.push(`| ${fmt(r)} | ${o ? `${fmt(o)} | ${(((o.snr - r.snr) / r.snr) * 100).toFixed(3)}%` : 'not found | | | | '} |`);
  }
  const extra = hits.filter((h) => !used.has(h)).sort((a, b) => b.snr - a.snr);
  for (const o of extra) lines.push(`| (none) | | | | ${fmt(o)} | ${o.snr < 22 * 1.01 ? 'within 1% of threshold' : 'EXTRA'} |`);
  const coverage = parts.map((p) => `lengths ${p.lengths.join(',')} chirps ${p.chirps.join('..')} Hz/s: ${p.units} units, ${(p.ops / 1e12).toFixed(2)}e12 FLOP in ${p.seconds.toFixed(0)} s (${(p.ops / p.seconds / 1e9).toFixed(2)} GFLOPS)`);
  return [
    `Reproduced ${found} of ${SETIATHOME_REFERENCE_SPIKES.length} official spikes; ${extra.length} spikes of ours have no official partner.`,
    '',
    ...coverage.map((c) => `- ${c}`),
    '',
    ...lines,
  ].join('\n');
}

const BEGIN = '<!-- seti-reference:begin -->', END = '<!-- seti-reference:end -->';

if (process.argv.includes('--report')) {
  const files = process.argv.slice(process.argv.indexOf('--report') + 1);
  const text = report(files.map((f) => JSON.parse(readFileSync(f, 'utf8')) as Part));
  console.log(text);
  const doc = readFileSync(DOC, 'utf8');
  const a = doc.indexOf(BEGIN), b = doc.indexOf(END);
  if (a >= 0 && b > a) writeFileSync(DOC, `${doc.slice(0, a + BEGIN.length)}\n${text}\n${doc.slice(b)}`);
  else console.error(`${DOC} has no ${BEGIN} ... ${END} section; not written`);
} else {
  const [lo, hi] = (arg('chirps') ?? '-50:50').split(':').map(Number);
  const part = scan(parseLengths(arg('lengths')), [lo, hi]);
  const out = arg('out');
  if (out) writeFileSync(out, JSON.stringify(part));
  console.log(report([part]));
}
