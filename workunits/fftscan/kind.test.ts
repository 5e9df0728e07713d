import { describe, expect, it } from 'vitest';
import { readFixture } from '../../test/helpers/fixtures.js';
import fftscan from './kind.js';
import { filSource, tolerances, unitChirpIndices, type BasebandUnit, type Result } from './params.js';
import { singleSignal } from './grouping.js';
import { sahSource } from './sah.js';
import type { Candidate, SahSource } from './types.js';

const sah: SahSource = sahSource(readFixture('seti_reference_work_unit.sah'), 'a'.repeat(64));

function planOf(params: unknown) {
  const p = fftscan.params.parse(params);
  const plan = fftscan.plan(p);
  if (!plan.ok) throw new Error(plan.error.message);
  return { p, plan: plan.value };
}

describe('plan and units', () => {
  it('splits the reference unit by FFT length and chirp range, covering every trial chirp once', () => {
    const { p, plan } = planOf({ source: sah });
    expect(plan.unitsTotal).toBeGreaterThan(20);
    expect(plan.inputs).toEqual([sah.sha256]);
    const perLength = new Map<number, number[]>();
    for (let i = 0; i < plan.unitsTotal; i++) {
      const u = fftscan.unit(p, plan, i) as BasebandUnit;
      expect(fftscan.input!(p, u)).toEqual({ sha256: sah.sha256, offset: 0, length: sah.byteLength });
      const list = perLength.get(u.fftLength) ?? [];
      list.push(...unitChirpIndices(u));
      perLength.set(u.fftLength, list);
    }
    expect([...perLength.keys()]).toEqual(Array.from({ length: 15 }, (_, i) => 8 << i));
    // 131072: +-20 Hz/s at 0.0018485 Hz/s steps -> indices -10819..10819; 32768: +-50 Hz/s at 16 steps.
    const l17 = perLength.get(131072)!;
    expect(l17.length).toBe(2 * 10819 + 1);
    expect(new Set(l17).size).toBe(l17.length);
    expect(Math.min(...l17)).toBe(-10819);
    expect(perLength.get(32768)!.length).toBe(2 * Math.floor(50 / (16 * 0.0018485194431)) + 1);
    let ops = 0;
    for (let i = 0; i < plan.unitsTotal; i++) ops += fftscan.ops(fftscan.unit(p, plan, i));
    // 4.5e12 of FFTs (the finer chirp grid where Gaussians and pulses are searched) and as much again
    // in the other four searches (SETI@home's own operation counts for the folds).
    expect(ops).toBeGreaterThan(8e12);
    expect(ops).toBeLessThan(1.2e13);
  });

  it('cuts long recordings into stretches whose FFT blocks overlap by half a block at the seams', () => {
    const src = { format: 'sigmf', sha256: 'b'.repeat(64), datatype: 'ci16_le', dataOffset: 0, sampleRateHz: 1e6,
      centreFrequencyHz: 1e8, sampleCount: 10_000_000 };
    const { p, plan } = planOf({ source: src, fftSizes: [4096], maxDrift: 0, unitSamples: 1 << 21 });
    expect(plan.unitsTotal).toBe(5);
    const u0 = fftscan.unit(p, plan, 0) as BasebandUnit, u1 = fftscan.unit(p, plan, 1) as BasebandUnit;
    expect(u0.blockTo).toBe(u1.blockFrom);
    expect(u0.dataTo - u1.dataFrom).toBe(2048);
    expect(fftscan.input!(p, u1)).toEqual({ sha256: src.sha256, offset: u1.dataFrom * 4, length: (u1.dataTo - u1.dataFrom) * 4 });
  });

  it('refuses what cannot run, with a code', () => {
    const p = fftscan.params.parse({ source: { ...sah, sampleCount: 4 }, preset: 'default', fftSizes: [1024] });
    const r = fftscan.plan(p);
    expect(r.ok).toBe(false);
    if (!r.ok) expect(r.error.code).toBe('FFTSCAN_TOO_SHORT');
    expect(fftscan.params.safeParse({ source: sah, fftSizes: [1000] }).success).toBe(false);
  });
});

