/**
 * The key search's audit blocks: a unit's range cut into auditBlockSize runs of keys. A block is itself a
 * key range, so recomputing it is the ordinary kernel on a smaller unit, and its digest (over every key of
 * the block, in any order) is what the original result committed to in `blocks[b]`. Integer arithmetic
 * only: every host and the verifier get the same bits.
 */
import type { Audit } from '../kind.js';
import { keyNumber, toHex } from './keys.js';
import { auditBlockSize, auditBlocks, type Result, type UnitSpec } from './params.js';

function range(u: UnitSpec, b: number): { first: bigint; count: number } {
  const size = auditBlockSize(u.count);
  const offset = b * size;
  if (!Number.isInteger(b) || b < 0 || offset >= u.count) throw new RangeError(`block ${b} is not one of the unit's ${auditBlocks(u.count)} blocks`);
  return { first: keyNumber(u.start) + BigInt(offset), count: Math.min(size, u.count - offset) };
}

const foundIn = (r: Result, first: bigint, count: number): string[] =>
  r.found
    .filter((f) => {
      const k = keyNumber(f.key);
      return k >= first && k < first + BigInt(count);
    })
    .map((f) => `${f.key}/${f.target}`)
    .sort();

export const audit: Audit<UnitSpec, Result> = {
  blocks: (u) => auditBlocks(u.count),
  blockUnit(u, b) {
    const { first, count } = range(u, b);
    return { ...u, start: toHex(first, u.b), count };
  },
  agrees(u, b, original, recomputed) {
    const { first, count } = range(u, b);
    return recomputed.keys === count && original.blocks[b] === recomputed.digest &&
      foundIn(original, first, count).join() === foundIn(recomputed, first, count).join();
  },
};

/** The unit's digest as its blocks add up: a result whose blocks do not make its digest is not one computation. */
export function blocksMakeDigest(r: Result): boolean {
  let sum = 0;
  let xor = 0;
  for (const d of r.blocks) {
    sum = (sum + parseInt(d.slice(0, 8), 16)) >>> 0;
    xor = (xor ^ parseInt(d.slice(8), 16)) >>> 0;
  }
  return r.digest === sum.toString(16).padStart(8, '0') + xor.toString(16).padStart(8, '0');
}
