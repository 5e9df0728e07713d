import { describe, expect, it } from 'vitest';
import { readFixture } from '../../test/helpers/fixtures.js';
import { Autocorrelator } from './autocorr.js';
import { fftPlan } from './fft.js';
import { JsFolder, WasmFolder } from './fold-wasm.js';
import { inverseLnUpperGamma, lnGamma, lnUpperGamma } from './gamma.js';
import { GaussFitter } from './gaussian.js';
import fftscan from './kind.js';
import { gridIndices, lengthPlans, resolveSettings } from './params.js';
import { findPulse, PulsePlan, PulseThresholds } from './pulses.js';
import { sahSource } from './sah.js';
import { findTriplets } from './triplets.js';

/** A seeded generator (mulberry32) for test data. */
function rng(seed: number) {
  let a = seed >>> 0;
  const uniform = () => {
    a = (a + 0x6d2b79f5) >>> 0;
    let t = a;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return (((t ^ (t >>> 14)) >>> 0) + 0.5) / 4294967296;
  };
  const gauss = () => Math.sqrt(-2 * Math.log(uniform())) * Math.cos(2 * Math.PI * uniform());
  /** Power of a complex Gaussian sample of unit mean power, plus a signal of power s (random phase). */
  const power = (s = 0) => {
    const re = gauss() * Math.SQRT1_2 + Math.sqrt(s), im = gauss() * Math.SQRT1_2;
    return re * re + im * im;
  };
  return { uniform, gauss, power };
}

describe('incomplete gamma (pulse thresholds, Gaussian scores)', () => {
  it('matches closed forms and inverts', () => {
    for (const x of [5, 10, 40]) {
      expect(lnUpperGamma(1, x)).toBeCloseTo(-x, 12);
      expect(lnUpperGamma(3, x)).toBeCloseTo(-x + Math.log(1 + x + (x * x) / 2), 12);
    }
    expect(lnGamma(0.5)).toBeCloseTo(Math.log(Math.sqrt(Math.PI)), 13);
    expect(lnGamma(100)).toBeCloseTo(359.1342053695754, 10);
    const x = inverseLnUpperGamma(-24.3, 12);
    expect(lnUpperGamma(12, x)).toBeCloseTo(-24.3, 9);
  });
});

describe('autocorrelation', () => {
  const N = 4096;
  /** The power spectrum of complex noise plus (optionally) a copy of itself delayed by `delay` samples. */
  function spectrum(seed: number, delay: number, echo: number): Float32Array {
    const r = rng(seed), plan = fftPlan(N);
    const re = Float64Array.from({ length: N + delay }, () => r.gauss()), im = Float64Array.from({ length: N + delay }, () => r.gauss());
    for (let i = 0; i < N; i++) {
      plan.re[i] = re[i + delay] + echo * re[i];
      plan.im[i] = im[i + delay] + echo * im[i];
    }
    return plan.power().slice();
  }

  it('an echo delayed by D samples peaks at lag 2D (delay reported as lag / sample rate, as SETI@home does)', () => {
    const peak = new Autocorrelator(N).peak(spectrum(1, 100, 1));
    expect(peak.lag).toBe(200);
    expect(peak.score).toBeGreaterThan(17.8);
  });

  it('noise alone stays below the threshold', () => {
    const ac = new Autocorrelator(N);
    for (let s = 0; s < 20; s++) expect(ac.peak(spectrum(100 + s, 0, 0)).score).toBeLessThan(17.8);
  });

  it('the DCT-II on the FFT equals the direct sum', () => {
    const n = 64, r = rng(5);
    const p = Float32Array.from({ length: n }, () => r.power());
    let best = 0, lag = 0, total = 0;
    const sq: number[] = [];
    for (let k = 0; k < n / 2; k++) {
      let y = 0;
      for (let j = 0; j < n; j++) y += 2 * p[j] * Math.cos((Math.PI * (j + 0.5) * k) / n);
      sq.push(y * y);
      total += y * y;
    }
    for (let k = 1; k < n / 2; k++) if (sq[k] > best) [best, lag] = [sq[k], k];
    const got = new Autocorrelator(n).peak(p);
    expect(got.lag).toBe(lag);
    expect(got.score).toBeCloseTo(best / (total / n), 4);
  });
});

