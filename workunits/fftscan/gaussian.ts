/**
 * SETI@home's Gaussian search: as the sky drifts through the telescope's beam, a source's power in one
 * frequency bin rises and falls with the beam's shape. The bin's power over time (its PoT, the stretch's
 * spectra summed into `potLength` elements) is normalised to its mean and a beam-shaped Gaussian
 * (sigma = the beam's width in PoT elements, weights 2^-(x/sigma)^2) is slid across it. At each offset:
 * the true mean (the PoT without 2 sigma either side), the peak (a weighted sum over +-sigma scaled to
 * the Gaussian's height), and when the peak is worth it the chi-square of the fit and of the flat
 * (no signal) hypothesis, each term weighted by the expected noise of a signal that strong. Reported when
 * chi-square <= chi_sq_thresh, null chi-square >= null_chi_sq_thresh and peak >= peak_power_thresh x
 * true mean; scored (for the best-of) by how unlikely both chi-squares are under their gamma laws.
 *
 * Facts from the official client's source (its gaussfit); the code is ours, in double precision over
 * single-precision PoT values. One simplification: the client's display threshold starts at 0 and becomes
 * peak_power_thresh / 3 at its first fit of the run, so its first PoT is searched a little more widely;
 * here it is peak_power_thresh / 3 from the start, so a unit's result does not depend on what ran before.
 */
import { lnUpperGamma } from './gamma.js';
import { GaussOffsets } from './gauss-wasm.js';
import type { GaussSpec } from './types.js';
import { detExp } from './synthetic.js';

export interface GaussFit {
  /** PoT offset of the peak, 0 .. potLength - 1. */
  offset: number;
  peakPower: number;
  trueMean: number;
  chiSquare: number;
  nullChiSquare: number;
  reported: boolean;
}

/** Precomputed weights and constants of one Gaussian set-up (they depend only on the spec). */
export class GaussFitter {
  readonly weights: Float64Array;
  /** sqrt of each weight: a fit's expected noise is 1 + 2 sqrt(height x weight), no square root per element. */
  private readonly rootWeights: Float64Array;
  private readonly iSigma: number;
  private readonly peakScale: number;
  private readonly weightSum: number;
  private readonly scoreOffset: number;
  private readonly displayThresh: number;
  private readonly pot: Float64Array;
  private readonly prefix: Float64Array;
  /** The sliding fit's means and peaks on wasm SIMD (bit for bit this file's own loop), or null: JavaScript. */
  private readonly kernel: GaussOffsets | null;
  private norm = 0;
  /** One fit, reused for every call of `found` (copy what you keep). */
  private readonly fitOut: GaussFit = { offset: 0, peakPower: 0, trueMean: 0, chiSquare: 0, nullChiSquare: 0, reported: false };

  constructor(readonly spec: GaussSpec, simd = true) {
    const { sigma, potLength, tOffsetStop } = spec;
    const sigmaSq = Math.fround(sigma * sigma);
    this.iSigma = Math.floor(sigma + 0.5);
    this.weights = new Float64Array(Math.max(tOffsetStop, potLength));
    for (let i = 0; i < this.weights.length; i++) this.weights[i] = Math.fround(detExp(-(0.693 * i * i) / sigmaSq));
    this.rootWeights = this.weights.map(Math.sqrt);
    let sum = 0;
    for (let i = -this.iSigma; i <= this.iSigma; i++) sum += this.weights[Math.abs(i)];
    this.peakScale = 1 / sum;
    this.weightSum = sum;
    const bins = potLength, gaussDof = bins - 2, nullDof = bins - 1;
    this.scoreOffset = lnUpperGamma(0.5 * nullDof, spec.nullChiSqThresh * 0.5 * bins) - lnUpperGamma(0.5 * gaussDof, spec.chiSqThresh * 0.5 * bins);
    this.displayThresh = spec.peakPowerThresh / 3;
    this.chiFloor = (0.5 * gaussDof + 1) / (0.5 * bins);
    this.nullFloor = (0.5 * nullDof + 1) / (0.5 * bins);
    this.kernel = simd ? new GaussOffsets(potLength, spec.tOffsetStart, tOffsetStop, this.iSigma, this.weights, this.weightSum, this.peakScale) : null;
    this.pot = this.kernel?.p ?? new Float64Array(potLength);
    this.prefix = this.kernel?.prefix ?? new Float64Array(potLength + 1);
  }

