/**
 * Generates the RC5-32/12 key search loop as WebAssembly, for keys of c = ceil(b/4) words.
 *
 * One call, run(first, n), tries the n keys whose last byte is first, first+1, ... (first + n <= 256)
 * while every other key byte stays fixed: that is what lets the caller precompute the start of the key
 * schedule once per run (see MEM). Keys go in batches: several independent chains (a SIMD vector of four
 * keys, or one scalar key), interleaved step by step so the CPU can overlap their latencies. Lanes past n
 * are computed but masked out of the digest and the candidate test.
 *
 * A lane whose first ciphertext word equals a target's is a candidate: run records its batch and the
 * caller confirms with the reference cipher (a random first-word match happens once in 2^32 keys).
 */
import { Func, I32, Op } from './emit.js';
import type { Lanes } from './lanes.js';
import { MAX_TARGETS } from '../params.js';

const P32 = 0xb7e15163;
const Q32 = 0x9e3779b9;
const T = 26; // 2 * (12 + 1) words of S
const STEPS = 3 * T; // key schedule mixing steps, 3 * max(T, c)
const ROUNDS = 12;

/**
 * Byte offsets in the module's memory. The caller writes the per-run inputs before each run: steps
 * 0 .. c-2 of the key schedule and the A half of step c-1 see only the fixed key bytes, so they are done
 * once per run in JS; the kernel starts at the B half of step c-1, the first to see the last byte, whose
 * rotation amount (A + B of that step) is still the same in every lane.
 */
export const MEM = {
  /** A after the A half of step c-1 (= S[c-1]). */
  A: 0,
  /** A + B at the B half of step c-1. */
  AB: 4,
  /** Bit position of the key's last byte in L[c-1]. */
  SHIFT: 8,
  /** L[c-1] with the last key byte zero. */
  LBASE: 12,
  /** plaintext XOR iv, two words. */
  PT: 16,
  /** Number of targets. */
  NT: 24,
  /** S[0 .. c-1] after the precomputed steps. */
  S: 32,
  /** L[0 .. c-2] after the precomputed steps. */
  L: 48,
  /** First ciphertext word of each target (MAX_TARGETS). */
  TARGETS: 64,
  /** Per-lane digest accumulators (MAX_LANES i32 each): sum of first words, xor of second words. */
  SUM: 512,
  XOR: 768,
  /** Candidates of one run: for each, the index (0 .. n-1) of its batch's first lane. */
  CAND: 1024,
  /** The S table, S_ENTRIES entries of one word per lane (see `step` in emitSearch). */
  S_TABLE: 2048,
} as const;
const S_ENTRIES = T + 3 * T;
// The memory layout holds as many targets as a unit may have (params.ts, where the schemas bound them).
export { MAX_TARGETS };
export const MAX_LANES = 64;

const sInit = (i: number): number => (P32 + i * Q32) >>> 0;

/** Independent chains of one lane type: `chains` values of `lanes.width` keys each. */
export interface ChainGroup {
  lanes: Lanes;
  chains: number;
}

/**
 * Fills f with `run(first: i32, n: i32) -> i32` (the number of candidates written at MEM.CAND). A batch
 * is every chain of every group side by side; groups of different lane types share the batch loop, so
 * a CPU can run scalar chains on the ports that SIMD leaves idle.
 */
