/**
 * The FFT's WebAssembly kernels, assembled from TypeScript (see wasm/emit.ts). Complex data is split
 * (separate real and imaginary arrays) so that one v128 holds four real or four imaginary parts and a
 * complex multiply needs no shuffles. Passes are Stockham radix-4 (plus one radix-2 pass for odd powers
 * of two), reading one buffer and writing the other, so no bit reversal is needed.
 *
 * Determinism: only f32 add, sub and mul (IEEE, round to nearest; core wasm has no fused multiply-add)
 * in a fixed order, so every host gets the same bits.
 *
 * Stockham radix-4 pass over a level of size n = 4m with stride s (element index q + s*j):
 *   a_k = x[q + s*(p + k*m)],  y[q + s*(4p + k)] = DFT4(a)_k * w^(k*p),  w = exp(-2 pi i / n).
 * `r4q` vectorises over q (s >= 4), `r4p` over p (the first pass, s = 1, with a 4x4 transpose on store),
 * `r4s` is scalar (only N = 8 needs it). Twiddles per p are [w1r, w1i, w2r, w2i, w3r, w3i] (r4q, r4s)
 * or the same six as vectors of four consecutive p (r4p).
 */
import { assemble, I, lanes32, locals, T, type Code, type Func } from './wasm/emit.js';

const flat = (...parts: Code[]): Code => parts.flat();
const get = I.get;
const add = (a: Code, b: Code): Code => flat(a, b, I.add);
const mul = (a: Code, b: Code): Code => flat(a, b, I.mul);
const c = I.i32;

interface Ops {
  load: (addr: Code) => Code;
  store: (addr: Code, v: Code) => Code;
  splat: (addr: Code) => Code;
  add: (a: Code, b: Code) => Code;
  sub: (a: Code, b: Code) => Code;
  mul: (a: Code, b: Code) => Code;
  width: number;
  type: T;
}

const vec: Ops = {
  load: (a) => flat(a, I.v128load()),
  store: (a, v) => flat(a, v, I.v128store()),
  splat: (a) => flat(a, I.load32splat()),
  add: (a, b) => flat(a, b, I.f32x4add),
  sub: (a, b) => flat(a, b, I.f32x4sub),
  mul: (a, b) => flat(a, b, I.f32x4mul),
  width: 16,
  type: T.v128,
};

const scalar: Ops = {
  load: (a) => flat(a, I.f32load()),
  store: (a, v) => flat(a, v, I.f32store()),
  splat: (a) => flat(a, I.f32load()),
  add: (a, b) => flat(a, b, I.f32add),
  sub: (a, b) => flat(a, b, I.f32sub),
  mul: (a, b) => flat(a, b, I.f32mul),
  width: 4,
  type: T.f32,
};

/**
 * The radix-4 butterfly on locals a[0..3] (re) and b[0..3] (im); leaves y_k in yr[k], yi[k] (k = 0..3),
 * y_k not yet multiplied by its twiddle for k >= 1.
 */
function butterfly(o: Ops, ar: number[], ai: number[], yr: number[], yi: number[], t: number[]): Code {
  const [t0r, t0i, t1r, t1i, t2r, t2i, t3r, t3i] = t;
  return flat(
    o.add(get(ar[0]), get(ar[2])), I.set(t0r),
    o.add(get(ai[0]), get(ai[2])), I.set(t0i),
    o.sub(get(ar[0]), get(ar[2])), I.set(t1r),
    o.sub(get(ai[0]), get(ai[2])), I.set(t1i),
    o.add(get(ar[1]), get(ar[3])), I.set(t2r),
    o.add(get(ai[1]), get(ai[3])), I.set(t2i),
    // t3 = (a1 - a3) * (-i)
    o.sub(get(ai[1]), get(ai[3])), I.set(t3r),
    o.sub(get(ar[3]), get(ar[1])), I.set(t3i),
    o.add(get(t0r), get(t2r)), I.set(yr[0]),
    o.add(get(t0i), get(t2i)), I.set(yi[0]),
    o.add(get(t1r), get(t3r)), I.set(yr[1]),
    o.add(get(t1i), get(t3i)), I.set(yi[1]),
    o.sub(get(t0r), get(t2r)), I.set(yr[2]),
    o.sub(get(t0i), get(t2i)), I.set(yi[2]),
    o.sub(get(t1r), get(t3r)), I.set(yr[3]),
    o.sub(get(t1i), get(t3i)), I.set(yi[3]),
  );
}

