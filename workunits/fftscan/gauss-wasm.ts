/**
 * The Gaussian search's sliding fit on WebAssembly SIMD: for two offsets t at a time (f64x2), the true
 * mean (the PoT's mean without 2 sigma either side of t, from prefix sums) and the peak (the beam-weighted
 * sum over +-sigma, scaled to the Gaussian's height). The operations are gaussian.ts's, in the same
 * order, in IEEE double (wasm has no fused multiply-add), so the kernel's results are bit for bit those of
 * the JavaScript it replaces (`gaussian.test`'s reference). The chi-squares, needed for few offsets,
 * stay in JavaScript.
 *
 * Memory (f64 unless said): p[potLength + pad], prefix[potLength + 1 + pad], lo and hi (i32 byte
 * offsets into prefix, per t), count (per t), constants [norm, wsum, scale, w0 .. wS], mean[t], peak[t].
 */
import { assemble, I, locals, T, type Code, type Func } from './wasm/emit.js';

const flat = (...parts: Code[]): Code => parts.flat();
const get = I.get;
const add = (a: Code, b: Code): Code => flat(a, b, I.add);

/** offsets (layout, t0, pairs, sigma): mean and peak for t = t0 .. t0 + 2 pairs - 1. */
function offsets(): Func {
  const [LAYOUT, T0, PAIRS, SIGMA] = [0, 1, 2, 3];
  const L = locals(4);
  const P = L.take(T.i32), PRE = L.take(T.i32), LO = L.take(T.i32), HI = L.take(T.i32), CNT = L.take(T.i32);
  const CON = L.take(T.i32), MEAN = L.take(T.i32), PEAK = L.take(T.i32);
  const q = L.take(T.i32), bt = L.take(T.i32), bi = L.take(T.i32), d = L.take(T.i32), db = L.take(T.i32);
  const pl = L.take(T.v128), ph = L.take(T.v128), mean = L.take(T.v128), ws = L.take(T.v128), peak = L.take(T.v128);
  const field = (i: number) => flat(get(LAYOUT), I.i32load(4 * i));
  /** Both lanes of prefix[...] for t and t + 1 through the per-t byte offsets in `idx`. */
  const gather = (idx: number) => flat(
    add(get(PRE), flat(add(get(idx), get(bi)), I.i32load())), I.load64splat(),
    add(get(PRE), flat(add(get(idx), get(bi)), I.i32load(4))), I.f64load(), I.f64x2replace(1),
  );
  const con = (i: number) => flat(get(CON), I.load64splat(8 * i));
  const body = flat(
    field(0), I.set(P), field(1), I.set(PRE), field(2), I.set(LO), field(3), I.set(HI),
    field(4), I.set(CNT), field(5), I.set(CON), field(6), I.set(MEAN), field(7), I.set(PEAK),
    I.i32(0), I.set(q),
    I.block, I.loop,
    get(q), get(PAIRS), I.geu, I.brIf(1),
    // t = t0 + 2q: bt its f64 byte offset, bi its i32 byte offset.
    flat(add(get(T0), flat(get(q), I.i32(1), I.shl)), I.i32(3), I.shl), I.set(bt),
    flat(add(get(T0), flat(get(q), I.i32(1), I.shl)), I.i32(2), I.shl), I.set(bi),
    gather(LO), I.set(pl),
    gather(HI), I.set(ph),
    // mean = (norm - (prefix[hi] - prefix[lo])) / count
    con(0), get(ph), get(pl), I.f64x2sub, I.f64x2sub,
    add(get(CNT), get(bt)), I.v128load(), I.f64x2div, I.set(mean),
    // ws = p[t] w0 + sum_d (p[t - d] + p[t + d]) w_d
    add(get(P), get(bt)), I.v128load(), con(3), I.f64x2mul, I.set(ws),
    I.i32(1), I.set(d),
    I.block, I.loop,
    get(SIGMA), get(d), I.ltu, I.brIf(1),
    flat(get(d), I.i32(3), I.shl), I.set(db),
    get(ws),
    flat(get(P), get(bt), I.add, get(db), I.sub), I.v128load(),
    add(add(get(P), get(bt)), get(db)), I.v128load(),
    I.f64x2add,
    flat(get(CON), add(get(db), I.i32(24)), I.add), I.load64splat(),
    I.f64x2mul, I.f64x2add, I.set(ws),
    add(get(d), I.i32(1)), I.set(d),
    I.br(0),
    I.end, I.end,
    // peak = (ws - mean wsum) scale
    get(ws), get(mean), con(1), I.f64x2mul, I.f64x2sub, con(2), I.f64x2mul, I.set(peak),
    add(get(MEAN), get(bt)), get(mean), I.v128store(),
    add(get(PEAK), get(bt)), get(peak), I.v128store(),
    add(get(q), I.i32(1)), I.set(q),
    I.br(0),
    I.end, I.end,
  );
  return { name: 'offsets', params: [T.i32, T.i32, T.i32, T.i32], locals: L.types, body: [body] };
}

