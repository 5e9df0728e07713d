/**
 * SETI@home-style spike search over complex baseband samples (split re/im Float32Arrays).
 *
 * For an FFT length L and a trial chirp rate c (Hz/s): multiply sample g (t = g / fs, g counted from the
 * recording's start) by exp(-i pi c t^2), transform consecutive blocks of L, take |X|^2 and divide by
 * the spectrum's mean (DC bin included, as SETI@home does). A bin other than DC whose ratio exceeds the
 * threshold is a spike; SETI@home reports only the strongest bin of each spectrum (spikesPerSpectrum 1).
 * The chirp phase is referenced to the recording's start, so the reported frequency is the signal's
 * frequency at t = 0 and a unit's hits do not depend on how the recording was split.
 *
 * Everything here is deterministic: double add/sub/mul/floor for phases, table-based cis built by
 * `cisCycles`, the wasm FFT in f32, sums in a fixed order.
 */
import { cisCycles, fftPlan, type Fft } from './fft.js';
import type { Detection } from './types.js';

export interface Baseband {
  re: Float32Array;
  im: Float32Array;
  /** Global index (from the recording's start) of element 0. */
  offset: number;
}

export interface SpikeGeometry {
  sampleRateHz: number;
  /** Sky frequency of baseband 0 Hz. */
  centreFrequencyHz: number;
  /** Fraction of the band below 0 Hz; 0.5 by default, 1/16 for SETI@home units. */
  negativeBandFraction?: number;
}

export interface SpikeOptions extends SpikeGeometry {
  threshold: number;
  /**
   * Real-valued samples (SigMF r... types, read with Q = 0): the spectrum's negative half mirrors the
   * positive one, so only bins 1..L/2-1 are searched and each tone is reported once, above 0 Hz.
   */
  realInput?: boolean;
  /** Strongest bins reported per spectrum; 0 = every bin above the threshold. */
  spikesPerSpectrum: number;
}

/** The trial chirp grid: rates are integer multiples of the step at the longest FFT length. */
export function minChirpStep(resolution: number, sampleRateHz: number, maxFftLength: number): number {
  return (resolution * sampleRateHz * sampleRateHz) / (maxFftLength * maxFftLength);
}

/**
 * Chirp indices (multiples of minChirpStep) searched at FFT length L within |rate| <= limit: the step
 * at L is resolution * fs^2 / L^2 (drift of `resolution` bins across one block), (Lmax/L)^2 grid steps.
 */
export function chirpIndices(fftLength: number, maxFftLength: number, limitHzPerS: number, minStep: number): number[] {
  const stride = (maxFftLength / fftLength) ** 2;
  const k = Math.floor(limitHzPerS / (stride * minStep) + 1e-9);
  const out: number[] = [];
  for (let j = -k; j <= k; j++) out.push(j * stride);
  return out;
}

// cis table: 4096 steps per cycle, refined by a short series for the remainder (|d| < 1.6e-3 rad).
const TABLE_BITS = 12;
const TABLE = 1 << TABLE_BITS;
const COS = new Float64Array(TABLE);
const SIN = new Float64Array(TABLE);
{
  const cs = new Float64Array(2);
  for (let k = 0; k < TABLE; k++) {
    cisCycles(k / TABLE, cs);
    COS[k] = cs[0];
    SIN[k] = cs[1];
  }
}
const STEP_RAD = (2 * Math.PI) / TABLE;

/** cis(2 pi f), f in cycles, from the table plus a short series: double add/sub/mul/floor only. */
function cisTable(f: number, out: Float64Array): void {
  const t = (f - Math.floor(f)) * TABLE;
  const k = Math.floor(t);
  const d = (t - k) * STEP_RAD;
  const d2 = d * d;
  const cd = 1 - d2 * (0.5 - d2 * (1 / 24));
  const sd = d * (1 - d2 * (1 / 6 - d2 * (1 / 120)));
  out[0] = COS[k] * cd - SIN[k] * sd;
  out[1] = SIN[k] * cd + COS[k] * sd;
}

/** Samples between exact phase evaluations; in between, rotations accumulate about 1e-13 of error. */
const RESEED = 1024;

/**
 * The rotator for samples g (lane 0) and g + 1 (lane 1), phase coef * g^2 cycles, laid out as the wasm
 * `chirp` kernel reads it: w.re[2], w.im[2], r.re[2], r.im[2], q.re[2], q.im[2]. Each lane advances two
 * samples per step: w *= r, r *= q, with r = cis(coef (4g + 4)) and q = cis(8 coef).
 */
