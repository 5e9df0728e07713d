/**
 * Do two results of one unit agree? (Used when a job asks for replicas; by default one result is audited
 * instead, audit.ts.) The kernel is deterministic, so replicas of one version match bit for bit: their
 * block commitments (every detection's digest, block by block) and their counts must be equal exactly.
 * The tolerant matching below then only guards the signals' fitted fields, a JavaScript least-squares
 * fit whose order of additions is fixed but which a future engine could round differently. Signals and detections agree when they are of the same type and
 * FFT length, within a bin in frequency, a trial step in drift and a block in time, with scores within
 * 1%. One within 1% of its threshold (or of the weakest kept, when a unit had to drop some) may be
 * missing from the other replica: rounding can put it on either side of the cut. The best-of of each
 * type must be there in both, its score within 1% (a near tie may pick another detection).
 */
import { tolerances, type Result, type UnitSpec } from './params.js';
import type { Detection } from './types.js';

export const SCORE_TOLERANCE = 0.01;

type Tol = ReturnType<typeof tolerances>;

const near = (a: number, b: number): boolean => Math.abs(a - b) <= SCORE_TOLERANCE * Math.max(Math.abs(a), Math.abs(b));

function matches(a: Detection, b: Detection, tol: Tol): boolean {
  return a.type === b.type
    && (a.fftLength ?? 0) === (b.fftLength ?? 0)
    && Math.abs(a.frequencyHz - b.frequencyHz) <= tol.binHz * 1.0001
    && Math.abs(a.driftHzPerS - b.driftHzPerS) <= tol.driftStep * 1.0001
    && Math.abs(a.timeS - b.timeS) <= tol.timeS
    && Math.abs((a.periodS ?? 0) - (b.periodS ?? 0)) <= tol.timeS
    && Math.abs((a.delayS ?? 0) - (b.delayS ?? 0)) <= tol.timeS
    && near(a.snr, b.snr);
}

/** Every entry of `a` clearly above its cut has a partner in `b`. */
function covered(a: Detection[], b: Detection[], cut: (d: Detection) => number, tol: Tol): boolean {
  return a.every((h) => h.snr <= cut(h) || b.some((g) => matches(h, g, tol)));
}

function agree(
  a: Detection[], b: Detection[], droppedA: number, droppedB: number, threshold: (d: Detection) => number, tol: Tol, full: number,
): boolean {
  // A list dropped entries only if it is full: a short list claiming drops cannot lower the bar.
  const weakest = (list: Detection[], dropped: number) =>
    (dropped > 0 && list.length >= full ? list[list.length - 1].snr / (threshold(list[list.length - 1]) || 1) : 0);
  const floor = Math.max(weakest(a, droppedA), weakest(b, droppedB));
  const cut = (d: Detection) => Math.max(threshold(d), floor * threshold(d)) * (1 + SCORE_TOLERANCE);
  return covered(a, b, cut, tol) && covered(b, a, cut, tol);
}

export function compareResults(a: Result, b: Result, unit: UnitSpec): boolean {
  if (a.work !== b.work || a.dropped !== b.dropped || a.detectionCount !== b.detectionCount || a.droppedDetections !== b.droppedDetections) return false;
  if (a.blocks.length !== b.blocks.length || a.blocks.some((x, i) => x.digest !== b.blocks[i].digest || x.detections !== b.blocks[i].detections)) return false;
  const tol = tolerances(unit);
  const threshold = (d: Detection) => d.threshold ?? unit.threshold;
  if (!agree(a.signals, b.signals, a.dropped, b.dropped, threshold, tol, unit.maxHits)) return false;
  if (!agree(a.detections, b.detections, a.droppedDetections, b.droppedDetections, threshold, tol, unit.maxHits)) return false;
  for (const type of ['spike', 'gaussian', 'pulse', 'triplet', 'autocorr'] as const) {
    const x = a.best[type], y = b.best[type];
    if (!x !== !y) return false;
    if (x && y && !(near(x.snr, y.snr) && near(x.score ?? 0, y.score ?? 0))) return false;
  }
  return true;
}