describe('Gaussian fit', () => {
  const spec = {
    potLength: 64, sigma: 3.5095455646514893, tOffsetStart: 4, tOffsetStop: 60, powerThresh: 3, peakPowerThresh: 3.2,
    chiSqThresh: 1.42, nullChiSqThresh: 2.1, rebin: 1,
  };
  const beam = (i: number, t0: number) => Math.exp((-0.693 * (i - t0) ** 2) / spec.sigma ** 2);

  it('finds a source drifting through the beam, at its offset', () => {
    // Four spectra per PoT element (as at FFT length 4096 of a SETI@home unit); the source's power at the
    // beam's centre is 5 x the noise's in each spectrum.
    const g = new GaussFitter({ ...spec, rebin: 4 });
    let found = 0;
    for (let s = 0; s < 100; s++) {
      const r = rng(10 + s), t0 = 10 + (s % 44);
      const pot = Float32Array.from({ length: 64 }, (_, i) => r.power(5 * beam(i, t0)) + r.power(5 * beam(i, t0)) + r.power(5 * beam(i, t0)) + r.power(5 * beam(i, t0)));
      const fits: Array<{ offset: number; reported: boolean; peakPower: number; trueMean: number }> = [];
      g.fit(pot, (f) => fits.push({ ...f }));
      const best = fits.filter((f) => f.reported).sort((a, b) => b.peakPower / b.trueMean - a.peakPower / a.trueMean)[0];
      if (best && Math.abs(best.offset - t0) <= 1) found++;
    }
    expect(found).toBeGreaterThanOrEqual(70);
  });

  it('the wasm SIMD sliding fit gives the JavaScript loop\'s fits bit for bit', () => {
    const r = rng(6);
    for (const rebin of [1, 4]) {
      const a = new GaussFitter({ ...spec, rebin }, true), b = new GaussFitter({ ...spec, rebin }, false);
      const fa: string[] = [], fb: string[] = [];
      for (let s = 0; s < 500; s++) {
        const pot = Float32Array.from({ length: 64 }, (_, i) => {
          let v = 0;
          for (let k = 0; k < rebin; k++) v += r.power(s % 3 === 0 ? 4 * beam(i, 30) : 0);
          return v;
        });
        a.fit(pot, (f) => fa.push(JSON.stringify(f)));
        b.fit(pot, (f) => fb.push(JSON.stringify(f)));
      }
      expect(fa.length).toBeGreaterThan(100);
      expect(fa).toEqual(fb);
    }
  });

  it('noise alone is never reported', () => {
    const g = new GaussFitter(spec), r = rng(3);
    let reported = 0;
    for (let s = 0; s < 3000; s++) g.fit(Float32Array.from({ length: 64 }, () => r.power()), (f) => { if (f.reported) reported++; });
    expect(reported).toBe(0);
  });

  it('scores 0 at the thresholds, more for a better fit', () => {
    const g = new GaussFitter(spec);
    expect(g.score(1.42, 2.1)).toBeCloseTo(0, 5);
    expect(g.score(1.2, 2.5)).toBeGreaterThan(g.score(1.4, 2.2));
  });

  it('skips scoring exactly: no fit with a null chi-square at or below the bar beats the best', () => {
    const g = new GaussFitter(spec), r = rng(4);
    for (const best of [-6, -2, 0, 3]) {
      const bar = g.nullBelowScore(best);
      for (let k = 0; k < 200; k++) {
        const chi = 0.5 + r.uniform(), nul = bar * r.uniform();
        expect(g.score(chi, nul)).toBeLessThanOrEqual(best + 1e-9);
      }
      expect(g.score(g.clamped(0, 0).chi, bar * 1.01)).toBeGreaterThan(best);
    }
  });
});

