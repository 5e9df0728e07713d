import { describe, expect, it } from 'vitest';
import { Func, I32, Op, moduleBytes, sleb, uleb } from './emit.js';
import { ScalarLanes, SimdLanes } from './lanes.js';

describe('wasm emitter', () => {
  it('encodes LEB128', () => {
    expect(uleb(0)).toEqual([0]);
    expect(uleb(624485)).toEqual([0xe5, 0x8e, 0x26]);
    expect(sleb(-1)).toEqual([0x7f]);
    expect(sleb(63)).toEqual([0x3f]);
    expect(sleb(64)).toEqual([0xc0, 0x00]);
    expect(sleb(-123456)).toEqual([0xc0, 0xbb, 0x78]);
    expect(sleb(0xb7e15163)).toEqual(sleb(0xb7e15163 | 0)); // constants are i32 bit patterns
  });

  it('builds a module that runs', () => {
    const f = new Func([I32, I32], [I32]);
    const t = f.local(I32);
    f.get(0).get(1).op(Op.i32_add).tee(t).get(t).op(Op.i32_add);
    const add2 = new WebAssembly.Instance(new WebAssembly.Module(moduleBytes({ add2: f }))).exports.add2 as (a: number, b: number) => number;
    expect(add2(20, 1)).toBe(42);
  });

  it('rotates every lane by its own amount, as i32.rotl does', () => {
    // rot(x, s) for 64 (x, s) pairs through memory, both lane types, against JS.
    const build = (simd: boolean) => {
      const f = new Func([], []);
      const g = simd ? new SimdLanes(f) : new ScalarLanes(f);
      const [x, s, i] = [g.local(), g.local(), f.local(I32)];
      f.loop();
      g.get(i).load(0).set(x).get(i).load(256).set(s).get(i).rotlVar(x, s).store(512);
      f.get(i).i32(4 * g.width).op(Op.i32_add).tee(i).i32(256).op(Op.i32_lt_u).op(Op.br_if, 0).end();
      const inst = new WebAssembly.Instance(new WebAssembly.Module(moduleBytes({ go: f })));
      return { go: inst.exports.go as () => void, mem: new Uint32Array((inst.exports.memory as WebAssembly.Memory).buffer) };
    };
    const xs = Array.from({ length: 64 }, (_, k) => (Math.imul(k + 1, 0x9e3779b9) ^ (k << 29)) >>> 0);
    const ss = Array.from({ length: 64 }, (_, k) => (k * 0x01000001 + (k & 32 ? 0xffffff00 : 0)) >>> 0); // low 5 bits 0..31, junk above
    const want = xs.map((x, k) => ((x << (ss[k] & 31)) | (x >>> (32 - (ss[k] & 31)))) >>> 0);
    for (const simd of [true, false]) {
      const { go, mem } = build(simd);
      mem.set(xs, 0);
      mem.set(ss, 64);
      go();
      expect(Array.from(mem.subarray(128, 192))).toEqual(want);
    }
  });
});
