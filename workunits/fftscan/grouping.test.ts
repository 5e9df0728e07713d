import { describe, expect, it } from 'vitest';
import { TONES, TONES_CENTRE_HZ, TONES_RATE, tonesData } from '../../test/helpers/tones.js';
import { runFftscanJob } from '../../test/helpers/fftscan-job.js';
import { Grouper, mergeSignals, sameSignal, singleSignal, type GroupScale } from './grouping.js';
import type { Candidate, Detection } from './types.js';

const runJob = runFftscanJob;

describe('one signal, one candidate (issue 15)', () => {
  it('three tones in 64 s of cf32 SigMF at 65,536 samples/s, --fft-size 65536 --max-drift 4: three candidates', async () => {
    const bytes = tonesData();
    const source = {
      format: 'sigmf', sha256: 'e'.repeat(64), datatype: 'cf32_le', dataOffset: 0, sampleRateHz: TONES_RATE,
      centreFrequencyHz: TONES_CENTRE_HZ, sampleCount: bytes.length / 8,
    };
    const { plan, results, answer } = await runJob({ source, fftSize: 65536, maxDrift: 4 }, bytes);
    expect(plan.unitsTotal).toBe(2); // two 32 s stretches: each tone crosses a unit border
    // Thousands of detections (every trial chirp near each tone, leaking bins, 127 spectra) ...
    expect(answer.detectionsFound).toBeGreaterThan(5000);
    expect(results.every((r) => r.result.signals.length === 3)).toBe(true);
    // ... are three signals, one per tone, nothing dropped.
    expect(answer.candidates).toHaveLength(3);
    expect(answer.dropped).toBe(0);
    const step = 0.5; // chirp resolution 0.5 bins per block: 0.5 * fs^2 / L^2 Hz/s
    const bin = TONES_RATE / 65536;
    for (const tone of TONES) {
      const c = answer.candidates.find((x) => Math.abs(x.frequencyHz - TONES_CENTRE_HZ - tone.offsetHz) <= bin);
      expect(c, `tone at ${tone.offsetHz} Hz`).toBeDefined();
      expect(Math.abs(c!.driftHzPerS - tone.driftHzPerS), `drift of the tone at ${tone.offsetHz} Hz`).toBeLessThanOrEqual(step);
      // The fit through 127 spectra is far better than the trial grid.
      expect(Math.abs(c!.driftHzPerS - tone.driftHzPerS)).toBeLessThan(0.01);
      expect(c!.detections).toBeGreaterThan(100);
      expect(c!.startS).toBe(0);
      expect(c!.endS).toBeCloseTo(64, 6);
      expect(Math.abs(c!.endHz - (TONES_CENTRE_HZ + tone.offsetHz + 64 * tone.driftHzPerS))).toBeLessThan(2 * bin);
    }
    // Strongest first: the steady tone has the largest amplitude.
    expect(Math.abs(answer.candidates[0].driftHzPerS)).toBeLessThan(0.01);
    // The best single spike of the steady tone is at a neighbouring trial chirp (scalloping): the signal's
    // drift comes from its track, not from that one spectrum.
    expect(answer.best.spike?.snr).toBe(answer.candidates[0].snr);
  }, 60_000);

  it('a weak signal is kept beside a strong one with thousands of detections, even at maxHitsPerUnit 2', async () => {
    const source = {
      format: 'synthetic', seed: 3, sampleRateHz: 16384, centreFrequencyHz: 1e9, sampleCount: 1 << 20,
      signals: [{ offsetHz: -3000.2, driftHzPerS: 0, amplitude: 0.5 }, { offsetHz: 2500.5, driftHzPerS: 0.3, amplitude: 0.05 }],
    };
    const { answer } = await runJob({ source, fftSize: 16384, maxDrift: 2, maxHitsPerUnit: 2 });
    expect(answer.detectionsFound).toBeGreaterThan(2000);
    expect(answer.candidates).toHaveLength(2);
    expect(answer.candidates[1].frequencyHz - 1e9).toBeCloseTo(2500.5, 0);
    expect(answer.candidates[1].driftHzPerS).toBeCloseTo(0.3, 1);
  }, 30_000);

  it('noise alone: no candidate at the default threshold', async () => {
    const source = { format: 'synthetic', seed: 11, sampleRateHz: 65536, centreFrequencyHz: 1e9, sampleCount: 1 << 22, signals: [] };
    const { answer } = await runJob({ source, fftSize: 65536, maxDrift: 1 });
    // 5 trial chirps x 127 spectra x 65,535 bins = 4.2e7 trials at e^-20 = 2.1e-9 each: 0.09 expected.
    expect(answer.candidates).toEqual([]);
    expect(answer.best.spike!.snr).toBeLessThan(20);
  }, 60_000);
});

