/**
 * A tiny WebAssembly binary writer: just enough to assemble the FFT module in TypeScript at load time,
 * so there is no build step and no committed .wasm. Instructions are plain byte arrays built by the
 * helpers below; a function body is an array of them. Opcodes are from the WebAssembly core spec and
 * the fixed-width SIMD proposal (0xfd prefix).
 */

import { name, section, sleb, uleb, vec } from '../../wasm/encoding.js';

export { sleb, uleb };

export type Code = number[];

export const T = { i32: 0x7f, f32: 0x7d, f64: 0x7c, v128: 0x7b } as const;
export type T = (typeof T)[keyof typeof T];

export const I = {
  get: (l: number): Code => [0x20, ...uleb(l)],
  set: (l: number): Code => [0x21, ...uleb(l)],
  tee: (l: number): Code => [0x22, ...uleb(l)],
  i32: (v: number): Code => [0x41, ...sleb(v | 0)],
  add: [0x6a] as Code,
  sub: [0x6b] as Code,
  mul: [0x6c] as Code,
  shl: [0x74] as Code,
  ltu: [0x49] as Code,
  geu: [0x4f] as Code,
  eq: [0x46] as Code,
  i32load: (off = 0): Code => [0x28, 2, ...uleb(off)],
  call: (f: number): Code => [0x10, ...uleb(f)],
  if_: [0x04, 0x40] as Code,
  and: [0x71] as Code,
  ne: [0x47] as Code,
  eqz: [0x45] as Code,
  f32load: (off = 0): Code => [0x2a, 2, ...uleb(off)],
  f32store: (off = 0): Code => [0x38, 2, ...uleb(off)],
  f32add: [0x92] as Code,
  f32const0: [0x43, 0, 0, 0, 0] as Code,
  f32sub: [0x93] as Code,
  f32mul: [0x94] as Code,
  /** block/loop with an empty result type; br depth counts outwards from the innermost. */
  block: [0x02, 0x40] as Code,
  loop: [0x03, 0x40] as Code,
  end: [0x0b] as Code,
  br: (d: number): Code => [0x0c, ...uleb(d)],
  brIf: (d: number): Code => [0x0d, ...uleb(d)],
  v128load: (off = 0): Code => [0xfd, 0x00, 4, ...uleb(off)],
  v128store: (off = 0): Code => [0xfd, 0x0b, 4, ...uleb(off)],
  load32splat: (off = 0): Code => [0xfd, 0x09, 2, ...uleb(off)],
  shuffle: (lanes: number[]): Code => [0xfd, 0x0d, ...lanes],
  f32x4add: [0xfd, 0xe4, 0x01] as Code,
  f32x4sub: [0xfd, 0xe5, 0x01] as Code,
  f32x4mul: [0xfd, 0xe6, 0x01] as Code,
  /** pmax: b > a ? b : a, lane-wise (no NaN subtleties: powers are never NaN). */
  f32x4pmax: [0xfd, 0xeb, 0x01] as Code,
  f32x4extract: (lane: number): Code => [0xfd, 0x1f, lane],
  f64store: (off = 0): Code => [0x39, 3, ...uleb(off)],
  f64load: (off = 0): Code => [0x2b, 3, ...uleb(off)],
  load64splat: (off = 0): Code => [0xfd, 0x0a, 3, ...uleb(off)],
  f64x2div: [0xfd, 0xf3, 0x01] as Code,
  f64x2replace: (lane: number): Code => [0xfd, 0x22, lane],
  f32max: [0x97] as Code,
  f64add: [0xa0] as Code,
  f64x2add: [0xfd, 0xf0, 0x01] as Code,
  f64x2sub: [0xfd, 0xf1, 0x01] as Code,
  f64x2mul: [0xfd, 0xf2, 0x01] as Code,
  f64x2extract: (lane: number): Code => [0xfd, 0x21, lane],
  /** Two f32 into the low half of a v128 (upper half zero). */
  load64zero: (off = 0): Code => [0xfd, 0x5d, 3, ...uleb(off)],
  store64lane: (lane: number, off = 0): Code => [0xfd, 0x5b, 3, ...uleb(off), lane],
  promoteLow: [0xfd, 0x5f] as Code,
  demoteZero: [0xfd, 0x5e] as Code,
  v128const0: [0xfd, 0x0c, ...new Array(16).fill(0)] as Code,
};

/** Byte lanes for i8x16.shuffle picking 32-bit lanes (0-3 from the first operand, 4-7 from the second). */
export function lanes32(picks: [number, number, number, number]): number[] {
  return picks.flatMap((p) => [p * 4, p * 4 + 1, p * 4 + 2, p * 4 + 3]);
}

/** Hands out local indices after the parameters. */
export function locals(nParams: number) {
  const types: T[] = [];
  return {
    types,
    take(t: T): number {
      types.push(t);
      return nParams + types.length - 1;
    },
  };
}

export interface Func {
  name: string;
  params: T[];
  /** Extra locals after the parameters, in order. */
  locals: T[];
  body: Code[];
}

/** A module that imports its memory as env.mem and exports every function by name. */
export function assemble(funcs: Func[], minPages = 1): Uint8Array<ArrayBuffer> {
  const types = funcs.map((f) => [0x60, ...vec(f.params.map((p) => [p])), 0]);
  const imports = vec([[...name('env'), ...name('mem'), 0x02, 0x00, ...uleb(minPages)]]);
  const exports = vec(funcs.map((f, i) => [...name(f.name), 0x00, ...uleb(i)]));
  const bodies = funcs.map((f) => {
    const groups = f.locals.map((t) => [1, t]);
    const code = [...vec(groups), ...f.body.flat(), 0x0b];
    return [...uleb(code.length), ...code];
  });
  return new Uint8Array([
    0x00, 0x61, 0x73, 0x6d, 1, 0, 0, 0,
    ...section(1, vec(types)),
    ...section(2, imports),
    ...section(3, vec(funcs.map((_, i) => uleb(i)))),
    ...section(7, exports),
    ...section(10, vec(bodies)),
  ]);
}
