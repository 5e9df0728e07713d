/**
 * The job's answer. Units cut a job by FFT length, trial chirps and time (or channels), so one signal
 * may come back from several of them: their signals are grouped again here (grouping.ts,
 * `mergeSignals`) and the answer keeps the strongest `maxCandidates`, ranked by how far each is above
 * its type's threshold. When the job reports detections (the setiathome preset), they are listed too,
 * each tagged with the index of its signal in `candidates`.
 */
import { betterBest } from './findings.js';
import { detectionOrder, mergeSignals } from './grouping.js';
import type { Best, Result, UnitSpec } from './params.js';
import type { BasebandSource, Candidate, Detection, FilSource } from './types.js';

export interface Answer {
  /** Signals, strongest first (snr / threshold), at most maxCandidates. */
  candidates: Candidate[];
  /** reportDetections: the detections (at most maxCandidates), strongest first; `signal` indexes `candidates`. */
  detections?: Detection[];
  /** The best detection of each type, even below its threshold. */
  best: Best;
  /** Signals found but not in `candidates`: over a unit's maxHitsPerUnit or the answer's maxCandidates. */
  dropped: number;
  /** Detections above the threshold in all units, and those not listed (over maxHitsPerUnit or maxCandidates). */
  detectionsFound: number;
  droppedDetections: number;
  unitsMerged: number;
  failedUnits: number[];
}

export interface AssembleOptions {
  maxCandidates: number;
  reportDetections: boolean;
}

/** Bin width and largest time gap a track may jump, per candidate, from the units' geometry. */
function geometry(units: UnitSpec[]): { binHz: (c: Candidate) => number; gapS: (c: Candidate) => number } {
  const u = units[0];
  if (!u || u.mode === 'drift') {
    const df = u ? Math.abs((u.source as FilSource).dfHz) : 1;
    return { binHz: () => df, gapS: () => 0 };
  }
  const fs = (u.source as BasebandSource).sampleRateHz;
  return {
    binHz: (c) => (c.type === 'autocorr' ? 1 / fs : fs / (c.fftLength ?? 1)),
    gapS: (c) => (2 * (c.fftLength ?? 1)) / fs,
  };
}

export function assembleAnswer(
  results: Array<{ result: Result; unit: UnitSpec }>, failed: number[], opts: AssembleOptions,
): Answer {
  const all: Candidate[] = [];
  const owner: Array<{ unit: number; local: number }> = [];
  results.forEach(({ result }, r) => result.signals.forEach((c, i) => {
    all.push(c);
    owner.push({ unit: r, local: i });
  }));
  const geo = geometry(results.map((r) => r.unit));
  const { merged, indexOf } = mergeSignals(all, geo.binHz, geo.gapS);
  const kept = merged.slice(0, opts.maxCandidates);
  const globalOf = new Map<string, number>();
  owner.forEach((o, k) => globalOf.set(`${o.unit}:${o.local}`, indexOf[k]));

  const best: Best = {};
  for (const type of ['spike', 'gaussian', 'pulse', 'triplet', 'autocorr'] as const) {
    // A Gaussian that was reported beats one that was not (SETI@home keeps the best reported one).
    const offers = results.filter((r) => r.result.best[type]);
    const reported = offers.filter((r) => r.result.signals.some((c) => c.type === type));
    for (const r of type === 'gaussian' && reported.length ? reported : offers) {
      const d = r.result.best[type]!;
      if (!best[type] || betterBest[type](d, best[type]!)) best[type] = d;
    }
  }

  const answer: Answer = {
    candidates: kept,
    best,
    dropped: merged.length - kept.length + results.reduce((s, r) => s + r.result.dropped, 0),
    detectionsFound: results.reduce((s, r) => s + r.result.detectionCount, 0),
    droppedDetections: results.reduce((s, r) => s + r.result.droppedDetections, 0),
    unitsMerged: results.length,
    failedUnits: [...failed].sort((a, b) => a - b),
  };
  if (opts.reportDetections) {
    const list: Detection[] = [];
    results.forEach(({ result }, r) => {
      for (const d of result.detections) {
        const g = d.signal === undefined ? undefined : globalOf.get(`${r}:${d.signal}`);
        const { signal: _local, ...rest } = d;
        list.push(g === undefined || g >= kept.length ? rest : { ...rest, signal: g });
      }
    });
    // As many detections as signals at most: the strongest, the rest counted.
    list.sort(detectionOrder);
    answer.droppedDetections += Math.max(0, list.length - opts.maxCandidates);
    answer.detections = list.slice(0, opts.maxCandidates);
  }
  return answer;
}
