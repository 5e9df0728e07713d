import { createHash, randomBytes } from 'node:crypto';
import { describe, expect, it } from 'vitest';
import { sha256Hex, sha256Js } from './sha256.js';

const reference = (b: Uint8Array): string => createHash('sha256').update(b).digest('hex');

describe('sha256 for pages without crypto.subtle', () => {
  it('matches node:crypto at every length around the block and padding boundaries', () => {
    for (let n = 0; n <= 200; n++) {
      const bytes = new Uint8Array(randomBytes(n));
      expect(sha256Js(bytes), `${n} bytes`).toBe(reference(bytes));
    }
  });

  it('matches on a view into a larger buffer and on a megabyte', () => {
    const big = new Uint8Array(randomBytes(1 << 20));
    expect(sha256Js(big)).toBe(reference(big));
    const view = big.subarray(3, 3 + 1000);
    expect(sha256Js(view)).toBe(reference(view));
  });

  it('gives the FIPS 180-2 examples', async () => {
    expect(sha256Js(new TextEncoder().encode('abc'))).toBe('ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad');
    expect(await sha256Hex(new TextEncoder().encode('abcdbcdecdefdefgefghfghighijhijkijkljklmklmnlmnomnopnopq'))).toBe('248d6a61d20638b8e5c026930c3e6039a33ce45964ff2167f6ecedd419db06c1');
  });
});
