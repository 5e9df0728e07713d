/**
 * The pulse search's folding sums on WebAssembly SIMD (assembled here with wasm/emit.ts, as the FFT's
 * kernels are). `foldK` adds K shifted copies of an array, dst[i] = s1[i] + s2[i] + ... for i < n, four
 * i per f32x4, the copies added in the client's order (first + second, then + third ...), and stores the
 * largest sum. A segment's whole search is a plan of such folds (pulses.ts: every period, then each
 * fold halved again and again) that `run` executes in one call, leaving each fold's peak in `peaks`.
 * Only IEEE f32 add and max, so every host gets the same bits; `JsFolder` is the scalar reference the
 * tests hold it to.
 */
import { assemble, I, locals, T, type Code, type Func } from './wasm/emit.js';

const flat = (...parts: Code[]): Code => parts.flat();
const get = I.get;
const add = (a: Code, b: Code): Code => flat(a, b, I.add);

/**
 * fold (dst, n, out, s1, ..., sK): dst[i] = s1[i] + ... + sK[i] for i < n (byte addresses of
 * f32 arrays; unaligned is fine), max over i stored (f32) at `out`.
 */
function foldK(k: number): Func {
  const DST = 0, N = 1, OUT = 2, SRC = [3, 4, 5, 6, 7].slice(0, k);
  const L = locals(3 + k);
  const i = L.take(T.i32), end4 = L.take(T.i32), end = L.take(T.i32), v = L.take(T.v128), mx = L.take(T.v128), s = L.take(T.f32), sm = L.take(T.f32);
  /** for (; i < limit; i += stride) body */
  const upTo = (limit: number, stride: number, body: Code): Code => flat(
    I.block, I.loop,
    get(i), get(limit), I.geu, I.brIf(1),
    body,
    add(get(i), I.i32(stride)), I.set(i),
    I.br(0),
    I.end, I.end,
  );
  const vsum = flat(...SRC.map((src, j) => flat(add(get(src), get(i)), I.v128load(), j ? I.f32x4add : [])));
  const ssum = flat(...SRC.map((src, j) => flat(add(get(src), get(i)), I.f32load(), j ? I.f32add : [])));
  const body = flat(
    flat(get(N), I.i32(2), I.shl), I.set(end),
    flat(get(end), I.i32(-16), I.and), I.set(end4),
    I.i32(0), I.set(i),
    I.v128const0, I.set(mx),
    upTo(end4, 16, flat(
      vsum, I.set(v),
      add(get(DST), get(i)), get(v), I.v128store(),
      get(mx), get(v), I.f32x4pmax, I.set(mx),
    )),
    I.f32const0, I.set(sm),
    upTo(end, 4, flat(
      ssum, I.set(s),
      add(get(DST), get(i)), get(s), I.f32store(),
      get(sm), get(s), I.f32max, I.set(sm),
    )),
    get(OUT),
    get(mx), I.f32x4extract(0), get(mx), I.f32x4extract(1), I.f32max,
    get(mx), I.f32x4extract(2), get(mx), I.f32x4extract(3), I.f32max, I.f32max,
    get(sm), I.f32max,
    I.f32store(),
  );
  return { name: `fold${k}`, params: Array<T>(3 + k).fill(T.i32), locals: L.types, body: [body] };
}

/** run (plan, count, peaks): for each 32-byte entry [k, dst, n, s1 .. s5], foldK into dst, peak at peaks[e]. */
function runPlan(): Func {
  const PLAN = 0, COUNT = 1, PEAKS = 2;
  const e = 3, base = 4, k = 5;
  const field = (i: number) => flat(get(base), I.i32load(4 * i));
  const arm = (n: number, fn: number) => flat(
    get(k), I.i32(n), I.eq, I.if_,
    field(1), field(2), add(get(PEAKS), flat(get(e), I.i32(2), I.shl)), ...Array.from({ length: n }, (_, j) => field(3 + j)), I.call(fn),
    I.end,
  );
  const body = flat(
    I.i32(0), I.set(e),
    I.block, I.loop,
    get(e), get(COUNT), I.geu, I.brIf(1),
    add(get(PLAN), flat(get(e), I.i32(5), I.shl)), I.set(base),
    field(0), I.set(k),
    arm(2, 0), arm(3, 1), arm(4, 2), arm(5, 3),
    add(get(e), I.i32(1)), I.set(e),
    I.br(0),
    I.end, I.end,
  );
  return { name: 'run', params: [T.i32, T.i32, T.i32], locals: [T.i32, T.i32, T.i32], body: [body] };
}

interface FoldExports {
  run(plan: number, count: number, peaks: number): void;
  fold2(dst: number, n: number, out: number, a: number, b: number): void;
  fold3(dst: number, n: number, out: number, a: number, b: number, c: number): void;
  fold4(dst: number, n: number, out: number, a: number, b: number, c: number, d: number): void;
  fold5(dst: number, n: number, out: number, a: number, b: number, c: number, d: number, e: number): void;
}

