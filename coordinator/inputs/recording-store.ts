/**
 * The InputStore: recordings as a catalog in Redis (catalog.ts) over a blob backend (chunks in Redis,
 * or files). An upload is written under a fresh blob id while it is hashed, and becomes a recording, in
 * one atomic step, only once it is complete and its sha256 known; a coordinator killed mid-upload leaves
 * a blob that no reader can see, which the collector removes, and the client uploads again.
 */
import { createHash } from 'node:crypto';
import { Readable } from 'node:stream';
import type { Logger } from 'pino';
import { IdlegridError, Sha256 } from '../../protocol/index.js';
import type { BlobBackend } from './blob-backend.js';
import type { RecordingCatalog, RecordingMeta } from './catalog.js';
import type { InputStore, StoredObject } from './input-store.js';

/** An upload tells the catalog it is alive at most this often (and at every chunk the backend takes). */
const PROGRESS_EVERY_MS = 1_000;

export class RecordingStore implements InputStore {
  constructor(readonly catalog: RecordingCatalog, readonly blobs: BlobBackend, private readonly log: Logger) {}

  async put(body: Readable, maxBytes: number): Promise<StoredObject> {
    const blob = await this.catalog.openUpload();
    const hash = createHash('sha256');
    let size = 0;
    let writer;
    try {
      writer = await this.blobs.open(blob);
      let told = Date.now();
      for await (const piece of body as AsyncIterable<Buffer>) {
        size += piece.length;
        if (size > maxBytes) throw new IdlegridError('FRAME_TOO_LARGE', `upload exceeds ${maxBytes} bytes`);
        hash.update(piece);
        await writer.write(piece);
        if (Date.now() - told >= PROGRESS_EVERY_MS) {
          told = Date.now();
          if (!(await this.catalog.progress(blob, size))) throw abandoned();
        }
      }
      const layout = await writer.finish();
      const sha256 = hash.digest('hex');
      const outcome = await this.catalog.commit(blob, sha256, size, layout.chunkSize);
      if (outcome === 'gone') throw abandoned();
      // The same bytes were uploaded before: keep that copy, drop this one.
      if (outcome === 'exists') void this.reap(blob);
      return { sha256, size };
    } catch (err) {
      await writer?.abort().catch(() => {});
      if (await this.catalog.abandon(blob).catch(() => false)) void this.reap(blob);
      throw err;
    }
  }

  async has(sha256: string): Promise<boolean> {
    return (await this.meta(sha256)) !== null;
  }

  async size(sha256: string): Promise<number | null> {
    return (await this.meta(sha256))?.size ?? null;
  }

  read(sha256: string, offset: number, length: number): Readable {
    if (length <= 0) throw new IdlegridError('BAD_REQUEST', 'length must be positive');
    const self = this;
    return Readable.from((async function* () {
      const meta = await self.inRange(sha256, offset, length);
      yield* self.blobs.read(meta.blob, meta, offset, length);
    })(), { objectMode: false });
  }

  async sliceSha256(sha256: string, offset: number, length: number): Promise<string> {
    const meta = await this.inRange(sha256, offset, length);
    const hash = createHash('sha256');
    for await (const chunk of this.blobs.read(meta.blob, meta, offset, length)) hash.update(chunk);
    return hash.digest('hex');
  }

  claim(sha256: string, jobId: string): Promise<boolean> {
    return Sha256.safeParse(sha256).success ? this.catalog.claim(sha256, jobId) : Promise.resolve(false);
  }

  /** Remove a doomed blob's bytes, then forget it; a failure leaves it doomed for the collector's next pass. */
  async reap(blob: string): Promise<void> {
    try {
      await this.blobs.remove(blob);
      await this.catalog.reaped(blob);
    } catch (err) {
      this.log.warn({ blob, err: (err as Error).message }, 'could not remove a discarded recording blob yet; retrying later');
    }
  }

  private meta(sha256: string): Promise<RecordingMeta | null> {
    return Sha256.safeParse(sha256).success ? this.catalog.meta(sha256) : Promise.resolve(null);
  }

  private async inRange(sha256: string, offset: number, length: number): Promise<RecordingMeta> {
    const meta = await this.meta(sha256);
    if (!meta) throw new IdlegridError('INPUT_MISSING', sha256);
    if (offset < 0 || length <= 0 || offset + length > meta.size) throw new IdlegridError('BAD_PARAMS', `slice ${offset}+${length} is outside the ${meta.size}-byte input`);
    return meta;
  }
}

function abandoned(): IdlegridError {
  return new IdlegridError('SLOW_CLIENT', 'the upload made no progress for too long and was discarded; upload it again');
}