  /**
   * SETI@home's Gaussian score from the two chi-squares: 0 at the thresholds, higher for a more Gaussian,
   * less flat PoT. Each chi-square counts only above its floor (`clamped`); below it the score is flat.
   */
  score(chiSquare: number, nullChiSquare: number): number {
    const { chi, nul } = this.clamped(chiSquare, nullChiSquare);
    const bins = this.spec.potLength, g = 0.5 * (bins - 2), nl = 0.5 * (bins - 1);
    const first = chi === this.chiFloor ? (this.atChiFloor ??= lnUpperGamma(g, chi * 0.5 * bins)) : lnUpperGamma(g, chi * 0.5 * bins);
    return this.scoreOffset + first - lnUpperGamma(nl, nul * 0.5 * bins);
  }

  private readonly chiFloor: number;
  private readonly nullFloor: number;
  private atChiFloor: number | undefined;

  /**
   * The null chi-square at or below which no fit can score above `score` (a fit scores at most what its
   * null chi-square gives with the chi-square at its floor): lets a search skip most scores exactly.
   */
  nullBelowScore(score: number): number {
    let lo = this.nullFloor, hi = this.nullFloor * 2;
    if (this.score(this.chiFloor, lo) > score) return lo;
    while (this.score(this.chiFloor, hi) <= score && hi < 1e6) hi *= 2;
    for (let k = 0; k < 60 && hi - lo > 1e-12 * hi; k++) {
      const mid = 0.5 * (lo + hi);
      if (this.score(this.chiFloor, mid) <= score) lo = mid;
      else hi = mid;
    }
    return lo;
  }

  /** The chi-squares as the score sees them: at least (dof + 2) / bins each (the gamma law's x >= a + 1). */
  clamped(chiSquare: number, nullChiSquare: number): { chi: number; nul: number } {
    return { chi: Math.max(chiSquare, this.chiFloor), nul: Math.max(nullChiSquare, this.nullFloor) };
  }

  /** The true mean at offset t: the PoT's mean without the 2 sigma either side of t. */
  private trueMean(t: number): number {
    const n = this.spec.potLength, reach = 2 * this.iSigma;
    const lo = t - reach > 0 ? t - reach : 0, hi = t + reach + 1 < n ? t + reach + 1 : n;
    return (this.norm - (this.prefix[hi] - this.prefix[lo])) / (n - (hi - lo));
  }

  /** The Gaussian's height at offset t: a weighted sum over +-sigma, scaled. */
  private peak(t: number, mean: number): number {
    const p = this.pot, w = this.weights, iS = this.iSigma;
    let sum = p[t] * w[0];
    for (let d = 1; d <= iS; d++) sum += (p[t - d] + p[t + d]) * w[d];
    return (sum - mean * this.weightSum) * this.peakScale;
  }

