/**
 * The tab's host identity: a random host id and the secret that proves it, made on first use with the
 * browser's cryptographic random source and kept in IndexedDB, so that this browser stays one host
 * (credit, trust, units held) across reloads, the same way the Node worker keeps host.json.
 */
import type { JoinStore } from './store.js';

export interface HostIdentity {
  hostId: string;
  hostSecret: string;
}

function base64url(bytes: Uint8Array): string {
  let s = '';
  for (const b of bytes) s += String.fromCharCode(b);
  return btoa(s).replace(/\+/g, '-').replace(/\//g, '_').replace(/=+$/, '');
}

const random = (n: number): Uint8Array => crypto.getRandomValues(new Uint8Array(n));

const isIdentity = (v: unknown): v is HostIdentity => {
  const id = v as HostIdentity | undefined;
  return typeof id?.hostId === 'string' && /^[A-Za-z0-9_-]{8,64}$/.test(id.hostId) && typeof id.hostSecret === 'string' && id.hostSecret.length >= 32;
};

export function loadIdentity(store: JoinStore): Promise<HostIdentity> {
  // The same shape as the Node worker's ids; "b-" says "browser" to whoever reads raw ids.
  return store.getOrCreate('identity', isIdentity, () => ({ hostId: `b-${base64url(random(12))}`, hostSecret: base64url(random(32)) }));
}
