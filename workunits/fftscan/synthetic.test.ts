import { describe, expect, it } from 'vitest';
import { readFixture } from '../../test/helpers/fixtures.js';
import {
  addNoise, detExp, detLog, detSinCosCycles, gaussianPair, generateSynthetic, injectSetigen, snrToLevel, specFromSource, type SyntheticSpec,
} from './synthetic.js';
import type { Spectrogram } from './types.js';


/** Just enough of the .npy format (v1/v2, little-endian float64, C order) for the setigen fixture. */
function readNpy(buf: Uint8Array): { shape: number[]; data: Float64Array } {
  const magic = String.fromCharCode(...buf.subarray(1, 6));
  if (buf[0] !== 0x93 || magic !== 'NUMPY') throw new Error('not a .npy file');
  const view = new DataView(buf.buffer, buf.byteOffset, buf.byteLength);
  const major = buf[6];
  const hlen = major === 1 ? view.getUint16(8, true) : view.getUint32(8, true);
  const start = major === 1 ? 10 : 12;
  const header = new TextDecoder().decode(buf.subarray(start, start + hlen));
  if (!/'descr':\s*'<f8'/.test(header) || !/'fortran_order':\s*False/.test(header)) throw new Error(`unsupported: ${header}`);
  const shape = (/'shape':\s*\(([^)]*)\)/.exec(header)?.[1] ?? '').split(',').filter((s) => s.trim()).map(Number);
  const body = buf.slice(start + hlen);
  return { shape, data: new Float64Array(body.buffer, 0, shape.reduce((a, b) => a * b, 1)) };
}

// Output of generateSynthetic(BASE, 1_000_000_000_123, 2) when the generator was written.
const PINNED = [0.9035789966583252, 0.4482848346233368, -1.5554019212722778, 0.11037096381187439];

const BASE: SyntheticSpec = {
  seed: 12345,
  sampleRate: 8000,
  centerFrequencyHz: 1.42e9,
  nSamples: 1 << 16,
  noiseStd: 0.5,
  signals: [],
};

describe('deterministic elementary functions', () => {
  it('agree with Math.* to ~1e-15', () => {
    for (let i = 1; i < 4000; i++) {
      const u = (i * 0.6180339887498949) % 1;
      expect(Math.abs(detLog(u) - Math.log(u))).toBeLessThanOrEqual(1e-15 * Math.abs(Math.log(u)) + 1e-300);
      const x = -60 * u;
      expect(Math.abs(detExp(x) - Math.exp(x))).toBeLessThanOrEqual(1e-15 * Math.exp(x));
      const [sn, cs] = detSinCosCycles(8 * u - 4);
      // Math.sin's own argument 2*pi*c carries ~1e-15 rounding, hence the looser bound.
      expect(Math.abs(sn - Math.sin(2 * Math.PI * (8 * u - 4)))).toBeLessThan(5e-15);
      expect(Math.abs(cs - Math.cos(2 * Math.PI * (8 * u - 4)))).toBeLessThan(5e-15);
    }
    expect(detLog(2 ** -54)).toBe(-54 * Math.LN2);
    expect(detExp(0)).toBe(1);
    expect(detExp(-800)).toBe(0);
    expect(detSinCosCycles(0.25).map((v) => v + 0)).toEqual([1, 0]);
  });
});