/** (yr + i yi) *= (wr + i wi), in place, via the temporaries u. */
function twiddle(o: Ops, yr: number, yi: number, wr: number, wi: number, u: number): Code {
  return flat(
    o.sub(o.mul(get(yr), get(wr)), o.mul(get(yi), get(wi))), I.set(u),
    o.add(o.mul(get(yr), get(wi)), o.mul(get(yi), get(wr))), I.set(yi),
    get(u), I.set(yr),
  );
}

/** r4q / r4s (xr, xi, yr, yi, tw, s, m): a pass with s >= 4 (vector) or any s (scalar). */
function passQ(name: string, o: Ops): Func {
  const [XR, XI, YR, YI, TW, S, M] = [0, 1, 2, 3, 4, 5, 6];
  const L = locals(7);
  const i = (t: T) => L.take(t);
  const sb = i(T.i32), sb2 = i(T.i32), sb3 = i(T.i32), sb4 = i(T.i32), mb = i(T.i32), mb2 = i(T.i32), mb3 = i(T.i32);
  const twEnd = i(T.i32), ib = i(T.i32), ob = i(T.i32), qb = i(T.i32), a = i(T.i32), b = i(T.i32);
  const w = Array.from({ length: 6 }, () => i(o.type));
  const ar = [0, 1, 2, 3].map(() => i(o.type)), ai = [0, 1, 2, 3].map(() => i(o.type));
  const yr = [0, 1, 2, 3].map(() => i(o.type)), yi = [0, 1, 2, 3].map(() => i(o.type));
  const t = Array.from({ length: 8 }, () => i(o.type));
  const u = i(o.type);
  const quarters = [c(0), get(mb), get(mb2), get(mb3)];
  const outs = [c(0), get(sb), get(sb2), get(sb3)];
  const body = flat(
    flat(get(S), c(2), I.shl), I.set(sb),
    add(get(sb), get(sb)), I.set(sb2),
    add(get(sb2), get(sb)), I.set(sb3),
    add(get(sb2), get(sb2)), I.set(sb4),
    mul(get(M), get(sb)), I.set(mb),
    add(get(mb), get(mb)), I.set(mb2),
    add(get(mb2), get(mb)), I.set(mb3),
    add(get(TW), mul(get(M), c(24))), I.set(twEnd),
    c(0), I.set(ib), c(0), I.set(ob),
    I.loop,
    ...w.map((l, k) => flat(o.splat(add(get(TW), c(4 * k))), I.set(l))),
    c(0), I.set(qb),
    I.loop,
    add(get(ib), get(qb)), I.set(a),
    ...[0, 1, 2, 3].map((k) => flat(
      o.load(add(add(get(XR), get(a)), quarters[k])), I.set(ar[k]),
      o.load(add(add(get(XI), get(a)), quarters[k])), I.set(ai[k]),
    )),
    butterfly(o, ar, ai, yr, yi, t),
    twiddle(o, yr[1], yi[1], w[0], w[1], u),
    twiddle(o, yr[2], yi[2], w[2], w[3], u),
    twiddle(o, yr[3], yi[3], w[4], w[5], u),
    add(get(ob), get(qb)), I.set(b),
    ...[0, 1, 2, 3].map((k) => flat(
      o.store(add(add(get(YR), get(b)), outs[k]), get(yr[k])),
      o.store(add(add(get(YI), get(b)), outs[k]), get(yi[k])),
    )),
    add(get(qb), c(o.width)), I.tee(qb), get(sb), I.ltu, I.brIf(0),
    I.end,
    add(get(TW), c(24)), I.set(TW),
    add(get(ib), get(sb)), I.set(ib),
    add(get(ob), get(sb4)), I.set(ob),
    get(TW), get(twEnd), I.ltu, I.brIf(0),
    I.end,
  );
  return { name, params: [T.i32, T.i32, T.i32, T.i32, T.i32, T.i32, T.i32], locals: L.types, body: [body] };
}

