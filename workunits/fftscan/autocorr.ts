/**
 * SETI@home's autocorrelation search: the autocorrelation of one de-chirped power spectrum, taken as
 * the DCT-II of the spectrum (FFTW's REDFT10, Y_k = 2 sum_n x_n cos(pi (n + 1/2) k / N)), squared. Over
 * delays 1 .. N/2 - 1 its peak, divided by the mean (sum of the squares over delays 0 .. N/2 - 1, over N),
 * is the score; the delay is reported as k / sample rate, as SETI@home does. A signal whose power repeats
 * across the band (an echo: a copy of itself delayed by tau) shows as a peak at that delay.
 *
 * The DCT runs on the wasm FFT at half the length (the spectrum is real): v_n = x_2n, v_(N-1-n) =
 * x_(2n+1); z_m = v_2m + i v_(2m+1), Z = FFT_(N/2)(z); V_k = (Z_k + conj Z_(N/2-k)) / 2 - i e^(-2 pi i k/N)
 * (Z_k - conj Z_(N/2-k)) / 2; Y_k = 2 Re(e^(-i pi k / 2N) V_k). Twiddles come from `cisCycles` (double
 * add/sub/mul only) and the arithmetic is IEEE double in a fixed order, so every host gets the same bits.
 */
import { cisCycles, Fft } from './fft.js';

export interface AutocorrPeak {
  /** Peak / mean of the squared autocorrelation over delays 1 .. N/2 - 1. */
  score: number;
  /** Delay index k (delay k / sample rate, in SETI@home's convention). */
  lag: number;
}

/** DCT-II and peak search for spectra of one length; keeps its own FFT plan and twiddles. */
export class Autocorrelator {
  private readonly plan: Fft;
  /** e^(-2 pi i k / N) and e^(-i pi k / 2N), k < N/2. */
  private readonly twRe: Float64Array;
  private readonly twIm: Float64Array;
  private readonly shRe: Float64Array;
  private readonly shIm: Float64Array;
  private readonly sq: Float64Array;

  constructor(readonly n: number) {
    const half = n / 2;
    this.plan = new Fft(half);
    this.twRe = new Float64Array(half);
    this.twIm = new Float64Array(half);
    this.shRe = new Float64Array(half);
    this.shIm = new Float64Array(half);
    this.sq = new Float64Array(half);
    const cs = new Float64Array(2);
    for (let k = 0; k < half; k++) {
      cisCycles(-k / n, cs);
      this.twRe[k] = cs[0];
      this.twIm[k] = cs[1];
      cisCycles(-k / (4 * n), cs);
      this.shRe[k] = cs[0];
      this.shIm[k] = cs[1];
    }
  }

  /** The squared autocorrelation's peak over delays 1 .. N/2 - 1 of power spectrum `p` (length n). */
  peak(p: Float32Array): AutocorrPeak {
    const { n, plan } = this;
    const half = n / 2, quarter = n / 4;
    // z_m = v_2m + i v_(2m+1), with v the even elements ascending and then the odd ones descending.
    for (let m = 0; m < quarter; m++) {
      plan.re[m] = p[4 * m];
      plan.im[m] = p[4 * m + 2];
      plan.re[half - 1 - m] = p[4 * m + 3];
      plan.im[half - 1 - m] = p[4 * m + 1];
    }
    const z = plan.forward();
    let total = 0;
    for (let k = 0; k < half; k++) {
      const c = k === 0 ? 0 : half - k;
      const ar = z.re[k], ai = z.im[k], br = z.re[c], bi = -z.im[c];
      // Even and odd parts of the real sequence's spectrum at k.
      const er = 0.5 * (ar + br), ei = 0.5 * (ai + bi);
      const or = 0.5 * (ai - bi), oi = -0.5 * (ar - br);
      const vr = er + (this.twRe[k] * or - this.twIm[k] * oi);
      const vi = ei + (this.twRe[k] * oi + this.twIm[k] * or);
      const y = Math.fround(2 * (this.shRe[k] * vr - this.shIm[k] * vi));
      const s = Math.fround(y * y);
      this.sq[k] = s;
      total += s;
    }
    const mean = total / n;
    let best = 0, lag = 0;
    for (let k = 1; k < half; k++) {
      if (this.sq[k] > best) {
        best = this.sq[k];
        lag = k;
      }
    }
    return { score: mean > 0 ? best / mean : 0, lag };
  }
}
