/**
 * The arithmetic the RC5 generator needs, for two lane types: 128-bit SIMD (four keys per value) and
 * plain i32 (one key per value: the fallback where SIMD is missing, and a second implementation to test
 * the first against). The generator is written once against Lanes, so both kernels are one program, and
 * one function can mix both kinds of chain.
 *
 * A Lanes object writes into its Func and chains like it. Each method pops its operands from the wasm
 * stack and pushes one lane value, except where an operand is read twice: that one is a local index.
 */
import { Func, I32, Op, Simd, V128, type ValType } from './emit.js';

export abstract class Lanes {
  constructor(readonly f: Func) {}
  get(i: number): this { this.f.get(i); return this; }
  set(i: number): this { this.f.set(i); return this; }
  tee(i: number): this { this.f.tee(i); return this; }
  i32(n: number): this { this.f.i32(n); return this; }
  op(...bytes: number[]): this { this.f.op(...bytes); return this; }
  mem(opcode: number, offset: number): this { this.f.mem(opcode, offset); return this; }
  /** A new local of this lane type. */
  local(): number { return this.f.local(this.type); }

  abstract readonly type: ValType;
  /** Keys per lane value. */
  abstract readonly width: number;
  abstract add(): this;
  abstract xor(): this;
  abstract and(): this;
  abstract or(): this;
  /** Non-zero where equal. */
  abstract eq(): this;
  /** All ones where a < b (unsigned), else 0. */
  abstract ltMask(): this;
  /** i32 -> the same value in every lane. */
  abstract splat(): this;
  /** The same constant in every lane. */
  abstract constant(k: number): this;
  /** [k, k+1, ..., k+width-1]. */
  abstract iota(k: number): this;
  /** Shift each lane by an i32 count (mod 32) from the stack. */
  abstract shl(): this;
  abstract shrU(): this;
  /** Local x rotated left by a constant. */
  abstract rotlConst(x: number, k: number): this;
  /** Each lane of local x rotated left by the low 5 bits of the same lane of local s. */
  abstract rotlVar(x: number, s: number): this;
  /** Lane value -> i32, non-zero when any lane is. */
  abstract anyTrue(): this;
  /** One i32 at (address + offset) into every lane. */
  abstract loadSplat(offset: number): this;
  /** `width` consecutive i32 at (address + offset). */
  abstract load(offset: number): this;
  /** Store the lane value (top of stack) at the address below it, + offset. */
  abstract store(offset: number): this;
}

export class ScalarLanes extends Lanes {
  readonly type = I32;
  readonly width = 1;
  add() { return this.op(Op.i32_add); }
  xor() { return this.op(Op.i32_xor); }
  and() { return this.op(Op.i32_and); }
  or() { return this.op(Op.i32_or); }
  eq() { return this.op(Op.i32_eq); }
  ltMask() { return this.op(Op.i32_lt_u).i32(-1).op(Op.i32_xor).i32(1).op(Op.i32_add); } // -(a < b)
  splat() { return this; }
  constant(k: number) { return this.i32(k | 0); }
  iota(k: number) { return this.i32(k); }
  shl() { return this.op(Op.i32_shl); }
  shrU() { return this.op(Op.i32_shr_u); }
  rotlConst(x: number, k: number) { return this.get(x).i32(k).op(Op.i32_rotl); }
  rotlVar(x: number, s: number) { return this.get(x).get(s).op(Op.i32_rotl); }
  anyTrue() { return this; }
  loadSplat(offset: number) { return this.mem(Op.i32_load, offset); }
  load(offset: number) { return this.mem(Op.i32_load, offset); }
  store(offset: number) { return this.mem(Op.i32_store, offset); }
}

/**
 * 2^s for s in 0..31, per 32-bit lane, by table lookup: after broadcasting s into the lane's four bytes,
 * byte k holds s - 8k, which indexes a table that is 1 << (s - 8k) for 0..7 and zero for 8..15; any other
 * index (16 and up, which includes the negative bytes) is out of the swizzle's range and gives 0 as well.
 */
const POW2_TABLE = [1, 2, 4, 8, 16, 32, 64, 128, 0, 0, 0, 0, 0, 0, 0, 0];
const BYTE_OFFSETS = [0, 8, 16, 24, 0, 8, 16, 24, 0, 8, 16, 24, 0, 8, 16, 24];
const BROADCAST_LOW_BYTE = [0, 0, 0, 0, 4, 4, 4, 4, 8, 8, 8, 8, 12, 12, 12, 12];
const LOW_HALVES = [0, 1, 2, 3, 8, 9, 10, 11, 16, 17, 18, 19, 24, 25, 26, 27];
const HIGH_HALVES = [4, 5, 6, 7, 12, 13, 14, 15, 20, 21, 22, 23, 28, 29, 30, 31];
const all4 = (k: number): [number, number, number, number] => [k, k, k, k];

export class SimdLanes extends Lanes {
  readonly type = V128;
  readonly width = 4;
  private tmp?: { p: number; lo: number; hi: number };
  private simd(sub: number): this { this.f.simd(sub); return this; }
  add() { return this.simd(Simd.i32x4_add); }
  xor() { return this.simd(Simd.v128_xor); }
  and() { return this.simd(Simd.v128_and); }
  or() { return this.simd(Simd.v128_or); }
  eq() { return this.simd(Simd.i32x4_eq); }
  ltMask() { return this.simd(Simd.i32x4_lt_u); }
  splat() { return this.simd(Simd.i32x4_splat); }
  constant(k: number) { this.f.v128i32(all4(k)); return this; }
  iota(k: number) { this.f.v128i32([k, k + 1, k + 2, k + 3]); return this; }
  shl() { return this.simd(Simd.i32x4_shl); }
  shrU() { return this.simd(Simd.i32x4_shr_u); }
  rotlConst(x: number, k: number) {
    return this.get(x).i32(k).shl().get(x).i32(32 - k).shrU().or();
  }
  anyTrue() { return this.simd(Simd.v128_any_true); }
  loadSplat(offset: number) { this.f.simdMem(Simd.v128_load32_splat, offset, 2); return this; }
  load(offset: number) { this.f.simdMem(Simd.v128_load, offset, 4); return this; }
  store(offset: number) { this.f.simdMem(Simd.v128_store, offset, 4); return this; }

  /**
   * There is no per-lane variable shift in wasm SIMD. Instead multiply by 2^s into 64-bit products:
   * the low half of each is x << s, the high half x >>> (32 - s), and their or is the rotation.
   */
  rotlVar(x: number, s: number) {
    const f = this.f;
    const t = (this.tmp ??= { p: this.local(), lo: this.local(), hi: this.local() });
    f.v128bytes(POW2_TABLE);
    f.get(s).v128i32(all4(31)).simd(Simd.v128_and).v128bytes(BROADCAST_LOW_BYTE).simd(Simd.i8x16_swizzle);
    f.v128bytes(BYTE_OFFSETS).simd(Simd.i8x16_sub).simd(Simd.i8x16_swizzle).set(t.p);
    f.get(x).get(t.p).simd(Simd.i64x2_extmul_low_i32x4_u).set(t.lo);
    f.get(x).get(t.p).simd(Simd.i64x2_extmul_high_i32x4_u).set(t.hi);
    f.get(t.lo).get(t.hi).shuffle(LOW_HALVES);
    f.get(t.lo).get(t.hi).shuffle(HIGH_HALVES);
    return this.simd(Simd.v128_or);
  }
}
