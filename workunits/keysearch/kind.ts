/**
 * The key search kind: an RC5-32/12/b secret-key search in the manner of distributed.net's RC5-72.
 * A job names a key range; unit i is the i-th run of `unitSize` keys from `start`. A unit is computed
 * from the job's parameters and its index alone (bigint maths), so units are never stored up front.
 */
import { fail, ok, type Kind, type Outcome, type Plan } from '../kind.js';
import { audit, blocksMakeDigest } from './audit.js';
import { encryptBlock, keyNumber, toHex } from './keys.js';
import { OPS_PER_KEY, Params, Result, UnitSpec, auditBlocks, keyBytesOf, type Answer } from './params.js';
import { bytesToHex } from './rc5.js';
import { decoys, plantRingers, ringersFound, type Decoys } from './ringers.js';

export { encryptBlock } from './keys.js';

/** Is this key the one the job looks for (rather than a ringer or decoy)? Found keys are rare: re-encrypting is cheap. */
const isJobKey = (p: Params, key: string): boolean => encryptBlock(key, p.iv, p.plaintext) === p.ciphertext;

function plan(p: Params): Outcome<Plan> {
  const b = keyBytesOf(p.algorithm);
  const start = keyNumber(p.start);
  const count = BigInt(p.count);
  const space = 1n << BigInt(8 * b);
  if (start + count > space) {
    return fail(
      'BAD_PARAMS',
      `start + count runs past the last key of ${p.algorithm} (${toHex(space - 1n, b)}): ` +
        `at most ${space - start} keys remain after start ${p.start}`,
    );
  }
  const units = (count + BigInt(p.unitSize) - 1n) / BigInt(p.unitSize);
  if (units > BigInt(Number.MAX_SAFE_INTEGER)) {
    return fail('BAD_PARAMS', `count / unitSize gives ${units} units, more than 2^53: use a larger unitSize`);
  }
  return ok({
    unitsTotal: Number(units),
    opsPerUnit: Math.min(p.unitSize, Number(count)) * OPS_PER_KEY,
    itemsTotal: Number(count),
  });
}

function unit(p: Params, _plan: Plan, index: number): UnitSpec {
  const b = keyBytesOf(p.algorithm);
  const offset = BigInt(index) * BigInt(p.unitSize);
  const count = BigInt(p.count) - offset;
  return {
    b,
    rounds: 12,
    iv: p.iv,
    plaintext: p.plaintext,
    targets: [p.ciphertext],
    start: toHex(keyNumber(p.start) + offset, b),
    count: Number(count < BigInt(p.unitSize) ? count : BigInt(p.unitSize)),
  };
}

const foundKey = (f: { key: string; target: number }): string => `${f.key}/${f.target}`;

/**
 * A claimed key is good when it is in the unit's range and really encrypts to its target; the result
 * commits to every audit block and its blocks add up to its digest.
 */
function check(u: UnitSpec, r: Result): boolean {
  if (r.keys !== u.count || r.blocks.length !== auditBlocks(u.count) || !blocksMakeDigest(r)) return false;
  // A key named twice is not two finds: an honest kernel reports each key once.
  if (new Set(r.found.map(foundKey)).size !== r.found.length) return false;
  const first = keyNumber(u.start);
  return r.found.every((f) => {
    if (f.key.length !== 2 * u.b || f.target >= u.targets.length) return false;
    const k = keyNumber(f.key);
    return k >= first && k < first + BigInt(u.count) && encryptBlock(f.key, u.iv, u.plaintext) === u.targets[f.target];
  });
}

function assemble(p: Params, _plan: Plan, results: Array<{ index: number; result: Result }>): Answer {
  const keys = new Set<string>();
  let keysSearched = 0;
  for (const { result } of results) {
    keysSearched += result.keys;
    for (const f of result.found) if (isJobKey(p, f.key)) keys.add(f.key);
  }
  const found = [...keys].sort((a, b) => (keyNumber(a) < keyNumber(b) ? -1 : 1)).map((key) => ({ key }));
  return { found, keysSearched };
}

export const keysearch: Kind<Params, UnitSpec, Result, Answer> = {
  name: 'keysearch',
  // 2: results commit to per-block digests (audits); units carry job-level decoys.
  version: 2,
  title: 'RC5-32/12/b secret-key search (distributed.net RC5-72 style): find the key of a CBC ciphertext',
  opsUnit: `32-bit integer operations; ${OPS_PER_KEY} per key (RC5-32/12 key schedule and one block)`,
  params: Params,
  unitSpec: UnitSpec,
  result: Result,
  plan,
  unit,
  ops: (u) => u.count * OPS_PER_KEY,
  itemName: 'keys',
  items: (u) => u.count,
  compare: (a, b) =>
    a.keys === b.keys &&
    a.digest === b.digest &&
    a.found.length === b.found.length &&
    [...a.found.map(foundKey)].sort().join() === [...b.found.map(foundKey)].sort().join(),
  decisive: (r, p) => r.found.some((f) => isJobKey(p, f.key)),
  check,
  assemble,
  plantRingers: (u, random, n, jobDecoys) => plantRingers(u, random, n, jobDecoys as Decoys | undefined),
  ringersFound: (u, secret, r) => ringersFound(u, secret as { keys: string[] }, r),
  decoys,
  audit,
  kernelModule: 'keysearch/kernel.js',
};
export default keysearch;

/** A deterministic byte stream from a seed (xorshift32 over an FNV-1a hash): kinds use no unseeded randomness. */
function seededBytes(seed: Uint8Array, n: number): Uint8Array {
  let h = 0x811c9dc5;
  for (const x of seed) h = Math.imul(h ^ x, 0x01000193) >>> 0;
  h ||= 0x9e3779b9; // xorshift never leaves 0
  const out = new Uint8Array(n);
  for (let i = 0; i < n; i++) {
    h ^= h << 13;
    h ^= h >>> 17;
    h ^= h << 5;
    out[i] = (h >>> 0) & 0xff;
  }
  return out;
}

export interface DemoOptions {
  /** Key bytes (default 9, RC5-72). */
  b?: number;
  /** Keys in the job (default 2^22: a few seconds on one core). */
  count?: number;
  /** Keys per unit (default 2^18). */
  unitSize?: number;
}

function demo(seedBytes: Uint8Array, o: DemoOptions = {}): { params: Params; key: string } {
  const b = o.b ?? 9;
  const count = o.count ?? 2 ** 22;
  const r = seededBytes(seedBytes, 8 + b + 4);
  const iv = bytesToHex(r.subarray(0, 8));
  const startBytes = r.slice(8, 8 + b);
  startBytes[0] &= 0x7f; // far from the end of the key space
  const start = keyNumber(bytesToHex(startBytes));
  const offset = BigInt(new DataView(r.buffer).getUint32(8 + b) % count);
  const key = toHex(start + offset, b);
  const plaintext = '54686520756e6b6e'; // "The unkn", as in the RSA challenges
  const params = Params.parse({
    algorithm: `rc5-32/12/${b}`,
    iv,
    plaintext,
    ciphertext: encryptBlock(key, iv, plaintext),
    start: toHex(start, b),
    count,
    unitSize: o.unitSize ?? 2 ** 18,
  });
  return { params, key };
}

/** Job parameters for a demo search: a key planted at a random place in a small range. */
export const makeDemoJob = (seedBytes: Uint8Array, options?: DemoOptions): Params => demo(seedBytes, options).params;

/** The key makeDemoJob planted for the same seed and options. */
export const demoJobKey = (seedBytes: Uint8Array, options?: DemoOptions): string => demo(seedBytes, options).key;