/** r4p (xr, xi, yr, yi, tw, m): the first pass (s = 1), vectorised over p, m a multiple of 4. */
function passP(): Func {
  const [XR, XI, YR, YI, TW, M] = [0, 1, 2, 3, 4, 5];
  const L = locals(6);
  const i = (t: T) => L.take(t);
  const o = vec;
  const qm = i(T.i32), qm2 = i(T.i32), qm3 = i(T.i32), pb = i(T.i32), ob = i(T.i32);
  const w = Array.from({ length: 6 }, () => i(T.v128));
  const ar = [0, 1, 2, 3].map(() => i(T.v128)), ai = [0, 1, 2, 3].map(() => i(T.v128));
  const yr = [0, 1, 2, 3].map(() => i(T.v128)), yi = [0, 1, 2, 3].map(() => i(T.v128));
  const t = Array.from({ length: 8 }, () => i(T.v128));
  const u = i(T.v128);
  const quarters = [c(0), get(qm), get(qm2), get(qm3)];
  const lo = I.shuffle(lanes32([0, 4, 1, 5])), hi = I.shuffle(lanes32([2, 6, 3, 7]));
  const first = I.shuffle(lanes32([0, 1, 4, 5])), second = I.shuffle(lanes32([2, 3, 6, 7]));
  // Rows y0..y3 (lanes = four consecutive p) become four stores of y[4p + 0..3].
  const transposeStore = (base: number, y: number[]): Code => {
    const [t0, t1, t2, t3] = t.slice(0, 4);
    return flat(
      get(y[0]), get(y[1]), lo, I.set(t0),
      get(y[2]), get(y[3]), lo, I.set(t1),
      get(y[0]), get(y[1]), hi, I.set(t2),
      get(y[2]), get(y[3]), hi, I.set(t3),
      o.store(add(get(base), get(ob)), flat(get(t0), get(t1), first)),
      o.store(add(add(get(base), get(ob)), c(16)), flat(get(t0), get(t1), second)),
      o.store(add(add(get(base), get(ob)), c(32)), flat(get(t2), get(t3), first)),
      o.store(add(add(get(base), get(ob)), c(48)), flat(get(t2), get(t3), second)),
    );
  };
  const body = flat(
    flat(get(M), c(2), I.shl), I.set(qm),
    add(get(qm), get(qm)), I.set(qm2),
    add(get(qm2), get(qm)), I.set(qm3),
    c(0), I.set(pb), c(0), I.set(ob),
    I.loop,
    ...w.map((l, k) => flat(o.load(add(get(TW), c(16 * k))), I.set(l))),
    ...[0, 1, 2, 3].map((k) => flat(
      o.load(add(add(get(XR), get(pb)), quarters[k])), I.set(ar[k]),
      o.load(add(add(get(XI), get(pb)), quarters[k])), I.set(ai[k]),
    )),
    butterfly(o, ar, ai, yr, yi, t),
    twiddle(o, yr[1], yi[1], w[0], w[1], u),
    twiddle(o, yr[2], yi[2], w[2], w[3], u),
    twiddle(o, yr[3], yi[3], w[4], w[5], u),
    transposeStore(YR, yr),
    transposeStore(YI, yi),
    add(get(TW), c(96)), I.set(TW),
    add(get(ob), c(64)), I.set(ob),
    add(get(pb), c(16)), I.tee(pb), get(qm), I.ltu, I.brIf(0),
    I.end,
  );
  return { name: 'r4p', params: [T.i32, T.i32, T.i32, T.i32, T.i32, T.i32], locals: L.types, body: [body] };
}

