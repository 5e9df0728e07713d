/**
 * The log of the upper regularised incomplete gamma function, Q(a, x) = Γ(a, x) / Γ(a), and its
 * inverse in x. SETI@home sizes its pulse thresholds with them (a fold of n powers of exponential noise
 * is gamma-distributed with shape n: the threshold is the x where log Q(n, x) = -pulse_thresh -
 * log(periods tried)) and scores Gaussians by them (chi-square is a gamma variate too).
 *
 * Thresholds decide what a unit reports, so every host must compute the same bits: only IEEE add, sub,
 * mul, div and the project's deterministic log and exp (synthetic.ts) are used, never Math.log/exp,
 * whose last bits are implementation-defined.
 */
import { detExp, detLog } from './synthetic.js';

const HALF_LN_2PI = 0.9189385332046727;

/** ln Γ(a), a > 0: Stirling's series at a + k >= 12, shifted back by the recurrence. */
export function lnGamma(a: number): number {
  if (!(a > 0)) throw new RangeError(`lnGamma needs a > 0, not ${a}`);
  let shift = 0;
  let z = a;
  while (z < 12) {
    shift += detLog(z);
    z += 1;
  }
  const inv = 1 / z, inv2 = inv * inv;
  const series = inv * (1 / 12 - inv2 * (1 / 360 - inv2 * (1 / 1260 - inv2 * (1 / 1680 - inv2 / 1188))));
  return (z - 0.5) * detLog(z) - z + HALF_LN_2PI + series - shift;
}

/**
 * ln Q(a, x) for x > a + 1, from the continued fraction for Γ(a, x) (modified Lentz): converges fast
 * there, and x <= a + 1 never occurs in a threshold or a score.
 */
export function lnUpperGamma(a: number, x: number): number {
  if (!(x > a + 1 - 1e-9)) throw new RangeError(`lnUpperGamma(a, x) needs x > a + 1, not a = ${a}, x = ${x}`);
  const tiny = 1e-300;
  let b = x + 1 - a;
  let c = 1 / tiny;
  let d = 1 / b;
  let h = d;
  for (let i = 1; i < 100_000; i++) {
    const an = -i * (i - a);
    b += 2;
    d = an * d + b;
    if (Math.abs(d) < tiny) d = tiny;
    c = b + an / c;
    if (Math.abs(c) < tiny) c = tiny;
    d = 1 / d;
    const del = d * c;
    h *= del;
    if (Math.abs(del - 1) < 1e-15) break;
  }
  return detLog(h) - x + a * detLog(x) - lnGamma(a);
}

/** The x > a + 1 where ln Q(a, x) = y (y < 0): bisection to a relative 1e-12, monotone in x. */
export function inverseLnUpperGamma(y: number, a: number): number {
  let lo = a + 1;
  if (lnUpperGamma(a, lo) <= y) return lo;
  let hi = 2 * lo;
  while (lnUpperGamma(a, hi) > y) hi *= 2;
  while (hi - lo > 1e-12 * hi) {
    const mid = 0.5 * (lo + hi);
    if (lnUpperGamma(a, mid) > y) lo = mid;
    else hi = mid;
  }
  return 0.5 * (lo + hi);
}

export { detExp, detLog };
