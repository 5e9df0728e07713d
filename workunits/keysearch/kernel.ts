/**
 * The key search kernel: tries every key of a unit, in distributed.net order (the key is a big-endian
 * integer, last byte fastest), and reports the keys that encrypt plaintext XOR iv to a target, the number
 * of keys tried and an order-independent digest of every ciphertext (see params.ts).
 *
 * The hot loop is generated WebAssembly (wasm/rc5-search.ts); this file drives it one "run" at a time, a
 * run being up to 256 keys that differ only in their last byte.
 */
import type { Kernel } from '../kind.js';
import { Func, I32, moduleBytes } from './wasm/emit.js';
import { ScalarLanes, SimdLanes } from './wasm/lanes.js';
import { MAX_LANES, MAX_TARGETS, MEM, emitSearch } from './wasm/rc5-search.js';
import { KeysearchCheckpoint, OPS_PER_KEY, UnitSpec, auditBlockSize, digestOf, type Result } from './params.js';
import { P32, Q32, blockWords, bytesToHex, encryptWords, hexToBytes, keySchedule } from './rc5.js';

/**
 * 'simd': 128-bit WebAssembly SIMD chains (four keys per vector) with scalar chains beside them, which
 * run on the integer ports the SIMD code leaves idle. 'scalar': i32 chains only, where SIMD is missing.
 */
export type Engine = 'simd' | 'scalar';

/** How many independent chains of each lane type a batch holds. */
export interface Layout {
  simd: number;
  scalar: number;
}

/**
 * Chains are interleaved so the CPU has other work while one waits on a rotation (the SIMD rotate is a
 * ~19-cycle chain). Measured best on x86-64 (docs/keysearch.md); keys per batch divide 256 so that no
 * lanes idle at the end of a run.
 */
const LAYOUTS: Record<Engine, Layout> = { simd: { simd: 6, scalar: 8 }, scalar: { simd: 0, scalar: 4 } };
const keysPerBatch = (l: Layout): number => 4 * l.simd + l.scalar;

type Run = (first: number, n: number) => number;
const modules = new Map<string, WebAssembly.Module>();

/** The compiled search module for keys of c words, cached per thread. */
export function searchModule(c: number, layout: Layout): WebAssembly.Module {
  const id = `${c}/${layout.simd}/${layout.scalar}`;
  let m = modules.get(id);
  if (!m) {
    const f = new Func([I32, I32], [I32]);
    const groups = [
      { lanes: new SimdLanes(f), chains: layout.simd },
      { lanes: new ScalarLanes(f), chains: layout.scalar },
    ].filter((g) => g.chains > 0);
    m = new WebAssembly.Module(moduleBytes({ run: emitSearch(f, c, groups) }));
    modules.set(id, m);
  }
  return m;
}

let simdOk: boolean | undefined;
/** Whether this engine validates 128-bit SIMD (every current browser and Node do). */
export function simdSupported(): boolean {
  if (simdOk === undefined) {
    const f = new Func([I32, I32], [I32]);
    simdOk = WebAssembly.validate(moduleBytes({ run: emitSearch(f, 1, [{ lanes: new SimdLanes(f), chains: 1 }]) }));
  }
  return simdOk;
}

export interface State {
  unit: UnitSpec;
  b: number;
  c: number;
  count: number;
  done: number;
  /** The next key to try (start + done), big-endian bytes. */
  key: Uint8Array;
  found: Array<{ key: string; target: number }>;
  /** Digests of finished audit blocks; keys per block; the totals where the current block began. */
  blocks: string[];
  blockSize: number;
  blockStart: { sum: number; xor: number };
  targets: Array<[number, number]>;
  pt: [number, number];
  run: Run;
  mem: Uint32Array;
  lanes: number;
  scratch: Uint32Array;
}

const rotl = (x: number, s: number): number => ((x << (s & 31)) | (x >>> (32 - (s & 31)))) >>> 0;

/** key += n, big-endian with carries; the caller keeps key + n inside the key space. */
function advance(key: Uint8Array, n: number): void {
  for (let i = key.length - 1; i >= 0 && n > 0; i--) {
    const v = key[i] + (n % 256);
    key[i] = v & 255;
    n = Math.floor(n / 256) + (v >> 8);
  }
}

/** Key schedule up to the A half of step c-1 (all that the fixed bytes decide), into the kernel memory. */
function prepareRun(s: State): void {
  const { c, b, key, mem } = s;
  const L = s.scratch.fill(0);
  // Every byte but the last, little-endian as in keySchedule: the last byte's slot in L[c-1] stays zero.
  for (let i = b - 2; i >= 0; i--) L[i >> 2] = ((L[i >> 2] << 8) | key[i]) >>> 0;
  let A = 0;
  let B = 0;
  for (let k = 0; k < c - 1; k++) {
    A = mem[MEM.S / 4 + k] = rotl(P32 + k * Q32 + A + B, 3);
    B = mem[MEM.L / 4 + k] = rotl(L[k] + A + B, A + B);
  }
  A = mem[MEM.S / 4 + c - 1] = rotl(P32 + (c - 1) * Q32 + A + B, 3);
  mem[MEM.A / 4] = A;
  mem[MEM.AB / 4] = A + B;
  mem[MEM.LBASE / 4] = L[c - 1];
}

