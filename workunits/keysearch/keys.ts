/** Keys as numbers and hex strings, and the one encryption a search compares against its targets. */
import { encryptCbcFirstHex } from './rc5.js';

/** First block of RC5-CBC under a key: encrypt(plaintext XOR iv), all hex. */
export const encryptBlock = (keyHex: string, ivHex: string, plaintextHex: string, rounds = 12): string =>
  encryptCbcFirstHex(keyHex, ivHex, plaintextHex, rounds);

/** A key as b big-endian bytes of hex. */
export const toHex = (n: bigint, bytes: number): string => n.toString(16).padStart(2 * bytes, '0');

/** The key's place in distributed.net's order: its bytes as a big-endian integer. */
export const keyNumber = (hex: string): bigint => BigInt(`0x${hex}`);