describe('compare and assemble', () => {
  const { p, plan } = planOf({ source: sah });
  const unit = fftscan.unit(p, plan, plan.unitsTotal - 1) as BasebandUnit;
  const hit = (snr: number, bin: number, chirp: number, t = 6.71): Candidate => singleSignal({
    frequencyHz: 1418916015.62 + (bin * 9765.62) / unit.fftLength, driftHzPerS: chirp * tolerances(unit).driftStep,
    snr, timeS: t, type: 'spike', fftLength: unit.fftLength,
  }, 22, unit.fftLength / 9765.62);
  const res = (signals: Candidate[]): Result => ({
    signals, peaks: signals.map(() => 0), blocks: [{ digest: 'a'.repeat(64), detections: signals.length }],
    detections: [], best: {}, dropped: 0, detectionCount: signals.length, droppedDetections: 0, work: 8,
  });

  it('accepts identical results, whatever the order of their fields', () => {
    const a = res([hit(30, 100, 1), hit(25, 2000, -3)]);
    expect(fftscan.compare(a, a, unit)).toBe(true);
    const reordered = Object.fromEntries(Object.entries(JSON.parse(JSON.stringify(a))).reverse()) as Result;
    expect(fftscan.compare(a, reordered, unit)).toBe(true);
  });

  it('rejects any difference: replicas of one version are bitwise equal', () => {
    const a = res([hit(30, 100, 1), hit(25, 2000, -3)]);
    expect(fftscan.compare(a, res([hit(30, 100, 1)]), unit)).toBe(false);
    expect(fftscan.compare(a, res([hit(30.03, 100, 1), hit(25, 2000, -3)]), unit)).toBe(false);
    expect(fftscan.compare(a, res([hit(30, 101, 1), hit(25, 2000, -3)]), unit)).toBe(false);
    expect(fftscan.compare(a, { ...a, work: 7 }, unit)).toBe(false);
    expect(fftscan.compare(a, { ...a, blocks: [{ digest: 'b'.repeat(64), detections: 2 }] }, unit)).toBe(false);
    expect(fftscan.compare(a, { ...a, dropped: 1 }, unit)).toBe(false);
  });

  it("issue 14's forgery: an invented hit at a huge score with dropped: 1 does not agree with the honest result", () => {
    const honest = res([hit(30, 100, 1), hit(25, 2000, -3)]);
    const forged = { ...res([hit(1e6, 3000, 0), hit(30, 100, 1)]), dropped: 1, blocks: honest.blocks, detectionCount: 2 };
    expect(fftscan.compare(forged, honest, unit)).toBe(false);
    expect(fftscan.compare(honest, forged, unit)).toBe(false);
  });

  it('merges units: one track seen by two units (neighbouring chirps, the same bin) is one signal', () => {
    const r1 = res([hit(25, 10, 1), hit(40, 20, 2)]);
    const r2 = res([hit(25, 10, 1), hit(30, 10, 2), hit(23, 400, 2, 20.1)]);
    const u = fftscan.unit(p, plan, plan.unitsTotal - 1);
    const answer = fftscan.assemble(p, plan, [{ index: plan.unitsTotal - 1, result: r1 }, { index: plan.unitsTotal - 1, result: r2 }], [3]);
    expect(answer.candidates.map((c) => [c.snr, c.detections])).toEqual([[40, 1], [30, 3], [23, 1]]);
    expect(answer.failedUnits).toEqual([3]);
    expect(answer.detections).toEqual([]);
    expect(u).toEqual(unit);
  });

  it('caps the answer by signal strength and counts what it left out', () => {
    const many = res(Array.from({ length: 30 }, (_, i) => hit(23 + i, 100 + 50 * i, 0)));
    const q = fftscan.params.parse({ source: sah, maxCandidates: 5 });
    const answer = fftscan.assemble(q, plan, [{ index: plan.unitsTotal - 1, result: { ...many, dropped: 2 } }], []);
    expect(answer.candidates.map((c) => c.snr)).toEqual([52, 51, 50, 49, 48]);
    expect(answer.dropped).toBe(25 + 2);
  });
});

/** Every unit of a job computed as a host would: its own input slice, the kernel in small steps. */
async function runUnits(p: ReturnType<typeof planOf>['p'], plan: ReturnType<typeof planOf>['plan'], bytes: Uint8Array) {
  const { default: kernel } = await import('./kernel.js');
  const results = [];
  for (let i = 0; i < plan.unitsTotal; i++) {
    const u = fftscan.unit(p, plan, i);
    const ref = fftscan.input!(p, u)!;
    const s = kernel.init(u, bytes.subarray(ref.offset, ref.offset + ref.length));
    while (!kernel.step(s, 100));
    const r = kernel.result(s);
    expect(fftscan.result.safeParse(r).success).toBe(true);
    expect(fftscan.compare(r, r, u)).toBe(true);
    results.push({ index: i, result: r });
  }
  return results;
}