export function emitSearch(f: Func, c: number, groups: ChainGroup[]): Func {
  if (c < 1 || c > 4) throw new Error(`keys of ${c} words are not supported`);
  const width = groups.reduce((w, g) => w + g.lanes.width * g.chains, 0); // keys per batch
  const E = 4 * width; // bytes of one S table entry: one word for every key of the batch
  if (width > MAX_LANES || MEM.S_TABLE + S_ENTRIES * E > 65536) throw new Error('too many lanes');
  const [first, n] = [0, 1];
  const [base, ncand, t, ab, shift, ptr] = Array.from({ length: 6 }, () => f.local(I32));
  f.i32(0).mem(Op.i32_load, MEM.AB).set(ab);
  f.i32(0).mem(Op.i32_load, MEM.SHIFT).set(shift);

  let lane0 = 0;
  const chains = groups.flatMap(({ lanes: g, chains: count }) => {
    // Per-run inputs, once per lane type.
    const [aPre, lBase, pt0, pt1, x, s] = Array.from({ length: 6 }, () => g.local());
    const lPre = Array.from({ length: c - 1 }, () => g.local());
    g.i32(0).loadSplat(MEM.A).set(aPre);
    g.i32(0).loadSplat(MEM.LBASE).set(lBase);
    g.i32(0).loadSplat(MEM.PT).set(pt0);
    g.i32(0).loadSplat(MEM.PT + 4).set(pt1);
    lPre.forEach((l, j) => g.i32(0).loadSplat(MEM.L + 4 * j).set(l));
    return Array.from({ length: count }, () => {
      const ch = {
        g,
        lane: lane0,
        /** Address of this chain's words in an S table entry. */
        at: (entry: number) => MEM.S_TABLE + entry * E + 4 * ch.lane,
        aPre,
        lBase,
        pt0,
        pt1,
        x,
        s,
        lPre,
        A: g.local(),
        B: g.local(),
        L: Array.from({ length: c }, () => g.local()),
        valid: g.local(),
        sum: g.local(),
        xor: g.local(),
        match: g.local(),
      };
      lane0 += g.width;
      g.i32(0).load(MEM.SUM + 4 * ch.lane).set(ch.sum);
      g.i32(0).load(MEM.XOR + 4 * ch.lane).set(ch.xor);
      // The S table starts with the initial constants (entries 0..25) and the precomputed S[0..c-1]
      // (entries 26..26+c-1), which no step of this run overwrites.
      for (let i = 0; i < T; i++) g.i32(0).constant(sInit(i)).store(ch.at(i));
      for (let i = 0; i < c; i++) g.i32(0).i32(0).loadSplat(MEM.S + 4 * i).store(ch.at(T + i));
      return ch;
    });
  });

  f.loop();
  for (const v of chains) {
    const g = v.g;
    // Lane index in the run, whether it is inside the run, and the key's last word.
    g.get(base).splat().iota(v.lane).add().tee(v.x).get(n).splat().ltMask().set(v.valid);
    g.get(v.x).get(first).splat().add().constant(255).and().get(shift).shl().get(v.lBase).or();
    // B half of step c-1: the rotation amount is the same in every lane.
    g.get(ab).splat().add().set(v.x);
    g.get(v.x).get(ab).shl().get(v.x).i32(32).get(ab).op(Op.i32_sub).shrU().or().tee(v.B).set(v.L[c - 1]);
    g.get(v.aPre).set(v.A);
    v.lPre.forEach((l, j) => g.get(l).set(v.L[j]));
  }

  /**
   * Key schedule step k, with ptr = (k - delta) entries: entry k of the S table holds S[k mod 26] as the
   * step finds it (the initial constant, or what step k - 26 wrote) and the step writes entry k + 26, so
   * the index walks straight through memory with no wrap-around. The loop is not unrolled further:
   * straight-line code much larger than the CPU's decoded-instruction cache runs markedly slower.
   */
  const step = (j: number, delta: number) => {
    for (const v of chains) {
      // A = S[i] = ROTL(S[i] + A + B, 3)
      v.g.get(ptr).load(v.at(delta)).get(v.A).add().get(v.B).add().set(v.x).rotlConst(v.x, 3).set(v.A);
      v.g.get(ptr).get(v.A).store(v.at(delta + T));
    }
    for (const v of chains) {
      // B = L[j] = ROTL(L[j] + A + B, A + B)
      v.g.get(v.A).get(v.B).add().tee(v.s).get(v.L[j]).add().set(v.x).rotlVar(v.x, v.s).tee(v.B).set(v.L[j]);
    }
  };
  const kEnd = c + c * Math.floor((STEPS - c) / c);
  f.i32(c * E).set(ptr).loop();
  for (let j = 0; j < c; j++) step(j, j);
  f.get(ptr).i32(c * E).op(Op.i32_add).tee(ptr).i32(kEnd * E).op(Op.i32_lt_u).op(Op.br_if, 0).end();
  for (let k = kEnd; k < STEPS; k++) step(k % c, k - kEnd);

  // Encryption, with the final S: steps 52..77 wrote it to entries 78..103.
  const S0 = STEPS;
  for (const v of chains) {
    v.g.get(v.pt0).i32(0).load(v.at(S0)).add().set(v.A);
    v.g.get(v.pt1).i32(0).load(v.at(S0 + 1)).add().set(v.B);
  }
  f.i32(0).set(ptr).loop();
  // A = ROTL(A ^ B, B) + S[2r]; B = ROTL(B ^ A, A) + S[2r + 1]
  for (const v of chains) {
    v.g.get(v.A).get(v.B).xor().set(v.x).rotlVar(v.x, v.B).get(ptr).load(v.at(S0 + 2)).add().set(v.A);
  }
  for (const v of chains) {
    v.g.get(v.B).get(v.A).xor().set(v.x).rotlVar(v.x, v.A).get(ptr).load(v.at(S0 + 3)).add().set(v.B);
  }
  f.get(ptr).i32(2 * E).op(Op.i32_add).tee(ptr).i32(2 * ROUNDS * E).op(Op.i32_lt_u).op(Op.br_if, 0).end();

  // Digest: order-independent, so lanes accumulate apart and the caller combines them.
  for (const v of chains) {
    v.g.get(v.sum).get(v.A).get(v.valid).and().add().set(v.sum);
    v.g.get(v.xor).get(v.B).get(v.valid).and().xor().set(v.xor);
    v.g.constant(0).set(v.match);
  }
  // Candidates: a first word equal to any target's.
  f.i32(0).set(t).block().loop();
  f.get(t).i32(0).mem(Op.i32_load, MEM.NT).op(Op.i32_ge_u).op(Op.br_if, 1);
  for (const v of chains) {
    v.g.get(v.match).get(v.A).get(t).i32(2).op(Op.i32_shl).loadSplat(MEM.TARGETS).eq().or().set(v.match);
  }
  f.get(t).i32(1).op(Op.i32_add).set(t).op(Op.br, 0).end().end();
  chains.forEach((v, k) => {
    v.g.get(v.match).get(v.valid).and().anyTrue();
    if (k > 0) f.op(Op.i32_or);
  });
  f.if();
  f.get(ncand).i32(2).op(Op.i32_shl).get(base).mem(Op.i32_store, MEM.CAND);
  f.get(ncand).i32(1).op(Op.i32_add).set(ncand);
  f.end();

  f.get(base).i32(width).op(Op.i32_add).tee(base).get(n).op(Op.i32_lt_u).op(Op.br_if, 0); // next batch
  f.end();

  for (const v of chains) {
    v.g.i32(0).get(v.sum).store(MEM.SUM + 4 * v.lane);
    v.g.i32(0).get(v.xor).store(MEM.XOR + 4 * v.lane);
  }
  f.get(ncand);
  return f;
}