/** r2q (xr, xi, yr, yi, s): the last pass when log2 N is odd (n = 2, no twiddles), s >= 4. */
function passR2(): Func {
  const [XR, XI, YR, YI, S] = [0, 1, 2, 3, 4];
  const L = locals(5);
  const sb = L.take(T.i32), qb = L.take(T.i32), a = L.take(T.v128), b = L.take(T.v128);
  const o = vec;
  const half = (X: number, Y: number): Code => flat(
    o.load(add(get(X), get(qb))), I.set(a),
    o.load(add(add(get(X), get(qb)), get(sb))), I.set(b),
    o.store(add(get(Y), get(qb)), o.add(get(a), get(b))),
    o.store(add(add(get(Y), get(qb)), get(sb)), o.sub(get(a), get(b))),
  );
  const body = flat(
    flat(get(S), c(2), I.shl), I.set(sb),
    c(0), I.set(qb),
    I.loop,
    half(XR, YR), half(XI, YI),
    add(get(qb), c(16)), I.tee(qb), get(sb), I.ltu, I.brIf(0),
    I.end,
  );
  return { name: 'r2q', params: [T.i32, T.i32, T.i32, T.i32, T.i32], locals: L.types, body: [body] };
}

/** power (xr, xi, out, n): out = xr^2 + xi^2, n a multiple of 4. */
function power(): Func {
  const [XR, XI, OUT, N] = [0, 1, 2, 3];
  const L = locals(4);
  const b = L.take(T.i32), end = L.take(T.i32), r = L.take(T.v128), m = L.take(T.v128);
  const o = vec;
  const body = flat(
    flat(get(N), c(2), I.shl), I.set(end),
    c(0), I.set(b),
    I.loop,
    o.load(add(get(XR), get(b))), I.set(r),
    o.load(add(get(XI), get(b))), I.set(m),
    o.store(add(get(OUT), get(b)), o.add(o.mul(get(r), get(r)), o.mul(get(m), get(m)))),
    add(get(b), c(16)), I.tee(b), get(end), I.ltu, I.brIf(0),
    I.end,
  );
  return { name: 'power', params: [T.i32, T.i32, T.i32, T.i32], locals: L.types, body: [body] };
}

/**
 * chirp (re, im, bytes, par): multiplies (re, im)[0 .. bytes/4) in place by a rotator that advances by
 * complex multiplication, two interleaved lanes (even and odd samples) in f64x2. `par` holds six f64x2:
 * w (re, im) for samples 0 and 1, their steps r over two samples, and q (splat) by which r advances.
 * Every op is an IEEE f64 add/sub/mul, so spikes.ts's JavaScript version gives the same bits.
 */
function chirp(): Func {
  const [RE, IM, BYTES, PAR] = [0, 1, 2, 3];
  const L = locals(4);
  const b = L.take(T.i32);
  const [wr, wi, rr, ri, qr, qi, dr, di, t] = Array.from({ length: 9 }, () => L.take(T.v128));
  const m = (x: Code, y: Code) => flat(x, y, I.f64x2mul);
  const a = (x: Code, y: Code) => flat(x, y, I.f64x2add);
  const s = (x: Code, y: Code) => flat(x, y, I.f64x2sub);
  const body = flat(
    ...[wr, wi, rr, ri, qr, qi].map((l, k) => flat(add(get(PAR), c(16 * k)), I.v128load(), I.set(l))),
    c(0), I.set(b),
    I.loop,
    add(get(RE), get(b)), I.load64zero(), I.promoteLow, I.set(dr),
    add(get(IM), get(b)), I.load64zero(), I.promoteLow, I.set(di),
    add(get(RE), get(b)), s(m(get(dr), get(wr)), m(get(di), get(wi))), I.demoteZero, I.store64lane(0),
    add(get(IM), get(b)), a(m(get(dr), get(wi)), m(get(di), get(wr))), I.demoteZero, I.store64lane(0),
    s(m(get(wr), get(rr)), m(get(wi), get(ri))), I.set(t),
    a(m(get(wr), get(ri)), m(get(wi), get(rr))), I.set(wi),
    get(t), I.set(wr),
    s(m(get(rr), get(qr)), m(get(ri), get(qi))), I.set(t),
    a(m(get(rr), get(qi)), m(get(ri), get(qr))), I.set(ri),
    get(t), I.set(rr),
    add(get(b), c(8)), I.tee(b), get(BYTES), I.ltu, I.brIf(0),
    I.end,
  );
  return { name: 'chirp', params: [T.i32, T.i32, T.i32, T.i32], locals: L.types, body: [body] };
}

