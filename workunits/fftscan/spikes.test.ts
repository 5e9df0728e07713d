import { describe, expect, it } from 'vitest';
import { runFftscanJob } from '../../test/helpers/fftscan-job.js';
import { readFixture } from '../../test/helpers/fixtures.js';
import type { Kernel } from '../kind.js';
import kernelDefault from './kernel.js';
import fftscan from './kind.js';
import type { Result, UnitSpec } from './params.js';
import { SETIATHOME_REFERENCE_SPIKES } from './presets.js';
import { decodeSah, sahSource } from './sah.js';
import { fftPlan } from './fft.js';
import { chirpIndices, dechirp, dechirpInto, minChirpStep, prepareBaseband, scanChirps, splitComplex } from './spikes.js';
import { generateSynthetic, specFromSource } from './synthetic.js';
import type { Detection, SyntheticSource } from './types.js';

const kernel = kernelDefault as Kernel<UnitSpec, unknown, Result>;

const runJob = (params: unknown) => runFftscanJob(params);

describe('de-chirp', () => {
  it('wasm kernel and JavaScript reference give the same bits; the phase is -pi c t^2 from t = 0', () => {
    const n = 1 << 16;
    const x = splitComplex(new Float32Array(2 * n).map((_, i) => Math.sin(i * 1.3)), 4096);
    for (const L of [8, 1024, 16384]) {
      const plan = fftPlan(L);
      const re = new Float32Array(L), im = new Float32Array(L);
      dechirp(x, 4096 + 3 * L, L, -13.7, 9765.62, re, im);
      dechirpInto(plan, x, 4096 + 3 * L, -13.7, 9765.62);
      expect(Buffer.from(re.buffer).equals(Buffer.from(plan.re.slice().buffer))).toBe(true);
      expect(Buffer.from(im.buffer).equals(Buffer.from(plan.im.slice().buffer))).toBe(true);
    }
    // A unit sample at global index g = 5000 becomes exp(-i pi c (g / fs)^2).
    const one = { re: new Float32Array(8).fill(1), im: new Float32Array(8), offset: 5000 };
    const re = new Float32Array(8), im = new Float32Array(8);
    dechirp(one, 5000, 8, 3.3, 1000, re, im);
    const ph = -Math.PI * 3.3 * 25;
    expect(re[0]).toBeCloseTo(Math.cos(ph), 6);
    expect(im[0]).toBeCloseTo(Math.sin(ph), 6);
  });

  it('wasm stats: sum and peak (DC excluded) of a power spectrum', () => {
    const plan = fftPlan(64);
    plan.re.fill(1); plan.im.fill(0); // all power in DC
    plan.re[5] = 2;
    const p = plan.power();
    const { total, peak } = plan.stats();
    expect(total).toBeCloseTo(p.reduce((a, b) => a + b, 0), 3);
    expect(peak).toBe(Math.max(...p.subarray(1)));
    expect(peak).toBeLessThan(p[0]);
  });
});

