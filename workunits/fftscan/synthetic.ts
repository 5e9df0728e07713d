/**
 * Seeded synthetic signals that every host regenerates from the seed instead of downloading.
 *
 * Noise comes from a counter-based generator: sample n's value is a hash of (seed, n), so any window
 * (startSample, count) of a recording is the same whichever host computes it, in whatever pieces. Only
 * 32-bit integer ops, IEEE + - * / and sqrt are used: log, sin, cos and exp are our own polynomials below,
 * because Math.sin & co. are "implementation-approximated" and have changed between V8 releases, while
 * basic double arithmetic is specified exactly (no FMA contraction in JS). So every host gets the same bits.
 *
 * Also a setigen-style spectrogram synthesiser (injectSetigen), checked element-wise against setigen's own
 * test frame (see fftscan/synthetic.test.ts and docs/signal-formats.md).
 */
import type { Spectrogram, SyntheticSource } from './types.js';

export interface SyntheticSignalSpec {
  /** tone and chirp: one continuous exponential (a chirp names a drifting one); pulse: on for durationS every periodS. */
  type: 'tone' | 'chirp' | 'pulse';
  /** Frequency at t = 0, Hz, relative to the centre frequency. */
  frequencyHz: number;
  /** Linear drift, Hz/s (default 0): the frequency at time t is frequencyHz + drift * t. */
  driftHzPerS?: number;
  /** Amplitude of the complex exponential (each of I and Q swings +-amplitude). */
  amplitude: number;
  /** Start of the active window, s (default 0). */
  startS?: number;
  /** tone/chirp: length of the active window (default: to the end). pulse: length of each pulse. */
  durationS?: number;
  /** pulse only: pulse repetition period, s. */
  periodS?: number;
}

export interface SyntheticSpec {
  /** Non-negative safe integer. */
  seed: number;
  /** Complex samples per second. */
  sampleRate: number;
  centerFrequencyHz: number;
  nSamples: number;
  /** Standard deviation of each of I and Q (complex noise power = 2 * noiseStd^2). */
  noiseStd: number;
  signals: SyntheticSignalSpec[];
}

/** The kind's SyntheticSource (types.ts: unit mean noise power, tones with optional stop time) as a spec. */
export function specFromSource(src: SyntheticSource): SyntheticSpec {
  return {
    seed: src.seed,
    sampleRate: src.sampleRateHz,
    centerFrequencyHz: src.centreFrequencyHz,
    nSamples: src.sampleCount,
    noiseStd: Math.SQRT1_2,
    signals: src.signals.map((s) => ({
      type: 'chirp' as const,
      frequencyHz: s.offsetHz,
      driftHzPerS: s.driftHzPerS,
      amplitude: s.amplitude,
      startS: s.startS,
      durationS: s.stopS === undefined ? undefined : s.stopS - (s.startS ?? 0),
    })),
  };
}

// murmur3's 32-bit finaliser: a cheap bijective mixer with full avalanche.
function fmix32(h: number): number {
  h ^= h >>> 16;
  h = Math.imul(h, 0x85ebca6b);
  h ^= h >>> 13;
  h = Math.imul(h, 0xc2b2ae35);
  h ^= h >>> 16;
  return h >>> 0;
}

const TWO_POW_32 = 4294967296;

/** Uniform in (0, 1) with 53 bits, a pure function of (seed, index, stream). */
function uniform(seedLo: number, seedHi: number, index: number, stream: number): number {
  const lo = index >>> 0;
  const hi = Math.floor(index / TWO_POW_32) >>> 0;
  let h = fmix32(seedLo ^ Math.imul(stream + 1, 0x9e3779b9));
  h = fmix32(h ^ seedHi);
  h = fmix32(h ^ lo);
  const a = fmix32(h ^ hi) >>> 5; // 27 bits
  const b = fmix32(a ^ 0x6a09e667 ^ h) >>> 6; // 26 bits
  return (a * 67108864 + b + 0.5) / 9007199254740992;
}

function seedWords(seed: number): [number, number] {
  if (!Number.isSafeInteger(seed) || seed < 0) throw new RangeError(`seed must be a non-negative safe integer, got ${seed}`);
  return [seed >>> 0, Math.floor(seed / TWO_POW_32) >>> 0];
}

