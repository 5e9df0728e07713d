/**
 * Do two results of one unit agree? The kernel is deterministic, so replicas normally match bit for
 * bit; the tolerance is for hosts that differ anyway (another engine's f32 rounding in a future kernel,
 * a different version of a decoder). Hits agree when they are of the same type and FFT length, within a
 * bin in frequency, a trial step in drift and a block in time, with scores within 1%. A hit within 1%
 * of the threshold (or of the weakest hit kept, when a unit had to drop hits) may be missing from the
 * other replica: rounding can put it on either side of the cut.
 */
import { tolerances, type Result, type UnitSpec } from './params.js';
import type { Candidate } from './types.js';

export const SCORE_TOLERANCE = 0.01;

function matches(a: Candidate, b: Candidate, tol: ReturnType<typeof tolerances>): boolean {
  return a.type === b.type
    && (a.fftLength ?? 0) === (b.fftLength ?? 0)
    && Math.abs(a.frequencyHz - b.frequencyHz) <= tol.binHz * 1.0001
    && Math.abs(a.driftHzPerS - b.driftHzPerS) <= tol.driftStep * 1.0001
    && Math.abs(a.timeS - b.timeS) <= tol.timeS
    && Math.abs(a.snr - b.snr) <= SCORE_TOLERANCE * Math.max(Math.abs(a.snr), Math.abs(b.snr));
}

/** Every hit of `a` that is clearly above the cut has a partner in `b`. */
function covered(a: Result, b: Result, cut: number, tol: ReturnType<typeof tolerances>): boolean {
  return a.hits.every((h) => h.snr <= cut || b.hits.some((g) => matches(h, g, tol)));
}

export function compareResults(a: Result, b: Result, unit: UnitSpec): boolean {
  if (a.work !== b.work) return false;
  const tol = tolerances(unit);
  const weakest = (r: Result) => (r.dropped > 0 && r.hits.length ? r.hits[r.hits.length - 1].snr : 0);
  const cut = Math.max(unit.threshold, weakest(a), weakest(b)) * (1 + SCORE_TOLERANCE);
  return covered(a, b, cut, tol) && covered(b, a, cut, tol);
}
