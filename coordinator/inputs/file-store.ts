import { createHash, randomBytes } from 'node:crypto';
import { createReadStream, createWriteStream } from 'node:fs';
import { mkdir, rename, rm, stat } from 'node:fs/promises';
import { join } from 'node:path';
import type { Readable } from 'node:stream';
import { pipeline } from 'node:stream/promises';
import { Transform } from 'node:stream';
import { IdlegridError, Sha256 } from '../../protocol/index.js';
import type { InputStore, StoredObject } from './input-store.js';

/** Objects under <dir>/objects/ab/abcdef…, written to a temp file and renamed once the hash is known. */
export class FileInputStore implements InputStore {
  constructor(private readonly dir: string) {}

  private path(sha: string): string {
    if (!Sha256.safeParse(sha).success) throw new IdlegridError('BAD_REQUEST', `"${sha}" is not a sha256`);
    return join(this.dir, 'objects', sha.slice(0, 2), sha);
  }

  async put(body: Readable, maxBytes: number): Promise<StoredObject> {
    await mkdir(join(this.dir, 'tmp'), { recursive: true });
    const tmp = join(this.dir, 'tmp', randomBytes(8).toString('hex'));
    const hash = createHash('sha256');
    let size = 0;
    const meter = new Transform({
      transform(chunk: Buffer, _enc, cb) {
        size += chunk.length;
        if (size > maxBytes) return cb(new IdlegridError('FRAME_TOO_LARGE', `upload exceeds ${maxBytes} bytes`));
        hash.update(chunk);
        cb(null, chunk);
      },
    });
    try {
      await pipeline(body, meter, createWriteStream(tmp));
    } catch (err) {
      await rm(tmp, { force: true });
      throw err;
    }
    const sha256 = hash.digest('hex');
    const dest = this.path(sha256);
    await mkdir(join(this.dir, 'objects', sha256.slice(0, 2)), { recursive: true });
    await rename(tmp, dest);
    return { sha256, size };
  }

  async has(sha256: string): Promise<boolean> {
    return (await this.size(sha256)) !== null;
  }

  async size(sha256: string): Promise<number | null> {
    try {
      return (await stat(this.path(sha256))).size;
    } catch {
      return null;
    }
  }

  read(sha256: string, offset: number, length: number): Readable {
    if (length <= 0) throw new IdlegridError('BAD_REQUEST', 'length must be positive');
    return createReadStream(this.path(sha256), { start: offset, end: offset + length - 1 });
  }

  async sliceSha256(sha256: string, offset: number, length: number): Promise<string> {
    const size = await this.size(sha256);
    if (size === null) throw new IdlegridError('INPUT_MISSING', sha256);
    if (offset < 0 || offset + length > size) throw new IdlegridError('BAD_PARAMS', `slice ${offset}+${length} is outside the ${size}-byte input`);
    const hash = createHash('sha256');
    for await (const chunk of this.read(sha256, offset, length)) hash.update(chunk as Buffer);
    return hash.digest('hex');
  }
}
