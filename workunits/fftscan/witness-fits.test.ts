/**
 * The witness covers the Gaussian fits, the triplet searches and the pulse folds too (fftscan version 4):
 * a host that computes a chirp's spectra but skips those searches, where they would find nothing, no
 * longer commits what an honest host commits. Before, on noise, its block digests were the honest ones and only a best-of could
 * differ (docs/fftscan.md). The skipping host here is the real kernel with the fits and folds cut out.
 */
import { afterEach, describe, expect, it, vi } from 'vitest';
import { runUnit } from '../../test/helpers/compute.js';
import { referenceUnits } from '../../test/helpers/reference-units.js';
import type { Kernel } from '../kind.js';
import { GaussFitter } from './gaussian.js';
import kernelDefault from './kernel.js';
import fftscan from './kind.js';
import type { BasebandUnit, Result, UnitSpec } from './params.js';

const skip = vi.hoisted(() => ({ folds: false, triplets: false }));
vi.mock('./pulses.js', async (importOriginal) => {
  const real = await importOriginal<typeof import('./pulses.js')>();
  return { ...real, findPulse: (...args: Parameters<typeof real.findPulse>) => (skip.folds ? null : real.findPulse(...args)) };
});
vi.mock('./triplets.js', async (importOriginal) => {
  const real = await importOriginal<typeof import('./triplets.js')>();
  return { ...real, findTriplets: (...args: Parameters<typeof real.findTriplets>) => (skip.triplets ? [] : real.findTriplets(...args)) };
});

const kernel = kernelDefault as Kernel<UnitSpec, unknown, Result>;
const audit = fftscan.audit!;


/**
 * Two chirps at one FFT length of SETI@home's plan, on a noise-only synthetic recording. (A synthetic
 * recording has no telescope slew, so SETI@home's plan has no Gaussian search on it: see below.)
 */
function noiseUnit(fftLength: number, detectors: string[], seed = 21): BasebandUnit {
  const p = fftscan.params.parse({
    source: { format: 'synthetic', seed, sampleRateHz: 9765.625, centreFrequencyHz: 1.42e9, sampleCount: 1 << 20, signals: [] },
    preset: 'setiathome', detectors,
  });
  const plan = fftscan.plan(p);
  if (!plan.ok) throw new Error(plan.error.message);
  for (let i = 0; i < plan.value.unitsTotal; i++) {
    const u = fftscan.unit(p, plan.value, i) as BasebandUnit;
    if (u.fftLength === fftLength) return { ...u, chirpCount: 2 };
  }
  throw new Error(`no unit of FFT length ${fftLength}`);
}

const realFit = GaussFitter.prototype.fit;
afterEach(() => {
  GaussFitter.prototype.fit = realFit;
  skip.folds = false;
  skip.triplets = false;
});

/**
 * Two chirps of the SETI@home reference unit at FFT length 16384 (its Gaussian search), where the
 * Gaussian search finds nothing to report.
 */
function referenceGaussUnit(): { u: BasebandUnit; bytes: Uint8Array } {
  const { bytes, units } = referenceUnits();
  const u = units.find((x) => x.fftLength === 16384 && x.detectors.gauss)!;
  return { u: { ...u, chirpCount: 2 }, bytes };
}

describe('fftscan block witness of the Gaussian fits, triplet searches and pulse folds', () => {
  const cases: Array<[string, () => { u: BasebandUnit; bytes?: Uint8Array }, () => void]> = [
    ['Gaussian fits', referenceGaussUnit, () => { GaussFitter.prototype.fit = () => {}; }],
    ['pulse folds', () => ({ u: noiseUnit(128, ['spike', 'pulse']) }), () => { skip.folds = true; }],
    ['triplet searches', () => ({ u: noiseUnit(128, ['spike', 'triplet'], 22) }), () => { skip.triplets = true; }],
  ];
  for (const [name, unit, cheat] of cases) {
    it(`a host that skips the ${name} of blocks that find nothing there fails their audits`, () => {
      const { u, bytes } = unit();
      const run = (x: UnitSpec) => runUnit(kernel, x, bytes, 50);
      const honest = run(u);
      const n = audit.blocks(u);
      expect(n).toBe(2);
      // The search finds nothing to report here, so nothing but the witness can tell the skipping apart.
      expect(honest.detections.filter((d) => d.type !== 'spike')).toEqual([]);
      cheat();
      const skipped = run(u);
      expect(fftscan.check!(u, skipped)).toBe(true);
      expect(skipped.blocks.map((b) => b.detections)).toEqual(honest.blocks.map((b) => b.detections));
      for (let b = 0; b < n; b++) expect(skipped.blocks[b].digest, `block ${b}`).not.toBe(honest.blocks[b].digest);
      GaussFitter.prototype.fit = realFit;
      skip.folds = false;
      skip.triplets = false;
      for (let b = 0; b < n; b++) {
        const recomputed = run(audit.blockUnit(u, b));
        expect(audit.agrees(u, b, honest, recomputed), `honest block ${b}`).toBe(true);
        expect(audit.agrees(u, b, skipped, recomputed), `skipped block ${b}`).toBe(false);
      }
    }, 120_000);
  }
});
