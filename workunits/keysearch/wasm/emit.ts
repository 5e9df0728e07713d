/**
 * A small WebAssembly binary emitter: just what the key search kernel needs (one memory, a few
 * functions, i32 and 128-bit SIMD instructions). Kernels are generated at module load rather than
 * shipped as .wasm so the unrolled code stays a readable TypeScript program and there is no build step.
 *
 * Encoding reference: the WebAssembly core spec (binary format) and the SIMD proposal's opcode table.
 */

/** Value types. */
import { name, section, sleb, uleb, vec } from '../../wasm/encoding.js';

export { sleb, uleb };

export const I32 = 0x7f;
export const V128 = 0x7b;
export type ValType = typeof I32 | typeof V128;

/** Single-byte opcodes. */
export const Op = {
  block: 0x02,
  loop: 0x03,
  if: 0x04,
  end: 0x0b,
  br: 0x0c,
  br_if: 0x0d,
  return: 0x0f,
  local_get: 0x20,
  local_set: 0x21,
  local_tee: 0x22,
  i32_load: 0x28,
  i32_store: 0x36,
  i32_const: 0x41,
  i32_eqz: 0x45,
  i32_eq: 0x46,
  i32_lt_u: 0x49,
  i32_ge_u: 0x4f,
  i32_add: 0x6a,
  i32_sub: 0x6b,
  i32_and: 0x71,
  i32_or: 0x72,
  i32_xor: 0x73,
  i32_shl: 0x74,
  i32_shr_u: 0x76,
  i32_rotl: 0x77,
} as const;

/** SIMD opcodes: emitted as the 0xfd prefix followed by this number in unsigned LEB128. */
export const Simd = {
  v128_load: 0,
  v128_load32_splat: 9,
  v128_store: 11,
  v128_const: 12,
  i8x16_shuffle: 13,
  i8x16_swizzle: 14,
  i32x4_splat: 17,
  i32x4_extract_lane: 27,
  i32x4_eq: 55,
  i32x4_lt_u: 58,
  v128_and: 78,
  v128_or: 80,
  v128_xor: 81,
  v128_any_true: 83,
  i8x16_sub: 113,
  i32x4_shl: 171,
  i32x4_shr_u: 173,
  i32x4_add: 174,
  i32x4_sub: 177,
  i64x2_extmul_low_i32x4_u: 222,
  i64x2_extmul_high_i32x4_u: 223,
} as const;

const SIMD_PREFIX = 0xfd;
const BLOCK_VOID = 0x40;

/** Builds one function body. Locals are declared on demand; parameters come first. */
export class Func {
  readonly code: number[] = [];
  private readonly locals: ValType[] = [];

  constructor(
    readonly params: ValType[],
    readonly results: ValType[],
  ) {}

  local(type: ValType): number {
    this.locals.push(type);
    return this.params.length + this.locals.length - 1;
  }

  op(...bytes: number[]): this {
    this.code.push(...bytes);
    return this;
  }

  /** Emit through a helper written as a function of this builder, keeping the chain going. */
  with(emit: (f: this) => void): this {
    emit(this);
    return this;
  }

  simd(sub: number): this {
    return this.op(SIMD_PREFIX, ...uleb(sub));
  }

  get(i: number): this {
    return this.op(Op.local_get, ...uleb(i));
  }

  set(i: number): this {
    return this.op(Op.local_set, ...uleb(i));
  }

  tee(i: number): this {
    return this.op(Op.local_tee, ...uleb(i));
  }

  i32(n: number): this {
    return this.op(Op.i32_const, ...sleb(n));
  }

  /** A 128-bit constant made of four i32 lanes. */
  v128i32(lanes: [number, number, number, number]): this {
    const b = new Uint8Array(new Uint32Array(lanes.map((x) => x >>> 0)).buffer);
    return this.simd(Simd.v128_const).op(...b);
  }

  v128bytes(bytes: number[]): this {
    if (bytes.length !== 16) throw new Error('v128 constant needs 16 bytes');
    return this.simd(Simd.v128_const).op(...bytes);
  }

  shuffle(lanes: number[]): this {
    if (lanes.length !== 16) throw new Error('i8x16.shuffle needs 16 lane indices');
    return this.simd(Simd.i8x16_shuffle).op(...lanes);
  }

  /** Memory access with a static offset; alignment hint log2(align). */
  mem(opcode: number, offset: number, alignLog2 = 2): this {
    return this.op(opcode, ...uleb(alignLog2), ...uleb(offset));
  }

  simdMem(sub: number, offset: number, alignLog2: number): this {
    return this.simd(sub).op(...uleb(alignLog2), ...uleb(offset));
  }

  block(): this {
    return this.op(Op.block, BLOCK_VOID);
  }

  loop(): this {
    return this.op(Op.loop, BLOCK_VOID);
  }

  if(): this {
    return this.op(Op.if, BLOCK_VOID);
  }

  end(): this {
    return this.op(Op.end);
  }

  /** The function body as it appears in the code section. */
  body(): number[] {
    // Run-length encode the local declarations.
    const groups: number[][] = [];
    for (let i = 0; i < this.locals.length; ) {
      let j = i;
      while (j < this.locals.length && this.locals[j] === this.locals[i]) j++;
      groups.push([...uleb(j - i), this.locals[i]]);
      i = j;
    }
    const b = [...vec(groups), ...this.code, Op.end];
    return [...uleb(b.length), ...b];
  }
}

/** A module with one exported memory (`pages` of 64 KiB) and the given exported functions. */
export function moduleBytes(funcs: Record<string, Func>, pages = 1): Uint8Array<ArrayBuffer> {
  const list = Object.entries(funcs);
  const types = list.map(([, f]) => [0x60, ...vec(f.params.map((t) => [t])), ...vec(f.results.map((t) => [t]))]);
  const exports = [
    [...name('memory'), 0x02, 0],
    ...list.map(([fn], i) => [...name(fn), 0x00, ...uleb(i)]),
  ];
  return new Uint8Array([
    0x00, 0x61, 0x73, 0x6d, 0x01, 0x00, 0x00, 0x00, // magic, version 1
    ...section(1, vec(types)),
    ...section(3, vec(list.map((_, i) => uleb(i)))),
    ...section(5, vec([[0x00, ...uleb(pages)]])),
    ...section(7, vec(exports)),
    ...section(10, vec(list.map(([, f]) => f.body()))),
  ]);
}
