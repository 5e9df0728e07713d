/**
 * Where uploaded recordings live, addressed by their SHA-256. The coordinator only talks to this
 * interface, so an S3-compatible object store can replace the local directory without other changes.
 */
import type { Readable } from 'node:stream';

export interface StoredObject {
  sha256: string;
  size: number;
}

export interface InputStore {
  /** Stream an upload in; hashing happens on the way, nothing is held whole in memory. */
  put(body: Readable, maxBytes: number): Promise<StoredObject>;
  has(sha256: string): Promise<boolean>;
  size(sha256: string): Promise<number | null>;
  /** A byte range of an object; throws NOT_FOUND for a missing object or a range outside it. */
  read(sha256: string, offset: number, length: number): Readable;
  /** SHA-256 of a byte range, what a worker checks its download against. */
  sliceSha256(sha256: string, offset: number, length: number): Promise<string>;
}