// ---- deterministic elementary functions (errors ~1e-16 relative, far below float32 output) ----

const DV = new DataView(new ArrayBuffer(8));
const LN2_HI = 6.93147180369123816490e-1; // ln 2 split so that k * LN2_HI is exact for |k| < 2^20
const LN2_LO = 1.90821492927058770002e-10;
const INV_ODD = Array.from({ length: 12 }, (_, k) => 1 / (2 * k + 3)); // 1/3, 1/5, ... 1/25

function pow2(k: number): number {
  DV.setUint32(0, (k + 1023) << 20);
  DV.setUint32(4, 0);
  return DV.getFloat64(0);
}

/** Natural log of a positive normal double: x = m 2^e, log m = 2 atanh((m-1)/(m+1)). */
export function detLog(x: number): number {
  DV.setFloat64(0, x);
  const hi = DV.getUint32(0);
  let e = ((hi >>> 20) & 0x7ff) - 1023;
  DV.setUint32(0, (hi & 0x000fffff) | 0x3ff00000);
  let m = DV.getFloat64(0);
  if (m > Math.SQRT2) {
    m /= 2;
    e += 1;
  }
  const s = (m - 1) / (m + 1);
  const s2 = s * s;
  let p = INV_ODD[11];
  for (let k = 10; k >= 0; k--) p = INV_ODD[k] + s2 * p;
  return e * LN2_HI + (e * LN2_LO + (2 * s + 2 * s * s2 * p));
}

/** e^x for x <= 0 (all this file needs); 0 below the subnormal range. */
export function detExp(x: number): number {
  if (x < -745) return 0;
  const k = Math.round(x / Math.LN2);
  const r = x - k * LN2_HI - k * LN2_LO;
  let p = 1;
  for (let n = 17; n >= 1; n--) p = 1 + (r * p) / n;
  return k >= -1022 ? p * pow2(k) : p * pow2(k + 600) * pow2(-600);
}

/** [sin, cos] of 2*pi*c, reducing in cycles (exact) before scaling to radians. */
export function detSinCosCycles(c: number): [number, number] {
  const f = c - Math.floor(c);
  const q = Math.round(f * 4);
  const r = (f - q * 0.25) * (2 * Math.PI); // |r| <= pi/4; the subtraction is exact (Sterbenz)
  const r2 = r * r;
  let sp = 1;
  let cp = 1;
  for (let n = 18; n >= 2; n -= 2) {
    sp = 1 - (r2 * sp) / (n * (n + 1));
    cp = 1 - (r2 * cp) / (n * (n - 1));
  }
  const sn = r * sp;
  switch (q & 3) {
    case 0:
      return [sn, cp];
    case 1:
      return [cp, -sn];
    case 2:
      return [-sn, -cp];
    default:
      return [-cp, sn];
  }
}

/** Standard normal pair for sample `index` (Box-Muller on two counter-derived uniforms). */
export function gaussianPair(seed: number, index: number, stream = 0): [number, number] {
  const [lo, hi] = seedWords(seed);
  return gaussianPairW(lo, hi, index, stream);
}

function gaussianPairW(lo: number, hi: number, index: number, stream: number): [number, number] {
  const u1 = uniform(lo, hi, index, 2 * stream);
  const u2 = uniform(lo, hi, index, 2 * stream + 1);
  const r = Math.sqrt(-2 * detLog(u1));
  const [sn, cs] = detSinCosCycles(u2);
  return [r * cs, r * sn];
}

function isActive(sig: SyntheticSignalSpec, t: number): boolean {
  const start = sig.startS ?? 0;
  if (t < start) return false;
  if (sig.type === 'pulse') {
    const period = sig.periodS ?? Infinity;
    const within = Number.isFinite(period) ? (t - start) % period : t - start;
    return within < (sig.durationS ?? 0);
  }
  return sig.durationS === undefined || t < start + sig.durationS;
}

