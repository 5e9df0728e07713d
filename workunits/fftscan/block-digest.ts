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

/** The digest of a block that found nothing. */
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

/** A detection's committed fields, for exact comparison of a reported detection with a recomputed one. */
export const sameDetection = (a: Detection, b: Detection): boolean => canonicalDetection(a) === canonicalDetection(b);
