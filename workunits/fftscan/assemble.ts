/**
 * The job's answer: every validated unit's hits, merged, duplicates removed, strongest first.
 * Units of one job do not share FFT blocks (spike search) or reporting channels (drift search), but a
 * hit can still be reported twice where inputs overlap (a block read by two stretches, a drift seen in
 * two channel margins); two hits are one when they share type and FFT length and sit on the same point
 * of the (frequency bin, drift step, block) grid, and the stronger is kept.
 */
import { hitOrder, tolerances, type Result, type UnitSpec } from './params.js';
import type { Candidate } from './types.js';

export interface Answer {
  candidates: Candidate[];
  /** Hits above the threshold that units dropped (maxHitsPerUnit). */
  dropped: number;
  unitsMerged: number;
  failedUnits: number[];
}

export function mergeHits(results: Array<{ result: Result; unit: UnitSpec }>): Candidate[] {
  const all: Array<{ h: Candidate; key: string }> = [];
  for (const { result, unit } of results) {
    const tol = tolerances(unit);
    for (const h of result.hits) {
      const key = [h.type, h.fftLength ?? 0, Math.round(h.driftHzPerS / tol.driftStep),
        Math.round((2 * h.timeS) / tol.timeS), Math.round(h.frequencyHz / tol.binHz)].join('|');
      all.push({ h, key });
    }
  }
  all.sort((a, b) => hitOrder(a.h, b.h));
  const seen = new Set<string>();
  const out: Candidate[] = [];
  for (const { h, key } of all) {
    if (seen.has(key)) continue;
    seen.add(key);
    out.push(h);
  }
  return out;
}

export function assembleAnswer(results: Array<{ result: Result; unit: UnitSpec }>, failed: number[]): Answer {
  return {
    candidates: mergeHits(results),
    dropped: results.reduce((s, r) => s + r.result.dropped, 0),
    unitsMerged: results.length,
    failedUnits: [...failed].sort((a, b) => a - b),
  };
}