function chirpSeeds(coef: number, g: number, out: Float64Array, cs: Float64Array): void {
  const put = (f: number, at: number) => {
    cisTable(f, cs);
    out[at] = cs[0];
    out[at + 2] = cs[1];
  };
  put(coef * (g * g), 0);
  put(coef * ((g + 1) * (g + 1)), 1);
  put(coef * (4 * g + 4), 4);
  put(coef * (4 * g + 8), 5);
  put(8 * coef, 8);
  out[9] = out[8];
  out[11] = out[10];
}

/**
 * Writes samples [start, start + n) (global indices, n even) of `x`, de-chirped at `rateHzPerS`, into
 * (outRe, outIm): phase -0.5 * rate * t^2 cycles = coef * g^2. The rotator is computed exactly every
 * RESEED samples and advanced by complex multiplication in between. This is the reference for the wasm
 * kernel (`dechirpInto`), which does the same double operations and so gives the same bits.
 */
export function dechirp(x: Baseband, start: number, n: number, rateHzPerS: number, fs: number, outRe: Float32Array, outIm: Float32Array): void {
  const from = start - x.offset;
  if (rateHzPerS === 0) {
    outRe.set(x.re.subarray(from, from + n));
    outIm.set(x.im.subarray(from, from + n));
    return;
  }
  const coef = (-0.5 * rateHzPerS) / (fs * fs);
  const par = new Float64Array(12), cs = new Float64Array(2);
  for (let i0 = 0; i0 < n; i0 += RESEED) {
    chirpSeeds(coef, start + i0, par, cs);
    const end = Math.min(n, i0 + RESEED);
    for (let lane = 0; lane < 2; lane++) {
      let wr = par[lane], wi = par[2 + lane], rr = par[4 + lane], ri = par[6 + lane];
      const qr = par[8], qi = par[10];
      for (let i = i0 + lane; i < end; i += 2) {
        const re = x.re[from + i], im = x.im[from + i];
        outRe[i] = re * wr - im * wi;
        outIm[i] = re * wi + im * wr;
        const t = wr * rr - wi * ri;
        wi = wr * ri + wi * rr;
        wr = t;
        const u = rr * qr - ri * qi;
        ri = rr * qi + ri * qr;
        rr = u;
      }
    }
  }
}

/** `dechirp` into the plan's input buffers, with the wasm kernel doing the multiplications. */
export function dechirpInto(plan: Fft, x: Baseband, start: number, rateHzPerS: number, fs: number): void {
  const n = plan.n, from = start - x.offset;
  plan.re.set(x.re.subarray(from, from + n));
  plan.im.set(x.im.subarray(from, from + n));
  if (rateHzPerS === 0) return;
  const coef = (-0.5 * rateHzPerS) / (fs * fs);
  const cs = new Float64Array(2);
  for (let i0 = 0; i0 < n; i0 += RESEED) {
    chirpSeeds(coef, start + i0, plan.chirpParams, cs);
    plan.chirp(i0, Math.min(RESEED, n - i0));
  }
}

/** Frequency (Hz) of bin k at length L, with the band's negative part starting at L * (1 - fraction). */
export function binFrequency(k: number, fftLength: number, g: SpikeGeometry): number {
  const neg = g.negativeBandFraction ?? 0.5;
  const signed = k < fftLength * (1 - neg) ? k : k - fftLength;
  return g.centreFrequencyHz + (g.sampleRateHz * signed) / fftLength;
}

/**
 * Searches the FFT blocks starting at the given global sample indices at one chirp rate. Each block must
 * lie inside `x`. Returns the spikes in block order, then bin order.
 */
export function searchChirp(
  x: Baseband, fftLength: number, rateHzPerS: number, blockStarts: number[], opts: SpikeOptions,
): Detection[] {
  const plan = fftPlan(fftLength);
  const out: Detection[] = [];
  for (const b of blockStarts) {
    dechirpInto(plan, x, b, rateHzPerS, opts.sampleRateHz);
    const p = plan.power();
    spectrumSpikes(p, fftLength, rateHzPerS, (b + fftLength / 2) / opts.sampleRateHz, opts, out, plan.stats());
  }
  return out;
}

