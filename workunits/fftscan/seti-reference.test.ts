/**
 * The fast reference test: the setiathome analysis of the reference work unit on narrow windows (one to
 * three trial chirps of one FFT length) around each official Gaussian, triplet, autocorrelation and the
 * official best pulse, through the real plan's units and kernel (with a checkpoint and resume in the
 * middle of the power-over-time searches). Every official detection in a window is reproduced, nothing
 * else is reported there, and the best pulse is the official one. The whole analysis (minutes) is
 * bench/seti-reference.ts; the spike windows are in spikes.test.ts.
 */
import { describe, expect, it } from 'vitest';
import { yieldNow } from '../../test/helpers/fftscan-job.js';
import { referenceUnits } from '../../test/helpers/reference-units.js';
import type { Kernel } from '../kind.js';
import kernelDefault from './kernel.js';
import { tolerances, unitChirpIndices, type BasebandUnit, type Result, type UnitSpec } from './params.js';
import { SETIATHOME_REFERENCE_RESULT } from './presets.js';
import { compareWithOfficial, matches, OFFICIAL_BEST_PULSE, OFFICIAL_DETECTIONS, type Geometry } from './reference.js';

const kernel = kernelDefault as Kernel<UnitSpec, unknown, Result>;
const { bytes, src, units } = referenceUnits();

/** The plan's unit at this length, narrowed to grid positions [from, from + count); resumed half way once. */
async function runWindow(fftLength: number, from: number, count: number): Promise<{ unit: BasebandUnit; result: Result }> {
  const unit = { ...units.find((u) => u.fftLength === fftLength)!, chirpFrom: from, chirpCount: count };
  let s = kernel.init(unit, bytes);
  // Past the FFT blocks into the power-over-time searches, checkpoint (JSON, as a worker writes it),
  // and resume from it: the waterfall is rebuilt, the result is the same.
  // (The searches are the last few per cent of these windows' items.)
  for (let k = 1; !kernel.step(s, 1) && kernel.progress(s) < 0.95; k++) if (k % 256 === 0) await yieldNow();
  expect(kernel.progress(s)).toBeLessThan(1);
  s = kernel.init(unit, bytes, JSON.parse(JSON.stringify(kernel.checkpoint(s))));
  while (!kernel.step(s, 97)) await yieldNow();
  return { unit, result: kernel.result(s) };
}

const geometry: Geometry = {
  sampleRateHz: src.sampleRateHz,
  chirpStep: (L) => tolerances(units.find((u) => u.fftLength === L)!).driftStep,
  durationS: src.sampleCount / src.sampleRateHz,
};

describe('SETI@home reference unit: Gaussians, triplets, autocorrelation and the best pulse on narrow windows', () => {
  const windows: Array<[string, number, number, number]> = [
    ['autocorrelation -13.2539 Hz/s', 131072, -7171, 3],
    ['triplet 0.9169 Hz/s', 128, 1, 1],
    ['triplet -31.1494 Hz/s', 64, -17, 1],
    ['Gaussians 39.1738 Hz/s', 16384, 5473, 1],
    ['Gaussians 49.4516 Hz/s', 16384, 6909, 1],
  ];
  for (const [name, L, from, count] of windows) {
    it(`${name} (FFT ${L})`, async () => {
      const { unit, result } = await runWindow(L, from, count);
      const rates = unitChirpIndices(unit).map((i) => i * unit.minChirpStep);
      const inWindow = OFFICIAL_DETECTIONS.filter((o) => o.fftLength === L && rates.some((r) => Math.abs(r - o.driftHzPerS) < 1e-6));
      expect(inWindow.length).toBeGreaterThan(0);
      const { pairs, extra } = compareWithOfficial(inWindow, result.detections, geometry);
      for (const pair of pairs) expect(pair.ours, `official ${JSON.stringify(pair.official)}`).toBeDefined();
      expect(extra, 'detections with no official partner').toEqual([]);
      // Reported detections are grouped: the official three Gaussians of one bin are one signal.
      expect(result.signals.length).toBe(1);
      expect(result.detections.every((d) => d.signal === 0)).toBe(true);
    }, 60_000);
  }

  it('the best pulse (below its threshold) at -30.6910 Hz/s, FFT 512', async () => {
    const { result } = await runWindow(512, -134, 1);
    expect(result.detections.filter((d) => d.type === 'pulse')).toEqual([]);
    const best = result.best.pulse!;
    expect(matches(OFFICIAL_BEST_PULSE, best, geometry)).toBe(true);
    const official = SETIATHOME_REFERENCE_RESULT.bestPulse;
    expect(Math.abs(best.snr / official.snr - 1)).toBeLessThan(0.001);
    expect(Math.abs(best.threshold! / official.threshold - 1)).toBeLessThan(0.001);
    expect(best.score).toBeLessThan(1);
  }, 60_000);
});