/**
 * stats (p, n, out): out[0] (f64) = sum of p[0 .. n) in two f64x2 accumulators (lanes 0,1 and 2,3),
 * out[8] (f32) = max of p[4 .. n) (the caller covers bins 1..3; bin 0, DC, is never a candidate).
 */
function stats(): Func {
  const [P, N, OUT] = [0, 1, 2];
  const L = locals(3);
  const b = L.take(T.i32), end = L.take(T.i32);
  const [v, s0, s1, mx] = Array.from({ length: 4 }, () => L.take(T.v128));
  const hiHalf = I.shuffle(lanes32([2, 3, 2, 3]));
  const body = flat(
    flat(get(N), c(2), I.shl), I.set(end),
    I.v128const0, I.set(mx),
    // Bins 0..3 go into the sums only; the loop (n >= 8, so it runs) adds the rest and their maximum.
    get(P), I.v128load(), I.set(v),
    get(v), I.promoteLow, I.set(s0),
    get(v), get(v), hiHalf, I.promoteLow, I.set(s1),
    c(16), I.set(b),
    I.loop,
    add(get(P), get(b)), I.v128load(), I.set(v),
    get(s0), get(v), I.promoteLow, I.f64x2add, I.set(s0),
    get(s1), get(v), get(v), hiHalf, I.promoteLow, I.f64x2add, I.set(s1),
    get(mx), get(v), I.f32x4pmax, I.set(mx),
    add(get(b), c(16)), I.tee(b), get(end), I.ltu, I.brIf(0),
    I.end,
    get(OUT),
    get(s0), I.f64x2extract(0), get(s0), I.f64x2extract(1), I.f64add,
    get(s1), I.f64x2extract(0), get(s1), I.f64x2extract(1), I.f64add, I.f64add,
    I.f64store(),
    add(get(OUT), c(8)),
    get(mx), I.f32x4extract(0), get(mx), I.f32x4extract(1), I.f32max,
    get(mx), I.f32x4extract(2), get(mx), I.f32x4extract(3), I.f32max, I.f32max,
    I.f32store(),
  );
  return { name: 'stats', params: [T.i32, T.i32, T.i32], locals: L.types, body: [body] };
}

export function fftModuleBytes(): Uint8Array<ArrayBuffer> {
  return assemble([passQ('r4q', vec), passQ('r4s', scalar), passP(), passR2(), power(), chirp(), stats()]);
}

export interface FftExports {
  r4q(xr: number, xi: number, yr: number, yi: number, tw: number, s: number, m: number): void;
  r4s(xr: number, xi: number, yr: number, yi: number, tw: number, s: number, m: number): void;
  r4p(xr: number, xi: number, yr: number, yi: number, tw: number, m: number): void;
  r2q(xr: number, xi: number, yr: number, yi: number, s: number): void;
  power(xr: number, xi: number, out: number, n: number): void;
  chirp(re: number, im: number, bytes: number, par: number): void;
  stats(p: number, n: number, out: number): void;
}
