/**
 * SETI@home's autocorrelation search: the autocorrelation of one de-chirped power spectrum, taken as
 * the DCT-II of the spectrum (FFTW's REDFT10, Y_k = 2 sum_n x_n cos(pi (n + 1/2) k / N)), squared. Over
 * delays 1 .. N/2 - 1 its peak, divided by the mean (sum of the squares over delays 0 .. N/2 - 1, over N),
 * is the score; the delay is reported as k / sample rate, as SETI@home does. A signal whose power repeats
 * across the band (an echo: a copy of itself delayed by tau) shows as a peak at that delay.
 *
 * The DCT runs on the wasm FFT: v_n = x_2n, v_(N-1-n) = x_(2n+1), V = FFT(v), Y_k = 2 Re(e^(-i pi k / 2N) V_k),
 * with the twiddles from `cisCycles` (double add/sub/mul only), so every host gets the same bits.
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
  private readonly cos: Float64Array;
  private readonly sin: Float64Array;
  private readonly sq: Float64Array;

  constructor(readonly n: number) {
    this.plan = new Fft(n);
    const half = n / 2;
    this.cos = new Float64Array(half);
    this.sin = new Float64Array(half);
    this.sq = new Float64Array(half);
    const cs = new Float64Array(2);
    for (let k = 0; k < half; k++) {
      cisCycles(-k / (4 * n), cs);
      this.cos[k] = cs[0];
      this.sin[k] = cs[1];
    }
  }

  /** The squared autocorrelation's peak over delays 1 .. N/2 - 1 of power spectrum `p` (length n). */
  peak(p: Float32Array): AutocorrPeak {
    const { n, plan } = this;
    const half = n / 2;
    for (let i = 0; i < half; i++) {
      plan.re[i] = p[2 * i];
      plan.re[n - 1 - i] = p[2 * i + 1];
    }
    plan.im.fill(0);
    const v = plan.forward();
    let total = 0;
    for (let k = 0; k < half; k++) {
      // Y_k = 2 Re((cos - i sin)(V_k)), the twiddle being e^(-i pi k / 2N) = cis(-k / 4N cycles).
      const y = Math.fround(2 * (this.cos[k] * v.re[k] - this.sin[k] * v.im[k]));
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
