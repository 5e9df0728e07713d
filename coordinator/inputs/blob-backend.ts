/**
 * Where the bytes of a recording live, by blob id (a random id per upload; the catalog maps sha256 to
 * blob). Blobs are written once, by one upload, and never changed, so any coordinator may read any of
 * them without coordination; removal is idempotent and makes later writes to the blob fail or vanish.
 */

export interface BlobLayout {
  /** Bytes per chunk where the backend splits a blob (Redis); 0 where it does not (a file). */
  chunkSize: number;
}

export interface BlobWriter {
  /** Resolves when the backend can take more: the caller's stream waits, so memory stays bounded. */
  write(data: Buffer): Promise<void>;
  /** Everything written is stored. */
  finish(): Promise<BlobLayout>;
  /** Stop writing (the upload failed); what was written is removed later through the doomed list. */
  abort(): Promise<void>;
}

export interface BlobBackend {
  /** For logs and the options printout: "redis" or the directory. */
  readonly where: string;
  open(blob: string): Promise<BlobWriter>;
  /** The bytes [offset, offset + length) of a blob; fails with INPUT_MISSING when they are gone. */
  read(blob: string, layout: BlobLayout, offset: number, length: number): AsyncIterable<Buffer>;
  remove(blob: string): Promise<void>;
}