/** Candidates are rare (a first-word match is 1 in 2^32 per target): check them with the reference cipher. */
function confirm(s: State, base: number, n: number, batchStart: number): void {
  const key = s.key.slice();
  for (let i = base; i < Math.min(n, base + s.lanes); i++) {
    key[s.b - 1] = batchStart + i;
    const [a, b] = encryptWords(keySchedule(key), s.pt[0], s.pt[1]);
    s.targets.forEach(([ta, tb], target) => {
      if (a === ta && b === tb) s.found.push({ key: bytesToHex(key), target });
    });
  }
}

function init(spec: UnitSpec, _input: Uint8Array | undefined, checkpoint?: unknown, engine?: Engine | Layout): State {
  const unit = UnitSpec.parse(spec);
  if (unit.targets.length > MAX_TARGETS) throw new Error(`at most ${MAX_TARGETS} targets per unit`);
  const cp = checkpoint === undefined ? undefined : KeysearchCheckpoint.parse(checkpoint);
  if (cp && cp.done > unit.count) throw new Error(`checkpoint says ${cp.done} keys done of a ${unit.count}-key unit`);
  const b = unit.b;
  const c = Math.max(1, Math.ceil(b / 4));
  const layout = typeof engine === 'object' ? engine : LAYOUTS[engine ?? (simdSupported() ? 'simd' : 'scalar')];
  const inst = new WebAssembly.Instance(searchModule(c, layout));
  const exports = inst.exports as { run: Run; memory: WebAssembly.Memory };
  const mem = new Uint32Array(exports.memory.buffer);
  const [i0, i1] = blockWords(unit.iv);
  const [p0, p1] = blockWords(unit.plaintext);
  const s: State = {
    unit,
    b,
    c,
    count: unit.count,
    done: cp?.done ?? 0,
    key: hexToBytes(unit.start),
    found: cp ? cp.found.map((f) => ({ ...f })) : [],
    blocks: cp ? [...cp.blocks] : [],
    blockSize: auditBlockSize(unit.count),
    blockStart: { sum: cp?.blockSum ?? 0, xor: cp?.blockXor ?? 0 },
    targets: unit.targets.map(blockWords),
    pt: [(p0 ^ i0) >>> 0, (p1 ^ i1) >>> 0],
    run: exports.run,
    mem,
    lanes: keysPerBatch(layout),
    scratch: new Uint32Array(c),
  };
  advance(s.key, s.done);
  mem[MEM.SHIFT / 4] = 8 * ((b - 1) % 4);
  mem.set(s.pt, MEM.PT / 4);
  mem[MEM.NT / 4] = s.targets.length;
  mem.set(s.targets.map(([a]) => a), MEM.TARGETS / 4);
  mem[MEM.SUM / 4] = cp?.sum ?? 0;
  mem[MEM.XOR / 4] = cp?.xor ?? 0;
  return s;
}

/** Lane accumulators folded into the digest's two words. */
function totals(s: State): { sum: number; xor: number } {
  let sum = 0;
  let xor = 0;
  for (let i = 0; i < MAX_LANES; i++) {
    sum = (sum + s.mem[MEM.SUM / 4 + i]) >>> 0;
    xor = (xor ^ s.mem[MEM.XOR / 4 + i]) >>> 0;
  }
  return { sum, xor };
}

/** The block that just ended: its digest is the difference of the totals (sums subtract, xors cancel). */
function closeBlock(s: State): void {
  const now = totals(s);
  s.blocks.push(digestOf((now.sum - s.blockStart.sum) >>> 0, (now.xor ^ s.blockStart.xor) >>> 0));
  s.blockStart = now;
}

const kernel: Kernel<UnitSpec, State, Result> & { initWith: typeof init } = {
  init: (unit, input, checkpoint) => init(unit, input, checkpoint),
  /** init with a chosen engine, for tests and benchmarks. */
  initWith: init,
  step(s, budget) {
    let left = Math.min(Math.max(1, Math.floor(budget)), s.count - s.done);
    while (left > 0) {
      const first = s.key[s.b - 1];
      // Runs stop at audit block boundaries too, so that each block's digest can be taken there.
      const toBlockEnd = s.blockSize - (s.done % s.blockSize);
      const n = Math.min(left, 256 - first, toBlockEnd);
      prepareRun(s);
      const candidates = s.run(first, n);
      for (let i = 0; i < candidates; i++) confirm(s, s.mem[MEM.CAND / 4 + i], n, first);
      advance(s.key, n);
      s.done += n;
      left -= n;
      if (n === toBlockEnd || s.done === s.count) closeBlock(s);
    }
    return s.done >= s.count;
  },
  progress: (s) => (s.count === 0 ? 1 : s.done / s.count),
  opsDone: (s) => s.done * OPS_PER_KEY,
  checkpoint: (s) => ({ done: s.done, found: s.found.map((f) => ({ ...f })), ...totals(s), blocks: [...s.blocks], blockSum: s.blockStart.sum, blockXor: s.blockStart.xor }),
  result(s) {
    const { sum, xor } = totals(s);
    return { found: s.found.map((f) => ({ ...f })), keys: s.done, digest: digestOf(sum, xor), blocks: [...s.blocks] };
  },
  initialBudget: 1 << 17,
};

export default kernel;
