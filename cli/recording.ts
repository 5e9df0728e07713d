/**
 * Turning a recording on disk into a Source descriptor for the fftscan kind, checked whole, and then an
 * upload. The check comes first and needs no coordinator: the readers compare the file's length with its
 * header, and the kind's own plan compares its sample count with what the analysis needs. A recording
 * that fails is refused before a byte is sent, so a refused file leaves nothing behind on the
 * coordinator. Only headers are read into memory (a .sah is small and read whole); sample data is
 * streamed to the coordinator.
 */
import { createReadStream } from 'node:fs';
import { open, readFile, stat } from 'node:fs/promises';
import { Readable } from 'node:stream';
import { describeIssues } from '../protocol/index.js';
import { FilterbankError } from '../workunits/fftscan/filterbank.js';
import fftscan from '../workunits/fftscan/kind.js';
import { filSource } from '../workunits/fftscan/params.js';
import { SahError, sahSource } from '../workunits/fftscan/sah.js';
import { parseSigmfMeta, SigmfError, sigmfSource } from '../workunits/fftscan/sigmf.js';
import type { Source } from '../workunits/fftscan/types.js';
import type { Client } from './client.js';
import { CliError } from './errors.js';

/** Stands in for the sha256 until the upload gives the real one; no check depends on it. */
const NO_SHA = '0'.repeat(64);

/** A recording on disk, checked by its reader: the file to upload and its Source (sha256 still to come). */
export interface Recording {
  /** The file whose bytes are the kind's input (for SigMF, the .sigmf-data beside the metadata). */
  dataPath: string;
  size: number;
  source: Source;
  /** One line for the user: what was found. */
  description: string;
}

/** The size of a file the user named; a folder or a device is refused by name. */
async function fileSize(path: string): Promise<number> {
  const st = await stat(path);
  if (!st.isFile()) throw new CliError('BAD_REQUEST', `${path}: not a file${st.isDirectory() ? ' (a folder)' : ''}`);
  return st.size;
}

/** The first `bytes` bytes of a file. */
async function head(path: string, bytes: number): Promise<Uint8Array> {
  const fh = await open(path, 'r');
  try {
    const buf = Buffer.alloc(bytes);
    const { bytesRead } = await fh.read(buf, 0, bytes, 0);
    return new Uint8Array(buf.buffer, buf.byteOffset, bytesRead);
  } finally {
    await fh.close();
  }
}

/** A reader's error, as the CLI reports it: the reader's code, the file named. */
const asCliError = (path: string, e: unknown): unknown =>
  e instanceof SahError || e instanceof SigmfError || e instanceof FilterbankError ? new CliError(e.code, `${path}: ${e.message}`) : e;

function named<T>(path: string, read: () => T): T {
  try {
    return read();
  } catch (e) {
    throw asCliError(path, e);
  }
}

/** Most filterbank headers are under 1 kB; one listing every channel's frequency can reach megabytes. */
const FIL_HEADS = [1 << 16, 1 << 24];

async function readFil(path: string): Promise<Recording> {
  const size = await fileSize(path);
  for (const n of FIL_HEADS) {
    const bytes = await head(path, Math.min(size, n));
    try {
      const source = filSource(bytes, NO_SHA, size);
      return { dataPath: path, size, source, description: `${size} bytes, ${source.nChan} channels x ${source.nTime} spectra` };
    } catch (e) {
      // A header longer than what was read looks cut short: read more, unless that was the whole file.
      const more = e instanceof FilterbankError && e.code === 'FIL_TRUNCATED' && bytes.length < size && n !== FIL_HEADS.at(-1);
      if (!more) throw asCliError(path, e);
    }
  }
  throw new CliError('FIL_BAD_HEADER', `${path}: no HEADER_END in the first ${FIL_HEADS.at(-1)} bytes`);
}

async function readSigmf(path: string): Promise<Recording> {
  const base = path.replace(/\.sigmf-(meta|data)$/, '');
  const metaPath = `${base}.sigmf-meta`;
  const dataPath = `${base}.sigmf-data`;
  await fileSize(metaPath);
  const metaText = await readFile(metaPath, 'utf8');
  const meta = named(metaPath, () => parseSigmfMeta(metaText));
  const size = await fileSize(dataPath);
  const source = named(dataPath, () => sigmfSource(meta, size, NO_SHA));
  return { dataPath, size, source, description: `${size} bytes, ${meta.datatype}, ${meta.numChannels} channel(s) at ${meta.sampleRate} Hz, ${source.sampleCount} samples` };
}

/** Read and check a .sah, .fil or .sigmf-meta (+ its .sigmf-data) recording; uploads nothing. */
export async function readRecording(path: string): Promise<Recording> {
  if (path.endsWith('.sah')) {
    await fileSize(path);
    const bytes = new Uint8Array(await readFile(path));
    const source = named(path, () => sahSource(bytes, NO_SHA));
    return { dataPath: path, size: bytes.length, source, description: `${bytes.length} bytes, ${source.sampleCount} samples` };
  }
  if (path.endsWith('.fil')) return readFil(path);
  if (path.endsWith('.sigmf-meta') || path.endsWith('.sigmf-data')) return readSigmf(path);
  throw new CliError('BAD_REQUEST', `${path}: give a .sigmf-meta, .sah or .fil recording`);
}

/**
 * The job's parameters checked as the coordinator will check them, and planned by the kind: a recording
 * with fewer samples than one FFT, an unknown datatype or a job of too many units fails here, naming the
 * file, before the upload.
 */
export function checkPlan(path: string, params: Record<string, unknown>): void {
  const parsed = fftscan.params.safeParse(params);
  if (!parsed.success) throw new CliError('BAD_PARAMS', `${path}: ${describeIssues(parsed.error, 'params')}`);
  const planned = fftscan.plan(parsed.data);
  if (!planned.ok) throw new CliError(planned.error.code, `${path}: ${planned.error.message}`);
}

/** Stream the recording's data to the coordinator; its sha256 completes the Source. */
export async function uploadRecording(client: Client, rec: Recording): Promise<Source> {
  const stored = await client.call<{ sha256: string; size: number }>('POST', '/api/data', undefined, {
    stream: Readable.toWeb(createReadStream(rec.dataPath)) as ReadableStream,
    type: 'application/octet-stream',
  });
  return { ...rec.source, sha256: stored.sha256 } as Source;
}
