/**
 * Turning a recording on disk into an upload and a Source descriptor for the fftscan kind. Only headers
 * are read into memory (a .sah is small and read whole); sample data is streamed to the coordinator.
 */
import { createReadStream } from 'node:fs';
import { open, readFile, stat } from 'node:fs/promises';
import { Readable } from 'node:stream';
import type { Client } from './client.js';
import { filterbankSpectraCount, parseFilterbankHeader } from '../workunits/fftscan/filterbank.js';
import { sahSource } from '../workunits/fftscan/sah.js';
import { parseSigmfMeta } from '../workunits/fftscan/sigmf.js';
import type { Source } from '../workunits/fftscan/types.js';

async function upload(client: Client, path: string): Promise<string> {
  const stored = await client.call<{ sha256: string; size: number }>('POST', '/api/data', undefined, {
    stream: Readable.toWeb(createReadStream(path)) as ReadableStream,
    type: 'application/octet-stream',
  });
  return stored.sha256;
}

async function head(path: string, bytes: number): Promise<Uint8Array> {
  const fh = await open(path, 'r');
  try {
    const buf = Buffer.alloc(bytes);
    const { bytesRead } = await fh.read(buf, 0, bytes, 0);
    return new Uint8Array(buf.subarray(0, bytesRead));
  } finally {
    await fh.close();
  }
}

/** Upload a .sah, .fil or .sigmf-meta (+ its .sigmf-data) recording and describe it. */
export async function uploadRecording(client: Client, path: string, say: (m: string) => void): Promise<Source> {
  if (path.endsWith('.sah')) {
    const bytes = new Uint8Array(await readFile(path));
    const described = sahSource(bytes, '0'.repeat(64)); // fails early, before uploading, on a bad file
    say(`uploading ${path} (${bytes.length} bytes)`);
    return { ...described, sha256: await upload(client, path) };
  }
  if (path.endsWith('.fil')) {
    const size = (await stat(path)).size;
    const { header: h, dataOffset } = parseFilterbankHeader(await head(path, Math.min(size, 1 << 16)));
    say(`uploading ${path} (${size} bytes, ${h.nchans} channels)`);
    return {
      format: 'fil', sha256: await upload(client, path), dataOffset, nTime: filterbankSpectraCount(h, size - dataOffset),
      nChan: h.nchans, fch1Hz: h.fch1 * 1e6, dfHz: h.foff * 1e6, dtS: h.tsamp, nbits: h.nbits,
    };
  }
  if (path.endsWith('.sigmf-meta') || path.endsWith('.sigmf-data')) {
    const base = path.replace(/\.sigmf-(meta|data)$/, '');
    const meta = parseSigmfMeta(await readFile(`${base}.sigmf-meta`, 'utf8'));
    const dataPath = `${base}.sigmf-data`;
    const size = (await stat(dataPath)).size;
    const frame = meta.bytesPerSample * meta.numChannels;
    say(`uploading ${dataPath} (${size} bytes, ${meta.datatype}, ${meta.numChannels} channel(s) at ${meta.sampleRate} Hz)`);
    return {
      format: 'sigmf', sha256: await upload(client, dataPath), datatype: meta.datatype, dataOffset: 0,
      numChannels: meta.numChannels, channel: 0, sampleRateHz: meta.sampleRate, centreFrequencyHz: meta.centerFrequencyHz,
      sampleCount: Math.floor(size / frame),
    };
  }
  throw new Error(`${path}: give a .sigmf-meta, .sah or .fil recording`);
}