/** Interleaved I/Q (length 2 * count) of samples startSample .. startSample + count - 1. */
export function generateSynthetic(spec: SyntheticSpec, startSample: number, count: number): Float32Array {
  const [lo, hi] = seedWords(spec.seed);
  if (!Number.isSafeInteger(startSample) || !Number.isSafeInteger(count) || startSample < 0 || count < 0) {
    throw new RangeError(`bad window ${startSample}+${count}`);
  }
  if (!(spec.sampleRate > 0)) throw new RangeError('sampleRate must be > 0');
  const out = new Float32Array(2 * count);
  for (let k = 0; k < count; k++) {
    const n = startSample + k;
    let i = 0;
    let q = 0;
    if (spec.noiseStd > 0) {
      const [g1, g2] = gaussianPairW(lo, hi, n, 0);
      i = spec.noiseStd * g1;
      q = spec.noiseStd * g2;
    }
    const t = n / spec.sampleRate;
    for (const sig of spec.signals) {
      if (!isActive(sig, t)) continue;
      const drift = sig.driftHzPerS ?? 0;
      // Phase in cycles: reduced before scaling by 2*pi, so long recordings keep full precision.
      const [sn, cs] = detSinCosCycles(sig.frequencyHz * t + 0.5 * drift * t * t);
      i += sig.amplitude * cs;
      q += sig.amplitude * sn;
    }
    out[2 * k] = i;
    out[2 * k + 1] = q;
  }
  return out;
}

/** Adds Gaussian noise to a spectrogram from (seed, element index): setigen's add_noise, seeded. */
export function addNoise(spec: Spectrogram, noise: { seed: number; mean: number; std: number }): void {
  const [lo, hi] = seedWords(noise.seed);
  const d = spec.data;
  for (let k = 0; k < d.length; k += 2) {
    const [g1, g2] = gaussianPairW(lo, hi, k >>> 1, 1);
    d[k] += noise.mean + noise.std * g1;
    if (k + 1 < d.length) d[k + 1] += noise.mean + noise.std * g2;
  }
}

export interface SetigenSignal {
  /** Frequency of the signal centre at the first row, Hz (absolute, like Spectrogram.fch1Hz). */
  fStartHz: number;
  driftHzPerS: number;
  /** Peak intensity added (setigen's constant_t_profile level). */
  level: number;
  /** Full width at half maximum of the Gaussian frequency profile, Hz. */
  fwhmHz: number;
  profile: 'constant';
}

/**
 * setigen's add_constant_signal with a Gaussian frequency profile and no sub-sample integration (its
 * default): row t gets level * exp(-(f_c - f(t))^2 / (2 sigma^2)) at each channel centre f_c, with
 * f(t) = fStart + drift * t evaluated at the row's start time t = row * dt, sigma = FWHM / (2 sqrt(2 ln 2)).
 */
export function injectSetigen(spec: Spectrogram, sig: SetigenSignal): void {
  if (sig.profile !== 'constant') throw new RangeError(`unsupported time profile ${String(sig.profile)}`);
  const sigma = sig.fwhmHz / (2 * Math.sqrt(2 * Math.LN2));
  if (!(sigma > 0)) throw new RangeError('fwhmHz must be > 0');
  const absDf = Math.abs(spec.dfHz);
  // Beyond 12 sigma the profile is below 1e-31 of the level: not worth computing.
  const reach = Math.ceil((12 * sigma) / absDf) + 1;
  // Offsets are taken between nearby numbers (fch1 - fStart first), so GHz magnitudes cost no precision.
  const base = spec.fch1Hz - sig.fStartHz;
  for (let t = 0; t < spec.nTime; t++) {
    const shift = sig.driftHzPerS * t * spec.dtS;
    const centre = (shift - base) / spec.dfHz;
    const c0 = Math.max(0, Math.floor(centre) - reach);
    const c1 = Math.min(spec.nChan - 1, Math.ceil(centre) + reach);
    const row = t * spec.nChan;
    for (let c = c0; c <= c1; c++) {
      const off = base + c * spec.dfHz - shift;
      spec.data[row + c] += sig.level * detExp(-(off * off) / (2 * sigma * sigma));
    }
  }
}

/** setigen's Frame.get_intensity: the level that gives `snr` for a signal summed over nTime rows. */
export function snrToLevel(snr: number, noiseStd: number, nTime: number): number {
  return (snr * noiseStd) / Math.sqrt(nTime);
}