describe('Grouper', () => {
  const scale: GroupScale = { type: 'spike', binHz: 1, blockS: 1, gapS: 2, slotS: 0.5, driftStep: 0.5, threshold: 20 };
  const spike = (f: number, c: number, t: number, snr: number): Detection => ({
    type: 'spike', frequencyHz: f - c * t, driftHzPerS: c, snr, timeS: t, fftLength: 65536,
  });

  it('chains leaking bins of one spectrum and a track through time; keeps distant tones apart', () => {
    const g = new Grouper(scale, 100);
    for (let k = -6; k <= 6; k++) g.add(spike(1000 + k, 0, 0.5, 200 / (1 + k * k)));
    for (let t = 1; t < 20; t += 0.5) g.add(spike(1000 + 0.7 * t, 0.5, t, 80));
    g.add(spike(1100, 0, 3, 25));
    const s = g.signals().map((x) => x.candidate);
    expect(s).toHaveLength(2);
    expect(s[0]).toMatchObject({ snr: 200, detections: 13 + 38 });
    expect(s[1]).toMatchObject({ snr: 25, detections: 1, driftErrHzPerS: 0.25 });
  });

  it('gives the same signals when restored from its state half way', () => {
    const feed = Array.from({ length: 400 }, (_, i) => spike(500 + (i % 40) * 3.3 + Math.floor(i / 40) * 0.2, (i % 3) - 1, (i % 17) * 0.5, 21 + (i % 11)));
    const a = new Grouper(scale, 5);
    const b0 = new Grouper(scale, 5);
    feed.forEach((d) => a.add(d));
    feed.slice(0, 200).forEach((d) => b0.add(d));
    const b = new Grouper(scale, 5, JSON.parse(JSON.stringify(b0.state())));
    feed.slice(200).forEach((d) => b.add(d));
    expect(b.signals()).toEqual(a.signals());
    expect(b.pruned).toBe(a.pruned);
  });
});

describe('mergeSignals', () => {
  const sig = (f: number, drift: number, t0: number, t1: number, snr: number, L = 1024): Candidate => ({
    ...singleSignal({ type: 'spike', frequencyHz: f, driftHzPerS: drift, snr, timeS: (t0 + t1) / 2, fftLength: L }, 20, t1 - t0),
    driftErrHzPerS: 0.01, bandwidthHz: 1,
  });

  it('joins pieces of one track across time, chirp range and FFT length, whatever their order', () => {
    const list = [
      sig(1000, 0.5, 0, 32, 40), sig(1000, 0.5, 32, 64, 50), sig(1000.3, 0.5, 10, 20, 30, 16384),
      sig(1200, 0, 0, 64, 25), sig(1000, -0.5, 0, 64, 60),
    ];
    const geo = [() => 1, () => 2] as const;
    const a = mergeSignals(list, ...geo);
    const b = mergeSignals([...list].reverse(), ...geo);
    expect(a.merged).toEqual(b.merged);
    expect(a.merged.map((c) => [c.snr, c.detections])).toEqual([[60, 1], [50, 3], [25, 1]]);
    expect(a.indexOf).toEqual([1, 1, 1, 2, 0]);
    expect(a.merged[1]).toMatchObject({ startS: 0, endS: 64, driftHzPerS: 0.5 });
  });

  it('compares only signals whose reach overlaps, and misses no pair that is one signal', () => {
    let seed = 3;
    const rnd = () => ((seed = (seed * 16807) % 2147483647) / 2147483647);
    const list = Array.from({ length: 300 }, () => {
      const t0 = rnd() * 60, t1 = t0 + rnd() * 20;
      const c = sig(1000 + rnd() * 6000, (rnd() - 0.5) * 4, t0, t1, 21 + rnd() * 10, rnd() < 0.5 ? 1024 : 16384);
      return { ...c, driftErrHzPerS: rnd() * 0.05, bandwidthHz: rnd() * 5 };
    });
    const bin = (c: Candidate) => 16384 / c.fftLength!, gap = (c: Candidate) => (2 * c.fftLength!) / 16384;
    // Every pair, the slow way.
    const parent = list.map((_, i) => i);
    const find = (i: number): number => (parent[i] === i ? i : (parent[i] = find(parent[i])));
    for (let i = 0; i < list.length; i++) {
      for (let j = i + 1; j < list.length; j++) {
        if (sameSignal(list[i], list[j], bin, Math.max(gap(list[i]), gap(list[j])))) parent[Math.max(find(i), find(j))] = Math.min(find(i), find(j));
      }
    }
    const { indexOf } = mergeSignals(list, bin, gap);
    expect(new Set(indexOf).size).toBeLessThan(list.length - 50);
    expect(new Set(indexOf).size).toBeGreaterThan(10);
    for (let i = 0; i < list.length; i++) {
      for (let j = i + 1; j < list.length; j++) expect(indexOf[i] === indexOf[j]).toBe(find(i) === find(j));
    }
  });
});