let compiled: WebAssembly.Module | undefined;

/**
 * A fold plan: step e adds `copies[e]` copies of source level `src[e]` (-1: the segment itself) at
 * element offsets `offsets[e * 5 ..]` (the first is 0) into level `level[e]`, `n[e]` elements.
 */
export interface FoldPlan {
  count: number;
  copies: Int32Array;
  level: Int32Array;
  src: Int32Array;
  n: Int32Array;
  offsets: Int32Array;
}

/** Runs fold plans on one segment at a time. */
export interface Folder {
  load(x: Float32Array): void;
  /** Every step of the plan; returns each step's peak (valid until the next call). */
  run(plan: FoldPlan): Float32Array;
}

/** The SIMD folder, for segments of up to `maxLen` elements. */
export class WasmFolder implements Folder {
  private readonly k: FoldExports;
  private readonly memory: WebAssembly.Memory;
  private f32: Float32Array;
  private readonly levelAt: number[] = [];
  private readonly planAt: number;
  private encoded: FoldPlan | null = null;
  private peaksAt = 0;

  constructor(maxLen: number) {
    compiled ??= new WebAssembly.Module(assemble([foldK(2), foldK(3), foldK(4), foldK(5), runPlan()]));
    const round = (b: number) => Math.ceil(b / 16) * 16;
    // The segment, then the levels (each at most half the one before), then the plan and the peaks.
    let at = round(4 * maxLen + 64);
    for (let size = maxLen, j = 0; j < 24; j++, size = Math.ceil(size / 2)) {
      this.levelAt.push(at);
      at += round(4 * size + 64);
    }
    this.planAt = at;
    this.memory = new WebAssembly.Memory({ initial: Math.ceil((at + 64) / 65536) });
    this.k = new WebAssembly.Instance(compiled, { env: { mem: this.memory } }).exports as unknown as FoldExports;
    this.f32 = new Float32Array(this.memory.buffer);
  }

  load(x: Float32Array): void {
    this.f32.set(x, 0);
  }

  private encode(plan: FoldPlan): void {
    const bytes = plan.count * 36 + 64;
    const need = this.planAt + bytes - this.memory.buffer.byteLength;
    if (need > 0) this.memory.grow(Math.ceil(need / 65536));
    const i32 = new Int32Array(this.memory.buffer);
    this.f32 = new Float32Array(this.memory.buffer);
    for (let e = 0; e < plan.count; e++) {
      const w = this.planAt / 4 + 8 * e;
      const src = plan.src[e] < 0 ? 0 : this.levelAt[plan.src[e]];
      i32[w] = plan.copies[e];
      i32[w + 1] = this.levelAt[plan.level[e]];
      i32[w + 2] = plan.n[e];
      for (let c = 0; c < 5; c++) i32[w + 3 + c] = c < plan.copies[e] ? src + 4 * plan.offsets[5 * e + c] : 0;
    }
    this.peaksAt = this.planAt + 32 * plan.count;
    this.encoded = plan;
  }

  run(plan: FoldPlan): Float32Array {
    if (this.encoded !== plan) this.encode(plan);
    this.k.run(this.planAt, plan.count, this.peaksAt);
    return this.f32.subarray(this.peaksAt / 4, this.peaksAt / 4 + plan.count);
  }

  /** Level j's folded array after `run` (tests). */
  level(j: number, n: number): Float32Array {
    return this.f32.slice(this.levelAt[j] / 4, this.levelAt[j] / 4 + n);
  }
}

/** The same sums in scalar JavaScript (Math.fround after each add, as f32 does). */
export class JsFolder implements Folder {
  private x = new Float32Array(0);
  private readonly levels: Float32Array[] = [];
  private peaks = new Float32Array(0);

  load(x: Float32Array): void {
    this.x = x.slice();
  }

  run(plan: FoldPlan): Float32Array {
    if (this.peaks.length < plan.count) this.peaks = new Float32Array(plan.count);
    for (let e = 0; e < plan.count; e++) {
      const n = plan.n[e], lv = plan.level[e];
      if (!this.levels[lv] || this.levels[lv].length < n) this.levels[lv] = new Float32Array(Math.max(n, 16));
      const d = this.levels[lv], src = plan.src[e] < 0 ? this.x : this.levels[plan.src[e]];
      let peak = 0;
      for (let i = 0; i < n; i++) {
        let s = src[i + plan.offsets[5 * e]];
        for (let c = 1; c < plan.copies[e]; c++) s = Math.fround(s + src[i + plan.offsets[5 * e + c]]);
        d[i] = s;
        if (s > peak) peak = s;
      }
      this.peaks[e] = peak;
    }
    return this.peaks;
  }

  level(j: number, n: number): Float32Array {
    return this.levels[j].slice(0, n);
  }
}