describe('pulse folding', () => {
  it('the wasm SIMD folds equal the scalar JavaScript bit for bit', () => {
    const r = rng(7);
    for (const len of [33, 264, 1058]) {
      const plan = new PulsePlan(len, new PulseThresholds(20, 0.5));
      const x = Float32Array.from({ length: len }, () => r.power());
      const w = new WasmFolder(len), j = new JsFolder();
      w.load(x);
      j.load(x);
      const a = w.run(plan.plan).slice(), b = j.run(plan.plan).slice(0, plan.plan.count);
      expect(Buffer.from(a.buffer).equals(Buffer.from(b.buffer))).toBe(true);
      expect(Buffer.from(w.level(1, 10).buffer).equals(Buffer.from(j.level(1, 10).buffer))).toBe(true);
    }
  });

  it('finds a pulse train at its period; noise alone reports none', () => {
    const len = 264, plan = new PulsePlan(len, new PulseThresholds(20, 0.5)), folder = new WasmFolder(len);
    const r = rng(9);
    const x = Float32Array.from({ length: len }, (_, i) => r.power(i % 45 === 7 ? 12 : 0));
    const pulse = findPulse(x, plan, 0.5, folder, () => {});
    expect(pulse).not.toBeNull();
    expect(pulse!.period).toBeCloseTo(45, 0);
    expect(pulse!.score).toBeGreaterThan(1);
    let reported = 0;
    for (let s = 0; s < 300; s++) {
      const noise = Float32Array.from({ length: len }, () => r.power());
      if (findPulse(noise, plan, 0.5, folder, () => {})) reported++;
    }
    expect(reported).toBe(0);
  });
});

describe('triplets', () => {
  it('three evenly spaced pulses are a triplet of their spacing; noise alone none', () => {
    const r = rng(11);
    const x = Float32Array.from({ length: 500 }, () => r.power());
    for (const i of [100, 160, 220]) x[i] = 20;
    const t = findTriplets(x, 8.25);
    expect(t.some((f) => f.period === 60 && f.midpoint === 160)).toBe(true);
    let found = 0;
    for (let s = 0; s < 300; s++) found += findTriplets(Float32Array.from({ length: 500 }, () => r.power()), 8.25).length;
    expect(found).toBe(0);
  });

  it('needs an "off" between the pulses: a steady tone is no triplet', () => {
    expect(findTriplets(new Float32Array(200).fill(1).map((v, i) => (i >= 50 && i <= 150 ? 30 : v)), 8.25)).toEqual([]);
  });
});

describe("SETI@home's plan for the reference unit", () => {
  const src = sahSource(readFixture('seti_reference_work_unit.sah'), 'a'.repeat(64));
  const p = fftscan.params.parse({ source: src });
  const s = resolveSettings(p);
  if (!s.ok) throw new Error(s.message);
  const plans = new Map(s.value.seti!.plan.lengths.map((l) => [l.fftLength, l]));

  it('derives the official PoT set-up from the unit header', () => {
    expect(s.value.minChirpStep).toBeCloseTo(0.0018485194431, 12);
    const g = plans.get(16384)!.gauss!;
    // The official result file's Gaussian sigma is 3.5095455646515.
    expect(g).toMatchObject({ potLength: 64, tOffsetStart: 4, tOffsetStop: 60, rebin: 1 });
    expect(g.sigma).toBeCloseTo(3.5095455646515, 6);
    expect(plans.get(512)).toMatchObject({ pulseEvery: 2, triplet: true, fold: { potLength: 264, overlap: 132 } });
    expect(plans.get(8192)).toMatchObject({ pulseEvery: 0, triplet: false });
    expect(plans.get(131072)).toMatchObject({ autocorr: true, gauss: null });
    expect(plans.get(16)!.spikes).toBe(false);
    expect(plans.get(32)!.spikes).toBe(true);
  });

  it("puts every official detection's chirp on its length's grid", () => {
    const official: Array<[number, number]> = [
      [131072, -13.253884407138], [128, 0.9168656437853], [64, -31.14940113594], [512, -30.690968314047],
      [16384, 39.173824038504], [16384, 49.451592142226], [32768, 2.7505969313559], [131072, 5.2904626461966],
    ];
    const lps = lengthPlans(src, s.value);
    for (const [L, chirp] of official) {
      const lp = lps.find((l) => l.fftLength === L)!;
      const all = gridIndices(lp.grid, s.value.minChirpStep, -lp.k, 2 * lp.k + 1);
      expect(all.some((i) => Math.abs(i * s.value.minChirpStep - chirp) < 1e-9), `${chirp} Hz/s at ${L}`).toBe(true);
    }
  });
});
