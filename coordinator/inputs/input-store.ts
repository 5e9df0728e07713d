/**
 * Where uploaded recordings live, addressed by their SHA-256. The coordinator only talks to this
 * interface: recording-store.ts implements it over a catalog in Redis and a blob backend (chunks in
 * Redis by default, or files in --data-dir), and an S3-compatible object store could be one more backend.
 */
import type { Readable } from 'node:stream';

export interface StoredObject {
  sha256: string;
  size: number;
}

export interface InputStore {
  /**
   * Stream an upload in; hashing happens on the way, nothing is held whole in memory. The recording
   * becomes visible (to every coordinator) only once it is complete and its hash known: an upload cut
   * short leaves nothing behind that a reader could see.
   */
  put(body: Readable, maxBytes: number): Promise<StoredObject>;
  has(sha256: string): Promise<boolean>;
  size(sha256: string): Promise<number | null>;
  /** A byte range of an object; the stream fails with INPUT_MISSING if the object or its bytes are gone. */
  read(sha256: string, offset: number, length: number): Readable;
  /** SHA-256 of a byte range, what a worker checks its download against. */
  sliceSha256(sha256: string, offset: number, length: number): Promise<string>;
  /**
   * Record that a job uses the recording, so that it is kept while the job needs it; false when there is
   * no such recording. Job submission calls this instead of has(): a check alone could race a deletion.
   */
  claim(sha256: string, jobId: string): Promise<boolean>;
}
