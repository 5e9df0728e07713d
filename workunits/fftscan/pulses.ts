/**
 * SETI@home's pulse search: a bin's power over one beam crossing (a PoT segment of `len` spectra) is
 * folded at every period from len/6 to len/2 to find a pulse train. For n = 3, 4, 5 folds and each
 * integer p in (len (n-1)/n-1... ], the period is p / (n - 1): the sum x[i] + x[i + round(period)] + ... of
 * n copies, i < floor(period); each folded array is then halved again and again (2n, 4n, ... pulses at
 * half, quarter, ... the period). A fold's peak is judged against a threshold from the gamma law of a sum
 * of n exponential powers: the x where ln Q(n, x) = -pulse_thresh - ln(period in bins) (more periods
 * tried, a higher bar), scaled by pulse_display_thresh for the display level. Each segment reports its
 * fold furthest above the threshold; every fold above the display level competes for the best-of, scored
 * SNR / threshold. Facts from the official client's source (its find_pulse and t_funct); code ours.
 *
 * The folds are single-precision sums in a fixed order (the same as the client's: first copy + second,
 * then + third ...), done by the wasm SIMD kernel in fold-wasm.ts, so every host gets the same bits.
 */
import { inverseLnUpperGamma } from './gamma.js';
import type { Folder, FoldPlan } from './fold-wasm.js';
import { detLog } from './synthetic.js';

export interface PulseFold {
  /** Period in PoT bins (spectra). */
  period: number;
  /** Copies added (3, 4, 5, 6, 8, 10, 12, ...). */
  folds: number;
  /** Peak of the folded, averaged PoT over the segment mean (SETI@home's peak_power is this - 1). */
  power: number;
  snr: number;
  threshold: number;
  /** snr / threshold: above 1 is reportable. */
  score: number;
  meanPower: number;
}

/** Display-level threshold factors t(di, n), cached: they depend only on the settings and the fold. */
export class PulseThresholds {
  private readonly cache = new Map<number, number>();

  constructor(private readonly pulseThresh: number, private readonly displayThresh: number) {}

  /** Fold peak / mean above which a fold of n copies at integer period `di` is worth a look. */
  at(di: number, n: number): number {
    const key = di * 65536 + n;
    let v = this.cache.get(key);
    if (v === undefined) {
      const x = inverseLnUpperGamma(-this.pulseThresh - detLog(di), n);
      v = Math.fround((x - n) * this.displayThresh + n);
      this.cache.set(key, v);
    }
    return v;
  }
}

/** A segment length's folds (in SETI@home's order) with their periods and display-level factors. */
export class PulsePlan {
  readonly plan: FoldPlan;
  readonly period: Float64Array;
  /** Display level of each fold: peak / segment mean above this is worth a look. */
  readonly factor: Float64Array;

  constructor(readonly len: number, thresholds: PulseThresholds) {
    const steps: Array<{ copies: number; level: number; src: number; n: number; offsets: number[]; folds: number; di: number; period: number }> = [];
    let ndivs = 1;
    for (let i = 32; i <= len; i *= 2) ndivs++;
    for (let n = 3; n <= 5; n++) {
      const last = Math.trunc((len * (n - 1)) / n), first = Math.trunc((len * (n - 1)) / (n + 1));
      const mper = 12 / (n - 1);
      for (let p = last; p > first; p--) {
        // round(k x period), period = p / (n - 1), rounding halves up as the client's integer arithmetic does.
        const offsets = [0];
        for (let k = 1; k < n; k++) offsets.push(Math.trunc((p * mper * k + 6) / 12));
        let di = Math.trunc(p / (n - 1));
        steps.push({ copies: n, level: 0, src: -1, n: di, offsets, folds: n, di, period: p / (n - 1) });
        let perdiv = n - 1, folds = n;
        for (let j = 1; j < ndivs; j++) {
          const next = Math.trunc(di / 2);
          steps.push({ copies: 2, level: j, src: j - 1, n: next, offsets: [0, next + (di & 1)], folds: 0, di: 0, period: 0 });
          di = next;
          perdiv *= 2;
          folds *= 2;
          Object.assign(steps[steps.length - 1], { folds, di, period: p / perdiv });
        }
      }
    }
    const count = steps.length;
    this.plan = {
      count, copies: new Int32Array(count), level: new Int32Array(count), src: new Int32Array(count), n: new Int32Array(count),
      offsets: new Int32Array(5 * count),
    };
    this.period = new Float64Array(count);
    this.factor = new Float64Array(count);
    this.folds = new Int32Array(count);
    steps.forEach((st, e) => {
      this.plan.copies[e] = st.copies;
      this.plan.level[e] = st.level;
      this.plan.src[e] = st.src;
      this.plan.n[e] = st.n;
      st.offsets.forEach((o, c) => { this.plan.offsets[5 * e + c] = o; });
      this.period[e] = st.period;
      this.folds[e] = st.folds;
      this.factor[e] = thresholds.at(st.di, st.folds);
    });
  }

  /** Copies summed by each fold (3, 4, 5, then doubling as folds are halved). */
  readonly folds: Int32Array;
}

/**
 * Folds one PoT segment (`x`, `plan.len` long) at every period; calls `best` with every fold above its
 * display level (for the best-of) and returns the segment's reportable pulse (the fold furthest above
 * its threshold), if any. `witness`, when given, gets the sum of every fold's peak, in order, for the
 * block's witness (block-digest.ts): without it a host could skip the folds of a segment that holds no
 * pulse and commit what an honest host commits.
 */
export function findPulse(x: Float32Array, plan: PulsePlan, displayThresh: number, folder: Folder, best: (f: PulseFold) => void, witness?: (x: number) => void): PulseFold | null {
  const len = x.length;
  let total = 0;
  for (let i = 0; i < len; i++) total += x[i];
  const avg = Math.fround(total / len);
  if (!(avg > 0)) return null;
  folder.load(x);
  const peaks = folder.run(plan.plan);
  let out: PulseFold | null = null;
  let maxd = 0;
  const rdis = 1 / displayThresh;
  // Every fold's peak, summed in order, for the block's witness (see the doc comment).
  let evidence = 0;
  for (let e = 0; e < plan.plan.count; e++) {
    const dis = Math.fround(plan.factor[e] * avg);
    const peak = peaks[e];
    evidence += peak;
    if (!(peak > dis)) continue;
    const n = plan.folds[e];
    const m = Math.fround(peak / n);
    const cur = Math.fround(Math.fround(dis / n - avg) * rdis + avg);
    const root = Math.sqrt(n);
    const snr = ((m - avg) * root) / avg;
    const threshold = ((cur - avg) * root) / avg;
    const fold: PulseFold = { period: plan.period[e], folds: n, power: m / avg, snr, threshold, score: snr / threshold, meanPower: avg };
    best(fold);
    if (m > cur && m - cur > maxd) {
      maxd = m - cur;
      out = fold;
    }
  }
  witness?.(evidence);
  return out;
}
