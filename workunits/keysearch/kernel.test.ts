import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import kernel, { simdSupported, type Engine, type Layout } from './kernel.js';
import { auditBlockSize, digestOf, type Result, type UnitSpec } from './params.js';
import { blockWords, bytesToHex, encryptCbcFirstHex, encryptWords, hexToBytes, keySchedule } from './rc5.js';

// The default (SIMD and scalar chains mixed), scalar only, and SIMD only.
const ENGINES: Array<Engine | Layout> = ['simd', 'scalar', { simd: 2, scalar: 0 }];
const IV = '07ce591f86149a41';
const PT = '54686520756e6b6e';

/** The obvious loop: every key, the reference cipher, the digest as params.ts defines it. */
function reference(u: UnitSpec): Result {
  const [i0, i1] = blockWords(u.iv);
  const [p0, p1] = blockWords(u.plaintext);
  const targets = u.targets.map(blockWords);
  const key = hexToBytes(u.start);
  let sum = 0;
  let xor = 0;
  const blocks: string[] = [];
  let bsum = 0;
  let bxor = 0;
  const size = auditBlockSize(u.count);
  const found: Result['found'] = [];
  for (let n = 0; n < u.count; n++) {
    const [a, b] = encryptWords(keySchedule(key), (p0 ^ i0) >>> 0, (p1 ^ i1) >>> 0);
    sum = (sum + a) >>> 0;
    xor = (xor ^ b) >>> 0;
    bsum = (bsum + a) >>> 0;
    bxor = (bxor ^ b) >>> 0;
    if ((n + 1) % size === 0 || n + 1 === u.count) {
      blocks.push(digestOf(bsum, bxor));
      bsum = 0;
      bxor = 0;
    }
    targets.forEach(([ta, tb], target) => {
      if (a === ta && b === tb) found.push({ key: bytesToHex(key), target });
    });
    for (let i = key.length - 1; i >= 0 && ++key[i] === 256; i--) key[i] = 0;
  }
  return { found, keys: u.count, digest: digestOf(sum, xor), blocks };
}

function search(u: UnitSpec, engine?: Engine | Layout, budget = 1e9): Result {
  const s = kernel.initWith(u, undefined, undefined, engine);
  while (!kernel.step(s, budget));
  return kernel.result(s);
}

const unitOf = (start: string, count: number, keys: string[] = [], extra: string[] = []): UnitSpec => ({
  b: start.length / 2,
  rounds: 12,
  iv: IV,
  plaintext: PT,
  targets: [...keys.map((k) => encryptCbcFirstHex(k, IV, PT)), ...extra],
  start,
  count,
});

/** start + n as a key of the same length, for planting keys at known offsets. */
const plus = (start: string, n: number): string =>
  (BigInt(`0x${start}`) + BigInt(n)).toString(16).padStart(start.length, '0');

describe('keysearch kernel', () => {
  it('runs WebAssembly SIMD here', () => {
    expect(simdSupported()).toBe(true);
  });

  it.each(ENGINES)('finds the distributed.net RC5-72 self-test keys (%o)', (engine) => {
    const vectors = [
      ['c90c0353c0d4e1fe85', '07ce591f86149a41', '54686520756e6b6e', '5a282d562a85b72f'],
      ['deee0c6279bf66f898', 'd4c40f8f13e47b5c', '58ea5018e8ae020e', '165d749dabfa96b7'],
      ['6e000000000000172f', '35ca616d7fb29430', 'b20ea7292b3e2b47', '7bf769f0d9b2db50'],
    ];
    for (const [key, iv, plaintext, ct] of vectors) {
      const u: UnitSpec = { b: 9, rounds: 12, iv, plaintext, targets: [ct], start: plus(key, -300), count: 700 };
      expect(search(u, engine).found).toEqual([{ key, target: 0 }]);
    }
  });

  // Every key length the product uses, with keys planted where the count of carries is largest.
  for (let b = 5; b <= 16; b++) {
    it(`matches the reference loop for b = ${b}, across byte carries`, () => {
      const start = `${'5a'.repeat(b - 4)}00fffffe`.slice(-2 * b);
      const planted = [plus(start, 2), plus(start, 257), plus(start, 600)]; // ..01000000 and beyond
      const u = unitOf(start, 700, planted, ['0123456789abcdef']);
      const want = reference(u);
      expect(want.found.map((f) => f.key)).toEqual(planted);
      for (const engine of ENGINES) expect(search(u, engine)).toEqual(want);
    });
  }

  it('matches the reference on random units (property)', () => {
    fc.assert(
      fc.property(
        fc.integer({ min: 1, max: 16 }),
        fc.uint8Array({ minLength: 16, maxLength: 16 }),
        fc.integer({ min: 1, max: 400 }),
        fc.integer({ min: 0, max: 399 }),
        (b, bytes, count, at) => {
          const start = bytesToHex(bytes.subarray(0, b));
          if (BigInt(`0x${start}`) + BigInt(count) > 1n << BigInt(8 * b)) return;
          const u = unitOf(start, count, [plus(start, at % count)]);
          const want = reference(u);
          for (const engine of ENGINES) expect(search(u, engine)).toEqual(want);
        },
      ),
      { seed: 72, numRuns: 25 },
    );
  });

  it('searches up to the very last key of the key space', () => {
    const u = unitOf('ffffffff00', 256, ['ffffffffff', 'ffffffff00']);
    expect(search(u)).toEqual(reference(u));
    expect(search(u).found).toHaveLength(2);
  });

  it('gives the same result whatever the slice sizes', () => {
    const start = 'c90c0353c0d4e1fd07';
    const u = unitOf(start, 1500, [plus(start, 3), plus(start, 1499)]);
    const whole = search(u, 'simd');
    for (const budget of [1, 7, 31, 32, 33, 256, 1000]) expect(search(u, 'simd', budget)).toEqual(whole);
    expect(search(u, 'scalar', 13)).toEqual(whole);
  });

  it('resumes from a checkpoint to the same result as one run', () => {
    const start = 'deee0c6279bf66f700';
    const u = unitOf(start, 2000, [plus(start, 100), plus(start, 1900)]);
    const whole = search(u);
    for (const stopAfter of [0, 1, 101, 1000, 1999]) {
      const s = kernel.init(u, undefined);
      if (stopAfter > 0) kernel.step(s, stopAfter);
      const saved = JSON.parse(JSON.stringify(kernel.checkpoint(s)));
      expect(saved.done).toBe(stopAfter);
      const t = kernel.init(u, undefined, saved);
      while (!kernel.step(t, 333));
      expect(kernel.result(t)).toEqual(whole);
      expect(kernel.progress(t)).toBe(1);
      expect(kernel.opsDone(t)).toBe(2000 * 542);
    }
  });

  it('rejects a malformed checkpoint', () => {
    const u = unitOf('0000000000', 10);
    expect(() => kernel.init(u, undefined, { done: -1 })).toThrow();
  });
});