describe('generateSynthetic', () => {
  it('any window equals the same slice of a longer run', () => {
    const spec: SyntheticSpec = { ...BASE, signals: [{ type: 'chirp', frequencyHz: 440, driftHzPerS: 30, amplitude: 1 }] };
    const whole = generateSynthetic(spec, 0, 4000);
    for (const [s, n] of [[0, 1], [1, 999], [1234, 2000], [3999, 1]]) {
      expect(Array.from(generateSynthetic(spec, s, n))).toEqual(Array.from(whole.subarray(2 * s, 2 * (s + n))));
    }
  });

  it('is pinned: the same seed gives the same bits on every host and version', () => {
    const v = generateSynthetic(BASE, 1_000_000_000_123, 2);
    // Regenerate these only if the generator changes on purpose (then bump the kind's version).
    expect(Array.from(v)).toEqual(Array.from(Float32Array.from(PINNED)));
    expect(gaussianPair(1, 0)).toEqual(gaussianPair(1, 0));
    expect(gaussianPair(1, 0)).not.toEqual(gaussianPair(2, 0));
  });

  it('noise has the requested spread and tones the requested shape', () => {
    const noise = generateSynthetic(BASE, 0, 50_000);
    let s = 0;
    let ss = 0;
    for (const v of noise) {
      s += v;
      ss += v * v;
    }
    const mean = s / noise.length;
    expect(Math.abs(mean)).toBeLessThan(0.01);
    expect(Math.sqrt(ss / noise.length - mean * mean)).toBeCloseTo(0.5, 2);

    const tone = generateSynthetic({ ...BASE, noiseStd: 0, signals: [{ type: 'tone', frequencyHz: 1000, amplitude: 2 }] }, 0, 16);
    for (let n = 0; n < 16; n++) {
      expect(tone[2 * n]).toBeCloseTo(2 * Math.cos((2 * Math.PI * 1000 * n) / 8000), 6);
      expect(tone[2 * n + 1]).toBeCloseTo(2 * Math.sin((2 * Math.PI * 1000 * n) / 8000), 6);
    }
    const pulse = generateSynthetic(
      { ...BASE, noiseStd: 0, signals: [{ type: 'pulse', frequencyHz: 0, amplitude: 1, startS: 0.001, durationS: 0.0005, periodS: 0.002 }] },
      0,
      40,
    );
    const on = Array.from({ length: 40 }, (_, n) => pulse[2 * n] !== 0);
    // 8 samples per ms: on for samples 8..11, 24..27 (start 1 ms, 0.5 ms wide, every 2 ms).
    expect(on.flatMap((x, n) => (x ? [n] : []))).toEqual([8, 9, 10, 11, 24, 25, 26, 27]);
  });

  it('adapts the kind source shape', () => {
    const spec = specFromSource({
      format: 'synthetic', seed: 1, sampleRateHz: 100, centreFrequencyHz: 5, sampleCount: 10,
      signals: [{ offsetHz: 3, driftHzPerS: 1, amplitude: 0.5, startS: 1, stopS: 4 }],
    });
    expect(spec.noiseStd ** 2 * 2).toBeCloseTo(1, 12);
    expect(spec.signals[0]).toMatchObject({ frequencyHz: 3, driftHzPerS: 1, startS: 1, durationS: 3 });
  });
});

describe('injectSetigen', () => {
  it("reproduces setigen's test frame element-wise", () => {
    const { shape, data: want } = readNpy(readFixture('setigen_test_frame_data.npy'));
    expect(shape).toEqual([32, 1024]);
    // The fixture's array runs in ascending frequency (index 0 = fmin = fch1 - 1023 df): the signal at
    // f_start = channel 200 moves to higher indices at +2 Hz/s.
    const df = 2.7939677238464355;
    const fmax = 6095.214842353016e6;
    const spec: Spectrogram = { data: new Float32Array(32 * 1024), nTime: 32, nChan: 1024, fch1Hz: fmax - 1023 * df, dfHz: df, dtS: 18.253611008 };
    injectSetigen(spec, { fStartHz: spec.fch1Hz + 200 * df, driftHzPerS: 2, level: 1, fwhmHz: 50, profile: 'constant' });
    let maxErr = 0;
    let sum = 0;
    for (let i = 0; i < want.length; i++) {
      maxErr = Math.max(maxErr, Math.abs(spec.data[i] - want[i]));
      sum += spec.data[i];
    }
    expect(maxErr).toBeLessThan(1e-7);
    expect(spec.data[200]).toBe(1);
    expect(sum).toBeCloseTo(609.58, 2);
  });

  it('snrToLevel follows setigen', () => {
    expect(snrToLevel(25, 4, 16)).toBe(25);
  });

  it('addNoise is seeded', () => {
    const mk = (): Spectrogram => ({ data: new Float32Array(33), nTime: 3, nChan: 11, fch1Hz: 0, dfHz: 1, dtS: 1 });
    const a = mk();
    const b = mk();
    addNoise(a, { seed: 5, mean: 1, std: 2 });
    addNoise(b, { seed: 5, mean: 1, std: 2 });
    expect(Array.from(a.data)).toEqual(Array.from(b.data));
    expect(a.data.every((v) => v !== 0)).toBe(true);
  });
});