  /**
   * Fits the PoT `raw[from .. from + potLength)` at every offset; calls `found` for each fit whose chi-square
   * passes (reportable or not: candidates for the best-of). The fit object is reused between calls.
   * `witness`, when given, gets one number per PoT with any power: the sum of what the search computed
   * on it, as far as it got (the highest normalised power; the peak at the strongest group; the peak
   * power at every offset and the chi-square of every offset that reached the display level, in offset
   * order). It is folded into the block's witness (block-digest.ts), so a host cannot leave the search
   * out and commit what an honest host commits where it finds nothing.
   */
  fit(raw: ArrayLike<number>, found: (f: GaussFit) => void, from = 0, witness?: (x: number) => void): void {
    const { potLength, tOffsetStart, tOffsetStop, powerThresh, chiSqThresh, nullChiSqThresh, peakPowerThresh, rebin } = this.spec;
    const p = this.pot, w = this.weights, iS = this.iSigma;
    let total = 0;
    for (let i = 0; i < potLength; i++) total += raw[from + i];
    if (!(total > 0)) return;
    const inv = potLength / total;
    // What the search computed, for the witness: the PoT's highest normalised power, then the peak at
    // its strongest group, then every offset's fit, as far as the PoT gets.
    let pmax = 0;
    for (let i = 0; i < potLength; i++) {
      const v = Math.fround(raw[from + i] * inv);
      p[i] = v;
      if (v > pmax) pmax = v;
    }
    if (!(pmax > powerThresh)) {
      witness?.(pmax);
      return;
    }
    // Normalised total and the group of iSigma elements with the highest sum (for the bail-out).
    let norm = 0, group = 0, groupMax = 0, peakLoc = 0;
    const prefix = this.prefix;
    prefix[0] = 0;
    for (let i = 0; i < potLength; i++) {
      norm += p[i];
      prefix[i + 1] = norm;
      group += p[i] - (i >= iS ? p[i - iS] : 0);
      if (group > groupMax) {
        groupMax = group;
        peakLoc = i - Math.trunc(iS / 2);
      }
    }
    this.norm = norm;
    // Not even a weak peak where the power is highest: nothing in this PoT is worth a fit.
    const at = Math.max(tOffsetStart, Math.min(tOffsetStop - 1, peakLoc));
    const m0 = this.trueMean(at);
    const peakAt = this.peak(at, m0);
    let evidence = pmax + peakAt;
    if (peakAt < m0 * this.displayThresh * 0.5) {
      witness?.(evidence);
      return;
    }
    const reach = 2 * iS, scale = this.peakScale, wsum = this.weightSum, display = this.displayThresh;
    const k = this.kernel;
    k?.run(norm);
    for (let t = tOffsetStart; t < tOffsetStop; t++) {
      let mean: number, peakPower: number;
      if (k) {
        mean = k.mean[t];
        peakPower = k.peak[t];
      } else {
        // trueMean(t) and peak(t), inlined (the kernel does the same operations in the same order).
        const lo = t - reach > 0 ? t - reach : 0, hi = t + reach + 1 < potLength ? t + reach + 1 : potLength;
        mean = (norm - (prefix[hi] - prefix[lo])) / (potLength - (hi - lo));
        let ws = p[t] * w[0];
        for (let d = 1; d <= iS; d++) ws += (p[t - d] + p[t + d]) * w[d];
        peakPower = (ws - mean * wsum) * scale;
      }
      evidence += peakPower;
      if (peakPower < mean * display) continue;
      // Each element's squared residual over the noise expected of a signal that strong there
      // (power = signal^2 + 2 signal noise + noise^2 in mean-power units: variance 2 sqrt(predicted - 1) + 1).
      let chi = 0, nul = 0;
      const inv = 1 / mean, height = peakPower * inv, root = 2 * Math.sqrt(height), rw = this.rootWeights;
      for (let i = 0; i < potLength; i++) {
        const d = i > t ? i - t : t - i;
        const predicted = 1 + height * w[d];
        const obs = p[i] * inv;
        const r = 1 / (1 + root * rw[d]);
        chi += (obs - predicted) * (obs - predicted) * r;
        nul += (obs - 1) * (obs - 1) * r;
      }
      chi = (chi * rebin) / potLength;
      nul = (nul * rebin) / potLength;
      evidence += chi;
      if (chi > chiSqThresh) continue;
      const f = this.fitOut;
      f.offset = t;
      f.peakPower = peakPower;
      f.trueMean = mean;
      f.chiSquare = chi;
      f.nullChiSquare = nul;
      f.reported = peakPower >= mean * peakPowerThresh && nul >= nullChiSqThresh;
      found(f);
    }
    witness?.(evidence);
  }
}

/**
 * Every bin's PoT from a waterfall of `spectra` rows of `fftLength` powers, bin by bin into `out`
 * (out[k * potLength + i]): `spectra / potLength` consecutive spectra summed into each element (SETI@home's
 * GetFixedPoT for spectra >= potLength), in one pass over the waterfall. `acc` holds fftLength doubles.
 */
export function fixedPots(waterfall: Float32Array, fftLength: number, spectra: number, potLength: number, out: Float32Array, acc: Float64Array): void {
  const chunk = Math.floor(spectra / potLength);
  for (let i = 0; i < potLength; i++) {
    acc.fill(0, 0, fftLength);
    for (let j = 0; j < chunk; j++) {
      const row = (i * chunk + j) * fftLength;
      for (let k = 0; k < fftLength; k++) acc[k] += waterfall[row + k];
    }
    for (let k = 0; k < fftLength; k++) out[k * potLength + i] = acc[k];
  }
}
