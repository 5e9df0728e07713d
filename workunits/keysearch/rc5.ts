/**
 * Reference RC5-32/r/b (Rivest 1994, RFC 2040): key schedule and encryption of one 64-bit block.
 *
 * Written for reading, not speed: the coordinator uses it to confirm a claimed key, tests use it as the
 * oracle for the fast kernel. Blocks are two 32-bit words, little-endian, as RC5 specifies.
 */

export const P32 = 0xb7e15163;
export const Q32 = 0x9e3779b9;

const rotl = (x: number, s: number): number => ((x << (s & 31)) | (x >>> (32 - (s & 31)))) >>> 0;

/** The expanded key table S (2r + 2 words) for a key of 1..255 bytes. */
export function keySchedule(key: Uint8Array, rounds = 12): Uint32Array {
  const t = 2 * rounds + 2;
  const c = Math.max(1, Math.ceil(key.length / 4));
  const L = new Uint32Array(c);
  for (let i = key.length - 1; i >= 0; i--) L[i >> 2] = ((L[i >> 2] << 8) | key[i]) >>> 0;
  const S = new Uint32Array(t);
  S[0] = P32;
  for (let i = 1; i < t; i++) S[i] = S[i - 1] + Q32;
  let A = 0;
  let B = 0;
  for (let k = 0, i = 0, j = 0; k < 3 * Math.max(t, c); k++, i = (i + 1) % t, j = (j + 1) % c) {
    A = S[i] = rotl(S[i] + A + B, 3);
    B = L[j] = rotl(L[j] + A + B, A + B);
  }
  return S;
}

/** Encrypt one block given as two words; returns the two ciphertext words. */
export function encryptWords(S: Uint32Array, a: number, b: number, rounds = 12): [number, number] {
  let A = (a + S[0]) >>> 0;
  let B = (b + S[1]) >>> 0;
  for (let i = 1; i <= rounds; i++) {
    A = (rotl(A ^ B, B) + S[2 * i]) >>> 0;
    B = (rotl(B ^ A, A) + S[2 * i + 1]) >>> 0;
  }
  return [A, B];
}

export function hexToBytes(hex: string): Uint8Array {
  if (hex.length % 2 !== 0 || !/^[0-9a-fA-F]*$/.test(hex)) throw new Error(`not a hex byte string: "${hex}"`);
  const out = new Uint8Array(hex.length / 2);
  for (let i = 0; i < out.length; i++) out[i] = parseInt(hex.slice(2 * i, 2 * i + 2), 16);
  return out;
}

export function bytesToHex(bytes: Uint8Array): string {
  let s = '';
  for (const x of bytes) s += x.toString(16).padStart(2, '0');
  return s;
}

/** 8 hex bytes -> the two little-endian words of a block. */
export function blockWords(hex: string): [number, number] {
  const v = new DataView(hexToBytes(hex).buffer);
  if (v.byteLength !== 8) throw new Error(`a block is 16 hex digits, got "${hex}"`);
  return [v.getUint32(0, true), v.getUint32(4, true)];
}

export function wordsBlock(a: number, b: number): string {
  const v = new DataView(new ArrayBuffer(8));
  v.setUint32(0, a, true);
  v.setUint32(4, b, true);
  return bytesToHex(new Uint8Array(v.buffer));
}

/** RC5 encryption of one block, all in hex (key of any length, block 16 hex digits). */
export function encryptHex(keyHex: string, blockHex: string, rounds = 12): string {
  const [a, b] = blockWords(blockHex);
  return wordsBlock(...encryptWords(keySchedule(hexToBytes(keyHex), rounds), a, b, rounds));
}

/** First block of RC5-CBC: encrypt(plaintext XOR iv). */
export function encryptCbcFirstHex(keyHex: string, ivHex: string, plaintextHex: string, rounds = 12): string {
  const [p0, p1] = blockWords(plaintextHex);
  const [v0, v1] = blockWords(ivHex);
  return wordsBlock(...encryptWords(keySchedule(hexToBytes(keyHex), rounds), (p0 ^ v0) >>> 0, (p1 ^ v1) >>> 0, rounds));
}