describe('other formats end to end (plan -> unit -> input slice -> kernel -> assemble)', () => {
  it('SigMF ci16: each unit reads only its byte range and the tone is found', async () => {
    const fs = 4096, n = 1 << 16, f0 = 700, amp = 0.1; // expected score A^2 L / (2/3) ~ 61
    const bytes = new Uint8Array(64 + 4 * n); // 64 bytes of something else before the samples
    const view = new DataView(bytes.buffer);
    let seed = 1;
    const rnd = () => ((seed = (seed * 16807) % 2147483647) / 2147483647 - 0.5) * 2;
    for (let g = 0; g < n; g++) {
      const ph = 2 * Math.PI * f0 * (g / fs);
      view.setInt16(64 + 4 * g, Math.round(8000 * (rnd() + amp * Math.cos(ph))), true);
      view.setInt16(64 + 4 * g + 2, Math.round(8000 * (rnd() + amp * Math.sin(ph))), true);
    }
    const source = { format: 'sigmf', sha256: 'c'.repeat(64), datatype: 'ci16_le', dataOffset: 64, sampleRateHz: fs,
      centreFrequencyHz: 1e6, sampleCount: n };
    const { p, plan } = planOf({ source, fftSizes: [4096], maxDrift: 0, unitSamples: 16384 });
    expect(plan.unitsTotal).toBe(4);
    const answer = fftscan.assemble(p, plan, await runUnits(p, plan, bytes), []);
    expect(answer.candidates.length).toBeGreaterThan(0);
    expect(Math.abs(answer.candidates[0].frequencyHz - (1e6 + f0))).toBeLessThanOrEqual(1);
  });

  it('SigMF rf32 (real samples): a real tone is reported once, above 0 Hz, not at its mirror image', async () => {
    const fs = 4096, n = 1 << 15, f0 = 600;
    const bytes = new Uint8Array(4 * n);
    const view = new DataView(bytes.buffer);
    let seed = 7;
    const rnd = () => ((seed = (seed * 16807) % 2147483647) / 2147483647 - 0.5) * 2;
    for (let g = 0; g < n; g++) view.setFloat32(4 * g, rnd() + 0.2 * Math.cos(2 * Math.PI * f0 * (g / fs)), true);
    const source = { format: 'sigmf', sha256: 'd'.repeat(64), datatype: 'rf32_le', dataOffset: 0, sampleRateHz: fs, centreFrequencyHz: 0, sampleCount: n };
    const { p, plan } = planOf({ source, fftSizes: [4096], maxDrift: 0 });
    const { candidates } = fftscan.assemble(p, plan, await runUnits(p, plan, bytes), []);
    expect(candidates.length).toBeGreaterThan(0);
    expect(Math.abs(candidates[0].frequencyHz - f0)).toBeLessThanOrEqual(1);
    expect(candidates.every((c) => c.frequencyHz > 0)).toBe(true);
  });

  it('filterbank: channel ranges with margins, each hit reported once', async () => {
    const { default: kernel } = await import('./kernel.js');
    const bytes = readFixture('setigen_sample_cband_DIAG_SGR_B2.fil');
    const source = filSource(bytes, 'd'.repeat(64));
    expect(source).toMatchObject({ nTime: 32, nChan: 1024 });
    const { p, plan } = planOf({ source, channelsPerUnit: 256, maxDrift: 1, threshold: 10 });
    expect(plan.unitsTotal).toBe(4);
    const results = [];
    for (let i = 0; i < plan.unitsTotal; i++) {
      const u = fftscan.unit(p, plan, i);
      expect(fftscan.input!(p, u)).toEqual({ sha256: source.sha256, offset: 0, length: bytes.length });
      const s = kernel.init(u, bytes);
      while (!kernel.step(s, 1));
      results.push({ index: i, result: kernel.result(s) });
    }
    const answer = fftscan.assemble(p, plan, results, []);
    const freqs = answer.candidates.map((c) => c.frequencyHz);
    expect(new Set(freqs).size).toBe(freqs.length);
    for (const c of answer.candidates) expect(c.type).toBe('drift');
  });
});
