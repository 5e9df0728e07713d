/**
 * Block digests: what a signal-scan result commits to. A block is one trial chirp of a baseband unit
 * (every FFT block, Gaussian fit and fold of that chirp), or the whole of a drift unit. Its digest chains
 * sha256 over every detection the block made, in the order the kernel made them, each number written as
 * the hex of its IEEE-754 double: the kernels are WebAssembly and the rest is deterministic JavaScript,
 * so every host and the coordinator's verifier get the same bits, and equality is exact (no tolerance).
 * A chain (not one hash over a list) keeps a checkpoint small: it carries the last link and a count.
 */
// @noble/hashes (audited, dependency-free): a synchronous sha256 that runs in Node and in the browser
// volunteer alike (dashboard/web/join runs this kernel too), where node:crypto is not there.
import { sha256 } from '@noble/hashes/sha2.js';
import { bytesToHex, utf8ToBytes } from '@noble/hashes/utils.js';
import type { Detection } from './types.js';

/** The start of a block's chain of detections (what a block that found nothing has before its witness seals it). */
export const EMPTY_BLOCK_DIGEST = '0'.repeat(64);

/** Every field of a detection that a block commits to, in a fixed order (`signal` is the unit's, not the block's). */
const FIELDS = [
  'frequencyHz', 'driftHzPerS', 'snr', 'timeS', 'fftLength', 'power', 'score', 'threshold', 'periodS', 'delayS',
  'chiSquare', 'nullChiSquare', 'meanPower',
] as const;

const bits = new DataView(new ArrayBuffer(8));

/** A number as the 16 hex digits of its double (so -0, NaN and every last bit are told apart); '-' when absent. */
function canonicalNumber(x: number | undefined): string {
  if (x === undefined) return '-';
  bits.setFloat64(0, x);
  return bits.getBigUint64(0).toString(16).padStart(16, '0');
}

/** One detection in canonical form: its type, then every field of FIELDS. */
export function canonicalDetection(d: Detection): string {
  return [d.type, ...FIELDS.map((f) => canonicalNumber(d[f]))].join(' ');
}

/** The next link of a block's chain: sha256(previous digest, the detection's canonical form). */
export const chainDigest = (previous: string, d: Detection): string =>
  bytesToHex(sha256(utf8ToBytes(`${previous}\n${canonicalDetection(d)}`)));

/**
 * The witness of a block: every spectrum the block computed, folded into 64 bits (two 32-bit lanes) from
 * the exact bits of its peak and total power. A block's detections alone would let a host leave out any
 * block it bets holds nothing and send the digest an honest host sends for it; folded into the digest
 * (`sealDigest`), the witness makes a block's commitment unknowable without computing its spectra. It
 * need not resist collisions, only guessing: the coordinator recomputes the block and compares. Cheap
 * (a few integer operations per spectrum), so it costs nothing beside an FFT.
 */
export const WITNESS_SEED: readonly [number, number] = [0x811c9dc5, 0x2545f491];

/** Folds `x` (its IEEE-754 double bits) into the lanes `w[i]`, `w[i + 1]`. */
export function foldWitness(w: number[], i: number, x: number): void {
  bits.setFloat64(0, x);
  const hi = bits.getUint32(0), lo = bits.getUint32(4);
  let a = Math.imul(w[i] ^ lo, 0x9e3779b1);
  a = Math.imul(a ^ (a >>> 15) ^ hi, 0x85ebca6b);
  let b = Math.imul(w[i + 1] ^ hi, 0xc2b2ae35);
  b = Math.imul(b ^ (b >>> 13) ^ lo, 0x27d4eb2f);
  w[i] = (a ^ (b >>> 16)) >>> 0;
  w[i + 1] = (b ^ (a >>> 16)) >>> 0;
}

/** A block's commitment: its detections' chain sealed with its witness. */
export const sealDigest = (chain: string, w0: number, w1: number): string =>
  bytesToHex(sha256(utf8ToBytes(`${chain}\nwitness ${w0.toString(16).padStart(8, '0')}${w1.toString(16).padStart(8, '0')}`)));

/** A detection's committed fields, for exact comparison of a reported detection with a recomputed one. */
export const sameDetection = (a: Detection, b: Detection): boolean => canonicalDetection(a) === canonicalDetection(b);
