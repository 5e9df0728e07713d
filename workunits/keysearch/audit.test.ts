/**
 * Commit, then audit, for the key search: every block a result commits to is what recomputing that block
 * alone gives (so the verifier can check any block), bit for bit whatever the engine or the slicing;
 * altering one block's digest or hiding one found key is seen in that block only. And decoys: the same
 * in every unit, shuffled among ringers and the real target, required of the unit whose range holds them.
 */
import { describe, expect, it } from 'vitest';
import kernel from './kernel.js';
import keysearch from './kind.js';
import { audit } from './audit.js';
import { encryptBlock } from './keys.js';
import { MAX_AUDIT_BLOCKS, Params, type Result, type UnitSpec } from './params.js';
import { decoys, plantRingers, ringersFound } from './ringers.js';

const IV = '0102030405060708';
const PT = '54686520756e6b6e';
const unit = (start: string, count: number, keys: string[]): UnitSpec => ({
  b: start.length / 2, rounds: 12, iv: IV, plaintext: PT, targets: keys.map((k) => encryptBlock(k, IV, PT)), start, count,
});
const plus = (start: string, n: number): string => (BigInt(`0x${start}`) + BigInt(n)).toString(16).padStart(start.length, '0');

function run(u: UnitSpec, budget = 1e9, engine?: 'simd' | 'scalar'): Result {
  const s = kernel.initWith(u, undefined, undefined, engine);
  while (!kernel.step(s, budget));
  return kernel.result(s);
}

describe('keysearch audit blocks', () => {
  const start = '00000012345678ff00';
  const u = unit(start, 5000, [plus(start, 17), plus(start, 4321)]);
  const full = run(u);

  it('commits to one digest per block, at most MAX_AUDIT_BLOCKS, adding up to the unit digest', () => {
    expect(full.blocks).toHaveLength(audit.blocks(u));
    expect(audit.blocks(u)).toBeLessThanOrEqual(MAX_AUDIT_BLOCKS);
    expect(keysearch.check!(u, full)).toBe(true);
    expect(full.found.map((f) => f.key).sort()).toEqual([plus(start, 17), plus(start, 4321)].sort());
  });

  it('every block recomputed alone agrees with what the whole unit committed to', () => {
    for (let b = 0; b < audit.blocks(u); b++) {
      const alone = run(audit.blockUnit(u, b));
      expect(audit.agrees(u, b, full, alone), `block ${b}`).toBe(true);
    }
  });

  it('gives the same bits on every engine and however the unit is sliced (the determinism audits rely on)', () => {
    for (const [budget, engine] of [[1, 'scalar'], [7, 'simd'], [300, 'scalar'], [4096, 'simd']] as const) {
      expect(run(u, budget, engine)).toEqual(full);
    }
    // Resumed from a checkpoint taken mid-block.
    const s = kernel.init(u, undefined);
    kernel.step(s, 1000);
    const resumed = kernel.init(u, undefined, JSON.parse(JSON.stringify(kernel.checkpoint(s))));
    while (!kernel.step(resumed, 333));
    expect(kernel.result(resumed)).toEqual(full);
  });

  it('sees a forged block digest, a hidden key or a skipped block in that block only', () => {
    const forged = { ...full, blocks: full.blocks.map((d, i) => (i === 3 ? '0123456789abcdef' : d)) };
    const hidden = { ...full, found: full.found.filter((f) => f.key !== plus(start, 4321)) };
    const holder = Math.floor(4321 / Math.ceil(5000 / MAX_AUDIT_BLOCKS));
    for (let b = 0; b < audit.blocks(u); b++) {
      const alone = run(audit.blockUnit(u, b));
      expect(audit.agrees(u, b, forged, alone)).toBe(b !== 3);
      expect(audit.agrees(u, b, hidden, alone)).toBe(b !== holder);
    }
    // A forged block that is not made to add up is refused before any audit.
    expect(keysearch.check!(u, forged)).toBe(false);
    expect(keysearch.check!(u, { ...full, blocks: full.blocks.slice(1) })).toBe(false);
  });

  it('refuses block numbers the unit does not have', () => {
    expect(() => audit.blockUnit(u, audit.blocks(u))).toThrow(RangeError);
    expect(() => audit.blockUnit(u, -1)).toThrow(RangeError);
  });
});

describe('keysearch decoys', () => {
  const p = Params.parse({ algorithm: 'rc5-32/12/9', iv: IV, plaintext: PT, ciphertext: encryptBlock('000000000000001000', IV, PT), start: '000000000000000000', count: 8192, unitSize: 1024 });
  const plan = keysearch.plan(p);
  if (!plan.ok) throw new Error(plan.error.message);
  const random = (seed: number, n: number) => Uint8Array.from({ length: n }, (_, i) => (seed * 131 + i * 97) & 255);
  const d = decoys(p, random(1, 64), 8);

  it('every unit carries the same decoy targets beside the real one, shuffled among its own ringers', () => {
    const units = [0, 3, 7].map((i) => plantRingers(keysearch.unit(p, plan.value, i), random(i + 2, 64), 2, d));
    for (const { unit: x } of units) {
      expect(x.targets).toHaveLength(1 + 8 + 2);
      for (const t of [p.ciphertext, ...d.targets]) expect(x.targets).toContain(t);
    }
    // The targets every unit shares are the real one and the decoys: nine, among which the real one hides.
    const shared = units[0].unit.targets.filter((t) => units.every(({ unit: x }) => x.targets.includes(t)));
    expect(shared.sort()).toEqual([p.ciphertext, ...d.targets].sort());
    expect(new Set(units.map(({ unit: x }) => x.targets.indexOf(p.ciphertext))).size).toBeGreaterThan(1);
  });

  it('a unit must report the decoys its range holds: hiding a shared-target hit is caught when it was a decoy', () => {
    const holder = d.keys.map((k) => Math.floor(Number(BigInt(`0x${k}`)) / 1024))[0];
    const { unit: x, secret } = plantRingers(keysearch.unit(p, plan.value, holder), random(9, 64), 2, d);
    const honest = run(x);
    expect(keysearch.check!(x, honest)).toBe(true);
    expect(ringersFound(x, secret, honest)).toBe(true);
    const hider = { ...honest, found: honest.found.filter((f) => f.key !== d.keys[0]) };
    expect(ringersFound(x, secret, hider)).toBe(false);
  });
});