/** Appends the spikes of one power spectrum to `out`; `stats` (sum, peak over bins >= 1) if known. */
export function spectrumSpikes(
  p: Float32Array, fftLength: number, rateHzPerS: number, timeS: number, opts: SpikeOptions, out: Detection[],
  stats?: { total: number; peak: number },
): void {
  let total = 0;
  let peak = 0;
  if (stats) ({ total, peak } = stats);
  else {
    for (let k = 0; k < fftLength; k++) total += p[k];
    for (let k = 1; k < fftLength; k++) if (p[k] > peak) peak = p[k];
  }
  const mean = total / fftLength;
  if (!(peak > opts.threshold * mean)) return;
  const hits: Array<{ k: number; v: number }> = [];
  const cut = opts.threshold * mean;
  const last = opts.realInput ? fftLength / 2 : fftLength;
  for (let k = 1; k < last; k++) if (p[k] > cut) hits.push({ k, v: p[k] });
  // Strongest first, ties to the lower bin, so the choice is the same on every host.
  hits.sort((a, b) => b.v - a.v || a.k - b.k);
  const keep = opts.spikesPerSpectrum > 0 ? hits.slice(0, opts.spikesPerSpectrum) : hits;
  keep.sort((a, b) => a.k - b.k);
  for (const h of keep) {
    out.push({
      frequencyHz: binFrequency(h.k, fftLength, opts),
      driftHzPerS: rateHzPerS,
      snr: h.v / mean,
      timeS,
      type: 'spike',
      fftLength,
    });
  }
}

/**
 * SETI@home's baseline smoothing, in place: per chunk of `chunk` samples (whole chunks from the
 * recording's start), transform, scale each bin by 1 / sqrt(local mean power / 2) over a sliding
 * boxcar of `boxcar` bins (walking from the most negative frequency, wrapping), transform back, / chunk.
 * It flattens the bandpass so that a spike's score is relative to its neighbourhood. `x` must start on
 * a chunk boundary; a trailing partial chunk is left as it is.
 */
export function baselineSmooth(x: Baseband, boxcar: number, chunk: number): void {
  if (x.offset % chunk !== 0) throw new RangeError('baselineSmooth: data must start on a chunk boundary');
  const plan = fftPlan(chunk);
  const pw = new Float64Array(chunk);
  const scale = new Float64Array(chunk);
  const half = chunk / 2;
  for (let c0 = 0; c0 + chunk <= x.re.length; c0 += chunk) {
    plan.re.set(x.re.subarray(c0, c0 + chunk));
    plan.im.set(x.im.subarray(c0, c0 + chunk));
    const f = plan.forward();
    for (let k = 0; k < chunk; k++) pw[k] = Math.fround(f.re[k] * f.re[k] + f.im[k] * f.im[k]);
    // Boxcar i..k (exclusive) with midpoint j, all indices mod chunk, starting at the lowest frequency.
    let total = 0;
    for (let h = half; h < half + boxcar; h++) total += pw[h % chunk];
    let mean = total / boxcar;
    let s = 1 / Math.sqrt(mean * 0.5);
    for (let h = half; h < half + boxcar / 2; h++) scale[h % chunk] = s;
    let i = half, j = half + boxcar / 2, k = half + boxcar;
    for (let n = 0; n < chunk - boxcar; n++, i++, j++, k++) {
      mean = mean - pw[i % chunk] / boxcar + pw[k % chunk] / boxcar;
      s = 1 / Math.sqrt(mean * 0.5);
      scale[j % chunk] = s;
    }
    for (let h = j; h < k; h++) scale[h % chunk] = s;
    const inv = 1 / chunk;
    // Copy out before the inverse: the plan's buffers are reused by it.
    const re = Float32Array.from(f.re), im = Float32Array.from(f.im);
    for (let h = 0; h < chunk; h++) {
      plan.re[h] = re[h] * scale[h];
      plan.im[h] = im[h] * scale[h];
    }
    const t = plan.inverse();
    for (let h = 0; h < chunk; h++) {
      x.re[c0 + h] = t.re[h] * inv;
      x.im[c0 + h] = t.im[h] * inv;
    }
  }
}

/** Splits interleaved (re, im) samples into a Baseband. */
export function splitComplex(interleaved: Float32Array, offset = 0): Baseband {
  const n = interleaved.length / 2;
  const re = new Float32Array(n), im = new Float32Array(n);
  for (let i = 0; i < n; i++) {
    re[i] = interleaved[2 * i];
    im[i] = interleaved[2 * i + 1];
  }
  return { re, im, offset };
}

/** Every spike at one FFT length over the given chirp indices (rate = index * minStep) and blocks. */
export function scanChirps(
  x: Baseband, fftLength: number, chirpIndices: number[], minStep: number, blockStarts: number[], opts: SpikeOptions,
): Detection[] {
  const out: Detection[] = [];
  for (const c of chirpIndices) out.push(...searchChirp(x, fftLength, c * minStep, blockStarts, opts));
  return out;
}

/** Decoded (and, when asked, baseline-smoothed) samples of a whole recording held in memory. */
export function prepareBaseband(interleaved: Float32Array, smoothing: { boxcar: number; chunk: number } | null): Baseband {
  const x = splitComplex(interleaved, 0);
  if (smoothing) baselineSmooth(x, smoothing.boxcar, smoothing.chunk);
  return x;
}