describe('spike search on synthetic signals', () => {
  const fs = 8192, L = 16384;
  const amp = Math.sqrt(80 / L); // expected score A^2 L = 80 (at least ~32 after worst-case scalloping)
  const source: SyntheticSource = {
    format: 'synthetic', seed: 42, sampleRateHz: fs, centreFrequencyHz: 1e9, sampleCount: 1 << 17,
    signals: [
      { offsetHz: 1234.3, driftHzPerS: 0.8, amplitude: amp },
      { offsetHz: -2000.7, driftHzPerS: -0.37, amplitude: amp },
      { offsetHz: 3000.25, driftHzPerS: 0, amplitude: amp },
    ],
  };

  it('recovers injected tones within one bin and one drift step, across units', async () => {
    const { plan, answer } = await runJob({ source, fftSizes: [L], maxDrift: 1.2, opsPerUnit: 2e8 });
    expect(plan.unitsTotal).toBeGreaterThan(1);
    const bin = fs / L, step = 0.5 * (fs / L) ** 2;
    for (const sig of source.signals) {
      const near = answer.candidates.filter((c) => Math.abs(c.frequencyHz - 1e9 - sig.offsetHz) <= bin
        && Math.abs(c.driftHzPerS - sig.driftHzPerS) <= step);
      expect(near.length, `signal at ${sig.offsetHz} Hz`).toBeGreaterThan(0);
      expect(Math.max(...near.map((c) => c.snr))).toBeGreaterThan(30);
    }
    // Nothing else: every candidate belongs to one of the signals (noise at threshold 20 gives ~0.01).
    for (const c of answer.candidates) {
      expect(source.signals.some((s) => Math.abs(c.frequencyHz - 1e9 - s.offsetHz) < 3 * bin + Math.abs(c.driftHzPerS - s.driftHzPerS) * 16)).toBe(true);
    }
  });

  it('finds no more false spikes in noise than P(p/mean > T) = e^-T implies', () => {
    const noise: SyntheticSource = { ...source, seed: 7, signals: [], sampleCount: 1 << 18 };
    const x = splitComplex(generateSynthetic(specFromSource(noise), 0, noise.sampleCount));
    const n = 1024, T = 8;
    const starts: number[] = [];
    for (let b = 0; b + n <= noise.sampleCount; b += n) starts.push(b);
    const hits = scanChirps(x, n, [0, 1, -1], minChirpStep(0.5, noise.sampleRateHz, n), starts,
      { ...noise, threshold: T, spikesPerSpectrum: 0 });
    const expected = 3 * starts.length * (n - 1) * Math.exp(-T);
    expect(hits.length).toBeLessThan(1.1 * expected + 4 * Math.sqrt(expected));
    expect(hits.length).toBeGreaterThan(0.7 * expected);
  });

  it('checkpoints: stopping and resuming a unit gives the same result', () => {
    const p = fftscan.params.parse({ source, fftSizes: [1024], maxDrift: 40 });
    const plan = fftscan.plan(p);
    if (!plan.ok) throw new Error(plan.error.message);
    const u = fftscan.unit(p, plan.value, 0);
    const straight = kernel.init(u, undefined);
    while (!kernel.step(straight, 1000));
    let s = kernel.init(u, undefined);
    for (;;) {
      const done = kernel.step(s, 100);
      s = kernel.init(u, undefined, JSON.parse(JSON.stringify(kernel.checkpoint(s))));
      if (done) break;
    }
    expect(kernel.result(s)).toEqual(kernel.result(straight));
    expect(kernel.progress(s)).toBe(1);
  });
});

describe('SETI@home reference unit (narrow chirp windows around the 13 official spikes)', () => {
  it('finds all 13 official spikes, and nothing else, in those windows', () => {
    const bytes = readFixture('seti_reference_work_unit.sah');
    const src = sahSource(bytes, '0'.repeat(64));
    const x = prepareBaseband(decodeSah(bytes), { boxcar: 8192, chunk: 32768 });
    const minStep = minChirpStep(0.333, src.sampleRateHz, 131072);
    const opts = { ...src, threshold: 22, spikesPerSpectrum: 1 };
    const ours: Detection[] = [];
    for (const L of [32768, 131072]) {
      const stride = (131072 / L) ** 2;
      const grid = new Set(chirpIndices(L, 131072, 50, minStep));
      const windows = new Set<number>();
      for (const r of SETIATHOME_REFERENCE_SPIKES.filter((s) => s.fftLength === L)) {
        const c = Math.round(r.driftHzPerS / minStep / stride) * stride;
        for (let d = -2; d <= 2; d++) if (grid.has(c + d * stride)) windows.add(c + d * stride);
      }
      const starts: number[] = [];
      for (let b = 0; b + L <= src.sampleCount; b += L) starts.push(b);
      ours.push(...scanChirps(x, L, [...windows], minStep, starts, opts));
    }
    const match = (a: { frequencyHz: number; driftHzPerS: number; fftLength?: number; snr: number }, b: Detection) =>
      a.fftLength === b.fftLength
      && Math.abs(a.frequencyHz - b.frequencyHz) <= src.sampleRateHz / b.fftLength!
      && Math.abs(a.driftHzPerS - b.driftHzPerS) <= minStep * (131072 / b.fftLength!) ** 2
      && Math.abs(a.snr - b.snr) <= 0.01 * a.snr;
    for (const r of SETIATHOME_REFERENCE_SPIKES) {
      expect(ours.some((o) => match(r, o)), `official spike ${JSON.stringify(r)}`).toBe(true);
    }
    for (const o of ours.filter((o) => o.snr > 22 * 1.01)) {
      expect(SETIATHOME_REFERENCE_SPIKES.some((r) => match(r, o)), `extra spike ${JSON.stringify(o)}`).toBe(true);
    }
    const best = ours.reduce((a, b) => (b.snr > a.snr ? b : a));
    expect(Math.abs(best.snr - 23.7865) / 23.7865).toBeLessThan(0.01);
  }, 30_000);
});
