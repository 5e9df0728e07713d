/**
 * Complex single-precision FFT for power-of-two lengths 8..2^20, on WebAssembly SIMD kernels
 * (fft-wasm.ts). Bit-identical on every host: the kernels use IEEE f32 add/sub/mul only, and the
 * twiddles come from `cisCycles`, which uses double add/sub/mul only (Math.sin/cos are not specified
 * to the last bit, so two JavaScript engines could disagree).
 *
 * Convention: forward X[k] = sum_n x[n] exp(-2 pi i k n / N), unnormalised; inverse uses exp(+...) and is
 * also unnormalised. Data are split: separate real and imaginary Float32Arrays.
 */
import { fftModuleBytes, type FftExports } from './fft-wasm.js';

export const MIN_FFT = 8;
export const MAX_FFT = 1 << 20;

// Taylor coefficients 1/k! for the octant-reduced sine and cosine (|x| <= pi/4: error < 1e-16).
const INV_FACT: number[] = [1];
for (let k = 1; k <= 20; k++) INV_FACT.push(INV_FACT[k - 1] / k);
const QUARTER_PI = Math.PI / 4;

function sinCosSmall(x: number, out: Float64Array): void {
  const x2 = x * x;
  let s = INV_FACT[19];
  for (let k = 17; k >= 1; k -= 2) s = s * x2 * -1 + INV_FACT[k];
  let cs = INV_FACT[20];
  for (let k = 18; k >= 0; k -= 2) cs = cs * x2 * -1 + INV_FACT[k];
  out[0] = cs;
  out[1] = s * x;
}

/** (cos, sin) of 2 pi f for f in cycles, from double add/sub/mul only, so every host agrees. */
export function cisCycles(f: number, out: Float64Array = new Float64Array(2)): Float64Array {
  const t = (f - Math.floor(f)) * 8;
  const o = Math.floor(t);
  const r = t - o;
  const odd = (o & 1) === 1;
  sinCosSmall((odd ? 1 - r : r) * QUARTER_PI, out);
  const a = out[0], b = out[1]; // cos, sin of the reduced angle
  let co: number, si: number;
  switch (o) {
    case 0: co = a; si = b; break;
    case 1: co = b; si = a; break;
    case 2: co = -b; si = a; break;
    case 3: co = -a; si = b; break;
    case 4: co = -a; si = -b; break;
    case 5: co = -b; si = -a; break;
    case 6: co = b; si = -a; break;
    default: co = a; si = -b; break;
  }
  out[0] = co;
  out[1] = si;
  return out;
}

let compiled: WebAssembly.Module | undefined;
function module(): WebAssembly.Module {
  compiled ??= new WebAssembly.Module(fftModuleBytes());
  return compiled;
}

export function isSupportedLength(n: number): boolean {
  return Number.isInteger(n) && n >= MIN_FFT && n <= MAX_FFT && (n & (n - 1)) === 0;
}

type Pass =
  | { op: 'r4p'; tw: number; m: number }
  | { op: 'r4q' | 'r4s'; tw: number; s: number; m: number }
  | { op: 'r2q'; s: number };

/**
 * A plan for one length: its own wasm memory holding the input (re/im), a scratch pair, a power
 * spectrum, the twiddles and a few parameters. Write into `re`/`im`, call `forward()` or `inverse()`, read the views it returns. The
 * input arrays are overwritten (the passes ping-pong between the two buffers).
 */
export class Fft {
  readonly n: number;
  readonly re: Float32Array;
  readonly im: Float32Array;
  /** Scratch for `power()`; also usable by callers between transforms. */
  readonly powerOut: Float32Array;
  private readonly k: FftExports;
  private readonly passes: Pass[] = [];
  private readonly bufs: Float32Array[];
  /** Parameters of `chirp()`: six f64x2 (w.re, w.im, r.re, r.im, q.re, q.im), lanes = even/odd samples. */
  readonly chirpParams: Float64Array;
  private readonly statsOut: { sum: Float64Array; max: Float32Array };
  private readonly addr: { xr: number; xi: number; yr: number; yi: number; pw: number; sc: number };

  constructor(n: number) {
    if (!isSupportedLength(n)) throw new RangeError(`FFT length ${n} is not a power of two in ${MIN_FFT}..${MAX_FFT}`);
    this.n = n;
    const bytes = 4 * n;
    const xr = 0, xi = bytes, yr = 2 * bytes, yi = 3 * bytes, pw = 4 * bytes, tw0 = 5 * bytes;
    const twFloats = this.planPasses(tw0);
    const sc = tw0 + 4 * twFloats;
    const total = sc + 256;
    const memory = new WebAssembly.Memory({ initial: Math.ceil(total / 65536) + 1 });
    this.k = new WebAssembly.Instance(module(), { env: { mem: memory } }).exports as unknown as FftExports;
    const f = new Float32Array(memory.buffer);
    this.fillTwiddles(f);
    this.addr = { xr, xi, yr, yi, pw, sc };
    this.chirpParams = new Float64Array(memory.buffer, sc, 12);
    this.statsOut = { sum: new Float64Array(memory.buffer, sc + 128, 1), max: new Float32Array(memory.buffer, sc + 136, 1) };
    this.bufs = [xr, xi, yr, yi].map((a) => f.subarray(a / 4, a / 4 + n));
    this.re = this.bufs[0];
    this.im = this.bufs[1];
    this.powerOut = f.subarray(pw / 4, pw / 4 + n);
  }

