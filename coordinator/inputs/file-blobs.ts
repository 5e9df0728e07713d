/**
 * Blobs as files under `--data-dir`/blobs/<id>, for recordings larger than one wants in Redis memory.
 * Every coordinator must see the same directory (one machine, or a shared filesystem such as NFS); the
 * catalog that says which recordings exist stays in Redis either way.
 */
import { createReadStream, createWriteStream } from 'node:fs';
import { mkdir, rm } from 'node:fs/promises';
import { once } from 'node:events';
import { join } from 'node:path';
import { finished } from 'node:stream/promises';
import { IdlegridError } from '../../protocol/index.js';
import type { BlobBackend, BlobLayout, BlobWriter } from './blob-backend.js';

export class FileBlobs implements BlobBackend {
  constructor(readonly where: string) {}

  private path(blob: string): string {
    if (!/^[0-9a-f]{8,64}$/.test(blob)) throw new IdlegridError('INTERNAL', `"${blob}" is not a blob id`);
    return join(this.where, 'blobs', blob);
  }

  async open(blob: string): Promise<BlobWriter> {
    await mkdir(join(this.where, 'blobs'), { recursive: true });
    const out = createWriteStream(this.path(blob), { flags: 'wx' });
    let failed: Error | undefined;
    out.on('error', (err) => (failed ??= err));
    await Promise.race([once(out, 'open'), once(out, 'error')]);
    if (failed) throw failed;
    return {
      async write(data) {
        if (failed) throw failed;
        if (!out.write(data)) await once(out, 'drain');
      },
      async finish(): Promise<BlobLayout> {
        out.end();
        await finished(out);
        return { chunkSize: 0 };
      },
      async abort() {
        out.destroy();
      },
    };
  }

  async *read(blob: string, _layout: BlobLayout, offset: number, length: number): AsyncIterable<Buffer> {
    try {
      for await (const chunk of createReadStream(this.path(blob), { start: offset, end: offset + length - 1 })) yield chunk as Buffer;
    } catch (err) {
      if ((err as NodeJS.ErrnoException).code === 'ENOENT') throw new IdlegridError('INPUT_MISSING', `the recording's file ${this.path(blob)} is gone`);
      throw err;
    }
  }

  async remove(blob: string): Promise<void> {
    await rm(this.path(blob), { force: true });
  }
}
