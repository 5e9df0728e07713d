/**
 * Secrets (tokens, account keys, host secrets) are stored only as SHA-256 hashes; these are the one way
 * to make and check them.
 */
import { createHash, timingSafeEqual } from 'node:crypto';

export const sha256 = (secret: string): Buffer => createHash('sha256').update(secret).digest();
export const sha256Hex = (secret: string): string => sha256(secret).toString('hex');

/** Does `presented` hash to `storedHex`? Compared in constant time, so timing says nothing of the secret. */
export function matchesHash(storedHex: string | null | undefined, presented: string): boolean {
  const want = Buffer.from(storedHex ?? '', 'hex');
  return want.length === 32 && timingSafeEqual(want, sha256(presented));
}