let compiled: WebAssembly.Module | undefined;

/** One Gaussian set-up's kernel and its memory: write `p`, `prefix` and `setNorm`, then `run`. */
export class GaussOffsets {
  readonly p: Float64Array;
  readonly prefix: Float64Array;
  readonly mean: Float64Array;
  readonly peak: Float64Array;
  private readonly consts: Float64Array;
  private readonly run_: (layout: number, t0: number, pairs: number, sigma: number) => void;
  private readonly pairs: number;

  constructor(potLength: number, private readonly tStart: number, tStop: number, private readonly iSigma: number, weights: Float64Array, weightSum: number, scale: number) {
    compiled ??= new WebAssembly.Module(assemble([offsets()]));
    const n = potLength + 2 * iSigma + 16;
    const f64Bytes = 8 * n;
    let at = 64;
    const take = (bytes: number) => {
      const here = at;
      at += Math.ceil(bytes / 16) * 16;
      return here;
    };
    // p is read iSigma either side of every offset: keep room before it too.
    const pAt = take(f64Bytes) + 8 * iSigma;
    const preAt = take(f64Bytes), loAt = take(4 * n), hiAt = take(4 * n), cntAt = take(f64Bytes);
    const conAt = take(8 * (4 + iSigma)), meanAt = take(f64Bytes), peakAt = take(f64Bytes);
    const memory = new WebAssembly.Memory({ initial: Math.ceil(at / 65536) + 1 });
    this.run_ = (new WebAssembly.Instance(compiled, { env: { mem: memory } }).exports as unknown as { offsets: GaussOffsets['run_'] }).offsets;
    const buf = memory.buffer;
    new Int32Array(buf, 0, 8).set([pAt, preAt, loAt, hiAt, cntAt, conAt, meanAt, peakAt]);
    this.p = new Float64Array(buf, pAt, potLength);
    this.prefix = new Float64Array(buf, preAt, potLength + 1);
    this.mean = new Float64Array(buf, meanAt, n);
    this.peak = new Float64Array(buf, peakAt, n);
    const lo = new Int32Array(buf, loAt, n), hi = new Int32Array(buf, hiAt, n), cnt = new Float64Array(buf, cntAt, n);
    const reach = 2 * iSigma;
    for (let t = 0; t < n; t++) {
      const l = Math.max(t - reach, 0), h = Math.min(t + reach + 1, potLength);
      lo[t] = 8 * l;
      hi[t] = 8 * h;
      cnt[t] = potLength - (h - l);
    }
    this.consts = new Float64Array(buf, conAt, 4 + iSigma);
    this.consts[1] = weightSum;
    this.consts[2] = scale;
    for (let d = 0; d <= iSigma; d++) this.consts[3 + d] = weights[d];
    this.pairs = Math.ceil((tStop - tStart) / 2);
  }

  /** mean[t] and peak[t] for every offset (and one past the end when their count is odd). */
  run(norm: number): void {
    this.consts[0] = norm;
    this.run_(0, this.tStart, this.pairs, this.iSigma);
  }
}
