import { execFileSync } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { cisCycles, Fft, fftInterleaved, MAX_FFT, MIN_FFT } from './fft.js';

/** Deterministic uniform(-1, 1) floats (xorshift32). */
function randomFloats(n: number, seed: number): Float32Array {
  const out = new Float32Array(n);
  let s = seed >>> 0 || 1;
  for (let i = 0; i < n; i++) {
    s ^= s << 13; s >>>= 0; s ^= s >>> 17; s ^= s << 5; s >>>= 0;
    out[i] = s / 2147483648 - 1;
  }
  return out;
}

const lengths: number[] = [];
for (let n = MIN_FFT; n <= MAX_FFT; n *= 2) lengths.push(n);

function hasNumpy(): boolean {
  try {
    execFileSync('python3', ['-c', 'import numpy'], { stdio: 'ignore' });
    return true;
  } catch {
    return false;
  }
}
const numpy = hasNumpy();
if (!numpy) console.warn('fft.test: python3 with numpy is missing; the independent-FFT comparison is SKIPPED');

const dir = mkdtempSync(join(tmpdir(), 'fftscan-'));
afterAll(() => rmSync(dir, { recursive: true, force: true }));

describe('FFT against numpy', () => {
  it.skipIf(!numpy)('power spectra match numpy within 1e-5 (of the mean power) at every length 8..2^20', () => {
    // All lengths in one file, one python run: input float32 (re, im) interleaved; output float64 power.
    const inputs = lengths.map((n, i) => randomFloats(2 * n, 1000 + i));
    const total = inputs.reduce((s, a) => s + a.length, 0);
    const all = new Float32Array(total);
    let at = 0;
    for (const a of inputs) { all.set(a, at); at += a.length; }
    writeFileSync(join(dir, 'in.f32'), all);
    const py = `
import numpy as np, sys
x = np.fromfile(sys.argv[1], dtype=np.float32).astype(np.float64)
out = []; at = 0
for n in [int(v) for v in sys.argv[3].split(',')]:
    z = x[at:at + 2*n:2] + 1j * x[at + 1:at + 2*n:2]; at += 2*n
    out.append(np.abs(np.fft.fft(z))**2)
np.concatenate(out).tofile(sys.argv[2])`;
    execFileSync('python3', ['-c', py, join(dir, 'in.f32'), join(dir, 'out.f64'), lengths.join(',')]);
    const ref = new Float64Array(readFileSync(join(dir, 'out.f64')).buffer.slice(0));
    let off = 0;
    for (let i = 0; i < lengths.length; i++) {
      const n = lengths[i];
      const plan = new Fft(n);
      for (let k = 0; k < n; k++) { plan.re[k] = inputs[i][2 * k]; plan.im[k] = inputs[i][2 * k + 1]; }
      const p = plan.power();
      let mean = 0, worst = 0;
      for (let k = 0; k < n; k++) mean += ref[off + k] / n;
      for (let k = 0; k < n; k++) worst = Math.max(worst, Math.abs(p[k] - ref[off + k]));
      expect(worst / mean, `n = ${n}`).toBeLessThan(1e-5);
      off += n;
    }
  }, 30_000);
});

describe('FFT properties', () => {
  it('inverse(forward(x)) / N returns x', () => {
    for (const n of [8, 32, 4096]) {
      const x = randomFloats(2 * n, n);
      const y = fftInterleaved(fftInterleaved(x), true);
      for (let i = 0; i < 2 * n; i++) expect(Math.abs(y[i] / n - x[i])).toBeLessThan(1e-5);
    }
  });

  it('a unit tone lands in its bin with power N^2', () => {
    const n = 1024, bin = 37;
    const x = new Float32Array(2 * n);
    for (let k = 0; k < n; k++) {
      const c = cisCycles((bin * k) / n);
      x[2 * k] = c[0]; x[2 * k + 1] = c[1];
    }
    const plan = new Fft(n);
    for (let k = 0; k < n; k++) { plan.re[k] = x[2 * k]; plan.im[k] = x[2 * k + 1]; }
    const p = plan.power();
    expect(p[bin] / (n * n)).toBeCloseTo(1, 5);
    expect(p[bin + 1] / (n * n)).toBeLessThan(1e-9);
  });

  it('is deterministic: the same input gives the same bits', () => {
    const x = randomFloats(2 * 16384, 7);
    const a = fftInterleaved(x), b = fftInterleaved(x);
    expect(Buffer.from(a.buffer).equals(Buffer.from(b.buffer))).toBe(true);
  });

  it('cisCycles agrees with Math.cos/sin to 1e-15', () => {
    for (let i = 0; i < 1000; i++) {
      const f = i / 997 - 0.3;
      const c = cisCycles(f);
      expect(Math.abs(c[0] - Math.cos(2 * Math.PI * f))).toBeLessThan(1e-15);
      expect(Math.abs(c[1] - Math.sin(2 * Math.PI * f))).toBeLessThan(1e-15);
    }
  });

  it('rejects unsupported lengths', () => {
    for (const n of [4, 12, 2 ** 21]) expect(() => new Fft(n)).toThrow(RangeError);
  });
});
