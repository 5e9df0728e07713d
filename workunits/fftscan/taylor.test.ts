import { describe, expect, it } from 'vitest';
import { addNoise, injectSetigen, snrToLevel } from './synthetic.js';
import { clippedStats, paddedRows, pathOffset, taylorSearch, taylorTree } from './taylor.js';
import type { Spectrogram } from './types.js';

/** Brute force over the paths the tree defines: O(N^2 nChan), tests only. */
function bruteSums(rows: Float64Array, N: number, nChan: number): Float64Array {
  const out = new Float64Array(N * nChan);
  for (let D = 0; D < N; D++) {
    for (let f = 0; f < nChan; f++) {
      let s = 0;
      for (let t = 0; t < N; t++) {
        const c = f + pathOffset(t, D, N);
        if (c < nChan) s += rows[t * nChan + c];
      }
      out[D * nChan + f] = s;
    }
  }
  return out;
}

// A small deterministic integer generator so float sums are exact and comparable with ===.
function lcg(seed: number): () => number {
  let s = seed >>> 0;
  return () => {
    s = (Math.imul(s, 1664525) + 1013904223) >>> 0;
    return s >>> 20;
  };
}

function emptySpec(nTime: number, nChan: number, dfHz = 2, dtS = 1): Spectrogram {
  return { data: new Float32Array(nTime * nChan), nTime, nChan, fch1Hz: 1e9, dfHz, dtS };
}

describe('taylor tree', () => {
  it('paths start at 0, end at D, and stay near the straight line', () => {
    for (const N of [1, 2, 4, 8, 16, 32, 64]) {
      for (let D = 0; D < N; D++) {
        expect(pathOffset(0, D, N)).toBe(0);
        expect(pathOffset(N - 1, D, N)).toBe(D);
        for (let t = 0; t < N; t++) {
          expect(Math.abs(pathOffset(t, D, N) - (N > 1 ? (D * t) / (N - 1) : 0))).toBeLessThanOrEqual(1);
          if (t > 0) expect(pathOffset(t, D, N)).toBeGreaterThanOrEqual(pathOffset(t - 1, D, N));
        }
      }
    }
  });

  it('agrees exactly with brute force on random inputs', () => {
    const rnd = lcg(7);
    for (const [N, nChan] of [[2, 5], [4, 9], [8, 17], [16, 40], [32, 70]]) {
      const rows = new Float64Array(N * nChan).map(() => rnd());
      expect(Array.from(taylorTree(rows, N, nChan))).toEqual(Array.from(bruteSums(rows, N, nChan)));
    }
  });

  it('clipped statistics match numpy on a known vector', () => {
    // numpy: v = arange(100.)**1.5; s = sort(v)[5:95]; median(s), s.std()
    const v = Float64Array.from({ length: 100 }, (_, i) => i ** 1.5);
    const { median, std } = clippedStats(v);
    expect(median).toBeCloseTo(348.2766953, 6);
    expect(std).toBeCloseTo(269.8117436, 6);
  });
});

describe('taylorSearch', () => {
  it('finds an exact tree path with the drift and channel it was drawn on', () => {
    for (const nTime of [16, 12]) {
      const N = paddedRows(nTime);
      for (const K of [0, 5, -9, 40, -37]) {
        const spec = emptySpec(nTime, 256);
        addNoise(spec, { seed: 3, mean: 10, std: 1 });
        const f0 = 128;
        const b = Math.floor((Math.abs(K) - 1) / (N - 1));
        const D = K === 0 ? 0 : Math.abs(K) - Math.max(0, b) * (N - 1);
        const bb = K === 0 ? 0 : Math.max(0, b);
        for (let t = 0; t < nTime; t++) {
          const off = bb * t + pathOffset(t, D, N);
          spec.data[t * 256 + f0 + Math.sign(K) * off] += 8;
        }
        const hits = taylorSearch(spec, { maxDriftHzPerS: 100, snrThreshold: 10 });
        expect(hits.length).toBeGreaterThan(0);
        expect(hits[0].frequencyHz).toBe(1e9 + f0 * 2);
        expect(hits[0].driftHzPerS).toBeCloseTo((K * 2) / (N - 1), 9);
        expect(hits[0].type).toBe('drift');
      }
    }
  });

  it('finds a setigen injection at SNR 30 within one channel and one drift step', () => {
    // Like setigen's GBT frames: 32 x 1024, df 2.79 Hz, dt 18.25 s; descending channels as in a .fil.
    const spec: Spectrogram = {
      data: new Float32Array(32 * 1024), nTime: 32, nChan: 1024,
      fch1Hz: 6095.214842353016e6, dfHz: -2.7939677238464355, dtS: 18.253611008,
    };
    const noiseStd = 3;
    addNoise(spec, { seed: 42, mean: 100, std: noiseStd });
    const step = Math.abs(spec.dfHz) / (31 * spec.dtS);
    const drift = -0.3; // toward higher channel index, since channels descend
    const fStart = spec.fch1Hz + 300.4 * spec.dfHz;
    injectSetigen(spec, { fStartHz: fStart, driftHzPerS: drift, level: snrToLevel(30, noiseStd, 32), fwhmHz: 4, profile: 'constant' });
    const t0 = performance.now();
    const hits = taylorSearch(spec, { maxDriftHzPerS: 1, snrThreshold: 25 });
    expect(performance.now() - t0).toBeLessThan(2000);
    expect(hits.length).toBe(1);
    expect(Math.abs(hits[0].frequencyHz - fStart)).toBeLessThanOrEqual(Math.abs(spec.dfHz));
    expect(Math.abs(hits[0].driftHzPerS - drift)).toBeLessThanOrEqual(step);
    expect(hits[0].snr).toBeGreaterThan(25);
  });

  it('merges neighbours, ignores pure noise and is deterministic', () => {
    const spec = emptySpec(16, 512);
    addNoise(spec, { seed: 9, mean: 0, std: 1 });
    expect(taylorSearch(spec, { maxDriftHzPerS: 1, snrThreshold: 8 })).toEqual([]);
    for (let t = 0; t < 16; t++) {
      spec.data[t * 512 + 100] += 6;
      spec.data[t * 512 + 101] += 5;
      spec.data[t * 512 + 300 + t] += 6;
    }
    // The second track drifts one channel per row: 2 Hz/s.
    const a = taylorSearch(spec, { maxDriftHzPerS: 3, snrThreshold: 8 });
    const b = taylorSearch(spec, { maxDriftHzPerS: 3, snrThreshold: 8 });
    expect(a).toEqual(b);
    expect(a.map((h) => (h.frequencyHz - 1e9) / 2).sort((x, y) => x - y)).toEqual([100, 300]);
    expect(a.find((h) => h.frequencyHz === 1e9 + 600)?.driftHzPerS).toBe(2);
    expect(taylorSearch(emptySpec(4, 64), { maxDriftHzPerS: 1, snrThreshold: 1 })).toEqual([]);
  });
});
