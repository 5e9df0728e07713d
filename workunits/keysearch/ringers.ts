/**
 * Planted answers that check a search without a second computation (Golle & Mironov's ringers).
 *
 * - Ringers: per unit, keys of the unit's range picked with the coordinator's secret randomness; their
 *   ciphertexts join the unit's targets. A host that skips a fraction s of the keys misses each with
 *   probability s.
 * - Decoys: per job, keys spread over the whole job's range whose targets every unit carries. The job's
 *   own target is the same in every unit while ringers change from unit to unit, so without decoys a host
 *   holding two units could tell the real target apart, compute honestly and hide only the real key.
 *   With d decoys the real target is one of d + 1 that every unit shares, and hiding a hit of one of them
 *   is caught whenever it was a decoy.
 *
 * All targets are made as the job's are (same iv and plaintext) and shuffled per unit, and all the keys
 * stay on the coordinator: a result must report every ringer and decoy key in its range.
 */
import { encryptBlock, keyNumber, toHex } from './keys.js';
import type { Params, Result, UnitSpec } from './params.js';
import { keyBytesOf } from './params.js';

/** The job's decoys: keys and their targets, computed once per job. */
export interface Decoys {
  keys: string[];
  targets: string[];
}

/** n keys in [first, first + count) from 8 random bytes each (the bias of `mod count` is < 2^-32). */
function pickKeys(first: bigint, count: bigint, b: number, randomBytes: Uint8Array, n: number): string[] {
  if (randomBytes.length < 8 * n) throw new Error(`need ${8 * n} random bytes for ${n} planted keys, got ${randomBytes.length}`);
  const view = new DataView(randomBytes.buffer, randomBytes.byteOffset, randomBytes.byteLength);
  return Array.from({ length: n }, (_, i) => toHex(first + (view.getBigUint64(8 * i) % count), b));
}

export function decoys(p: Params, randomBytes: Uint8Array, n: number): Decoys {
  const keys = pickKeys(keyNumber(p.start), BigInt(p.count), keyBytesOf(p.algorithm), randomBytes, n);
  return { keys, targets: keys.map((k) => encryptBlock(k, p.iv, p.plaintext)) };
}

const inUnit = (u: UnitSpec, key: string): boolean => {
  const k = keyNumber(key);
  const first = keyNumber(u.start);
  return k >= first && k < first + BigInt(u.count);
};

/** Needs 8 random bytes per ringer plus one per target for the shuffle. */
export function plantRingers(u: UnitSpec, randomBytes: Uint8Array, n: number, jobDecoys?: Decoys): { unit: UnitSpec; secret: { keys: string[] } } {
  const ringers = pickKeys(keyNumber(u.start), BigInt(u.count), u.b, randomBytes, n);
  const targets = [...u.targets, ...(jobDecoys?.targets ?? []), ...ringers.map((k) => encryptBlock(k, u.iv, u.plaintext))];
  if (targets.length > 64) throw new Error(`a unit holds at most 64 targets, this would have ${targets.length}`);
  if (randomBytes.length < 8 * n + targets.length) throw new Error(`plantRingers needs ${8 * n + targets.length} random bytes, got ${randomBytes.length}`);
  for (let i = targets.length - 1; i > 0; i--) {
    const j = randomBytes[8 * n + i] % (i + 1);
    [targets[i], targets[j]] = [targets[j], targets[i]];
  }
  const planted = [...ringers, ...(jobDecoys?.keys.filter((k) => inUnit(u, k)) ?? [])];
  return { unit: { ...u, targets }, secret: { keys: planted } };
}

/** Did the result find every planted key of its range? (check() has verified that each found key opens its target.) */
export function ringersFound(_u: UnitSpec, secret: { keys: string[] }, r: Result): boolean {
  const got = new Set(r.found.map((f) => f.key));
  return secret.keys.every((key) => got.has(key));
}