  /** Lays out the passes and their twiddle tables; returns how many floats of twiddles there are. */
  private planPasses(tw0: number): number {
    let n = this.n, s = 1, floats = 0;
    while (n >= 4) {
      const m = n / 4;
      const tw = tw0 + 4 * floats;
      if (s === 1 && m >= 4) this.passes.push({ op: 'r4p', tw, m });
      else this.passes.push({ op: s >= 4 ? 'r4q' : 'r4s', tw, s, m });
      floats += 6 * m;
      n = m;
      s *= 4;
    }
    if (n === 2) this.passes.push({ op: 'r2q', s });
    return floats;
  }

  private fillTwiddles(f: Float32Array): void {
    const cs = new Float64Array(2);
    let n = this.n;
    for (const pass of this.passes) {
      if (pass.op === 'r2q') break;
      const base = pass.tw / 4;
      for (let p = 0; p < pass.m; p++) {
        for (let k = 1; k <= 3; k++) {
          cisCycles(-((k * p) % n) / n, cs);
          // r4p wants each of the six values as a vector over 4 consecutive p; the others per p.
          const [ir, ii] = pass.op === 'r4p'
            ? [base + (p >> 2) * 24 + (2 * k - 2) * 4 + (p & 3), base + (p >> 2) * 24 + (2 * k - 1) * 4 + (p & 3)]
            : [base + p * 6 + 2 * k - 2, base + p * 6 + 2 * k - 1];
          f[ir] = cs[0];
          f[ii] = cs[1];
        }
      }
      n /= 4;
    }
  }

  /** Runs the passes from the input pair (swapped for the inverse); returns which pair holds the result. */
  private run(swap: boolean): number {
    const { xr, xi, yr, yi } = this.addr;
    const pairs = swap ? [[xi, xr], [yi, yr]] : [[xr, xi], [yr, yi]];
    let from = 0;
    for (const p of this.passes) {
      const [ar, ai] = pairs[from], [br, bi] = pairs[1 - from];
      switch (p.op) {
        case 'r4p': this.k.r4p(ar, ai, br, bi, p.tw, p.m); break;
        case 'r4q': this.k.r4q(ar, ai, br, bi, p.tw, p.s, p.m); break;
        case 'r4s': this.k.r4s(ar, ai, br, bi, p.tw, p.s, p.m); break;
        case 'r2q': this.k.r2q(ar, ai, br, bi, p.s); break;
      }
      from = 1 - from;
    }
    return from;
  }

  forward(): { re: Float32Array; im: Float32Array } {
    const at = this.run(false);
    return { re: this.bufs[2 * at], im: this.bufs[2 * at + 1] };
  }

  /** Unnormalised inverse: swapping re and im turns the forward transform into the inverse. */
  inverse(): { re: Float32Array; im: Float32Array } {
    const at = this.run(true);
    return { re: this.bufs[2 * at], im: this.bufs[2 * at + 1] };
  }

  /** Forward transform, then |X|^2 into `powerOut` (returned). */
  power(): Float32Array {
    const at = this.run(false);
    const { xr, xi, yr, yi, pw } = this.addr;
    this.k.power(at ? yr : xr, at ? yi : xi, pw, this.n);
    return this.powerOut;
  }

  /**
   * Multiplies input elements [offset, offset + count) in place by the rotator in `chirpParams`
   * (count even): lanes 0 and 1 are even and odd samples; see spikes.ts `dechirpInto`.
   */
  chirp(offset: number, count: number): void {
    const { xr, xi, sc } = this.addr;
    this.k.chirp(xr + 4 * offset, xi + 4 * offset, 4 * count, sc);
  }

  /** Sum of `powerOut` and its maximum over bins 1..n-1 (after `power()`). */
  stats(): { total: number; peak: number } {
    const { pw, sc } = this.addr;
    this.k.stats(pw, this.n, sc + 128);
    const p = this.powerOut;
    let peak = this.statsOut.max[0];
    for (let k = 1; k < 4; k++) if (p[k] > peak) peak = p[k];
    return { total: this.statsOut.sum[0], peak };
  }
}

const plans = new Map<number, Fft>();
/** A shared plan per length (kernels are single-threaded; one plan per worker thread per length). */
export function fftPlan(n: number): Fft {
  let p = plans.get(n);
  if (!p) plans.set(n, (p = new Fft(n)));
  return p;
}

/** Convenience: forward FFT of interleaved (re, im) data, returning interleaved output. */
export function fftInterleaved(data: Float32Array, inverse = false): Float32Array {
  const n = data.length / 2;
  const p = fftPlan(n);
  for (let i = 0; i < n; i++) {
    p.re[i] = data[2 * i];
    p.im[i] = data[2 * i + 1];
  }
  const r = inverse ? p.inverse() : p.forward();
  const out = new Float32Array(2 * n);
  for (let i = 0; i < n; i++) {
    out[2 * i] = r.re[i];
    out[2 * i + 1] = r.im[i];
  }
  return out;
}
