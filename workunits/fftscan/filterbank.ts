/**
 * SIGPROC filterbank (.fil) reader: a keyword/value header between HEADER_START and HEADER_END, then
 * power values, time-major (per spectrum: nifs blocks of nchans). Frequencies in the header are MHz;
 * the Spectrogram we return is in Hz and keeps the file's channel order (foff is usually negative).
 */
import type { Spectrogram } from './types.js';

export class FilterbankError extends Error {
  constructor(
    readonly code: 'FIL_NOT_FILTERBANK' | 'FIL_TRUNCATED' | 'FIL_BAD_HEADER' | 'FIL_UNSUPPORTED' | 'FIL_BAD_RANGE',
    message: string,
  ) {
    super(message);
    this.name = 'FilterbankError';
  }
}

export interface FilterbankHeader {
  nchans: number;
  nifs: number;
  nbits: number;
  /** Centre of channel 0, MHz. */
  fch1: number;
  /** Channel spacing, MHz (negative: descending). */
  foff: number;
  /** Seconds per spectrum. */
  tsamp: number;
  /** MJD of the first spectrum. */
  tstart?: number;
  source_name?: string;
  rawdatafile?: string;
  telescope_id?: number;
  machine_id?: number;
  data_type?: number;
  src_raj?: number;
  src_dej?: number;
  az_start?: number;
  za_start?: number;
  nbeams?: number;
  ibeam?: number;
  barycentric?: number;
  pulsarcentric?: number;
  nsamples?: number;
  nbins?: number;
  refdm?: number;
  period?: number;
  /** 1 when 8-bit values are signed (SIGPROC's `signed` byte). */
  signed?: number;
  /** Per-channel frequencies (MHz) when the header lists them between FREQUENCY_START and FREQUENCY_END. */
  fchannel?: number[];
  /** Set when the file was written big-endian (detected from the first length prefix). */
  bigEndian?: boolean;
}

type ValueKind = 'int' | 'double' | 'string' | 'byte';

// SIGPROC's header vocabulary: a keyword's type is implied by its name, so an unknown keyword
// cannot be skipped (its length is unknown) and is an error.
const KEYWORDS: Record<string, ValueKind> = {
  telescope_id: 'int', machine_id: 'int', data_type: 'int', barycentric: 'int', pulsarcentric: 'int',
  nbits: 'int', nsamples: 'int', nchans: 'int', nifs: 'int', nbeams: 'int', ibeam: 'int', nbins: 'int',
  fch1: 'double', foff: 'double', tstart: 'double', tsamp: 'double', src_raj: 'double', src_dej: 'double',
  az_start: 'double', za_start: 'double', refdm: 'double', period: 'double', fchannel: 'double',
  source_name: 'string', rawdatafile: 'string', signed: 'byte',
};

const MAX_KEY_LENGTH = 80;
const MAX_STRING_LENGTH = 4096;

export function parseFilterbankHeader(bytes: Uint8Array): { header: FilterbankHeader; dataOffset: number } {
  const view = new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength);
  if (bytes.length < 4) throw new FilterbankError('FIL_TRUNCATED', 'file too short for a SIGPROC header');
  const bigEndian = view.getInt32(0, true) !== 12 && view.getInt32(0, false) === 12;
  const le = !bigEndian;
  let pos = 0;
  const need = (n: number, what: string): void => {
    if (pos + n > bytes.length) {
      throw new FilterbankError('FIL_TRUNCATED', `header ends inside ${what} at byte ${pos} (file has ${bytes.length} bytes)`);
    }
  };
  const readString = (what: string, max: number): string => {
    need(4, what);
    const len = view.getInt32(pos, le);
    if (len < 1 || len > max) {
      throw new FilterbankError('FIL_BAD_HEADER', `implausible length ${len} for ${what} at byte ${pos}: not a SIGPROC header or corrupted`);
    }
    pos += 4;
    need(len, what);
    const s = new TextDecoder('latin1').decode(bytes.subarray(pos, pos + len));
    pos += len;
    return s;
  };

  const first = readString('HEADER_START', MAX_KEY_LENGTH);
  if (first !== 'HEADER_START') {
    throw new FilterbankError('FIL_NOT_FILTERBANK', `expected HEADER_START, found "${first.slice(0, 20)}"`);
  }
  const h: Record<string, unknown> = {};
  const fchannel: number[] = [];
  for (;;) {
    const key = readString('a keyword', MAX_KEY_LENGTH);
    if (key === 'HEADER_END') break;
    if (key === 'FREQUENCY_START' || key === 'FREQUENCY_END') continue;
    const kind = KEYWORDS[key];
    if (!kind) throw new FilterbankError('FIL_BAD_HEADER', `unknown header keyword "${key}" at byte ${pos - key.length - 4}`);
    if (kind === 'int') {
      need(4, key);
      h[key] = view.getInt32(pos, le);
      pos += 4;
    } else if (kind === 'double') {
      need(8, key);
      const v = view.getFloat64(pos, le);
      pos += 8;
      if (key === 'fchannel') fchannel.push(v);
      else h[key] = v;
    } else if (kind === 'byte') {
      need(1, key);
      h[key] = bytes[pos];
      pos += 1;
    } else {
      h[key] = readString(key, MAX_STRING_LENGTH);
    }
  }
  if (fchannel.length) h.fchannel = fchannel;
  if (bigEndian) h.bigEndian = true;
  if (h.nifs === undefined) h.nifs = 1;
  for (const k of ['nchans', 'nbits', 'fch1', 'foff', 'tsamp'] as const) {
    if (typeof h[k] !== 'number' || !Number.isFinite(h[k] as number)) {
      throw new FilterbankError('FIL_BAD_HEADER', `header lacks ${k}`);
    }
  }
  const header = h as unknown as FilterbankHeader;
  if (!(header.nchans > 0) || !(header.nifs > 0) || !(header.tsamp > 0) || header.foff === 0) {
    throw new FilterbankError('FIL_BAD_HEADER', `implausible header: nchans=${header.nchans} nifs=${header.nifs} tsamp=${header.tsamp} foff=${header.foff}`);
  }
  return { header, dataOffset: pos };
}

export interface ReadFilterbankOptions {
  startSpectrum?: number;
  /** Default: all spectra from startSpectrum to the end. */
  nSpectra?: number;
  /** Which IF (polarisation/Stokes product) to read when nifs > 1; default 0. */
  ifIndex?: number;
}

/** Bits per value this reader decodes (SIGPROC also has 1, 2 and 4; none of our sources use them). */
export const SUPPORTED_NBITS: readonly number[] = [8, 16, 32];

/** Number of whole spectra in the file (a trailing partial spectrum is an error: the file was cut). */
export function filterbankSpectraCount(header: FilterbankHeader, dataBytes: number): number {
  if (!SUPPORTED_NBITS.includes(header.nbits)) {
    throw new FilterbankError('FIL_UNSUPPORTED', `nbits=${header.nbits} is not supported (${SUPPORTED_NBITS.join(', ')})`);
  }
  const bytesPerSpectrum = (header.nchans * header.nifs * header.nbits) / 8;
  if (dataBytes === 0) throw new FilterbankError('FIL_TRUNCATED', 'the file is a header with no data after it');
  const shape = `nchans=${header.nchans} x nifs=${header.nifs} x ${header.nbits} bits = ${bytesPerSpectrum} bytes per spectrum`;
  if (dataBytes < bytesPerSpectrum) {
    throw new FilterbankError('FIL_TRUNCATED', `data is ${dataBytes} bytes, less than one spectrum (${shape}): the file is cut short or its header is wrong`);
  }
  if (dataBytes % bytesPerSpectrum !== 0) {
    throw new FilterbankError('FIL_TRUNCATED', `data is ${dataBytes} bytes, not a whole number of spectra (${shape}): the file is cut short or its header is wrong`);
  }
  return dataBytes / bytesPerSpectrum;
}

/**
 * A filterbank file checked whole from its first bytes (`head`, which must hold the header) and its
 * size: a supported nbits, and data that is a whole, non-zero number of spectra. For callers that do not
 * hold the file in memory (the CLI before an upload).
 */
export function filterbankLayout(head: Uint8Array, fileSize: number): { header: FilterbankHeader; dataOffset: number; nTime: number } {
  const { header, dataOffset } = parseFilterbankHeader(head);
  return { header, dataOffset, nTime: filterbankSpectraCount(header, fileSize - dataOffset) };
}

export function readFilterbank(bytes: Uint8Array, opts: ReadFilterbankOptions = {}): Spectrogram {
  const { header, dataOffset } = parseFilterbankHeader(bytes);
  const { nchans, nifs, nbits } = header;
  const total = filterbankSpectraCount(header, bytes.length - dataOffset);
  const start = opts.startSpectrum ?? 0;
  const n = opts.nSpectra ?? total - start;
  const ifIndex = opts.ifIndex ?? 0;
  if (!Number.isInteger(start) || !Number.isInteger(n) || start < 0 || n < 1 || start + n > total) {
    throw new FilterbankError('FIL_BAD_RANGE', `spectra ${start}..${start + n - 1} requested, file has ${total}`);
  }
  if (!Number.isInteger(ifIndex) || ifIndex < 0 || ifIndex >= nifs) {
    throw new FilterbankError('FIL_BAD_RANGE', `ifIndex ${ifIndex} out of range (nifs=${nifs})`);
  }
  const bytesPerValue = nbits / 8;
  const le = !header.bigEndian;
  const view = new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength);
  const data = new Float32Array(n * nchans);
  const signed8 = header.signed === 1;
  for (let t = 0; t < n; t++) {
    let p = dataOffset + ((start + t) * nifs + ifIndex) * nchans * bytesPerValue;
    const row = t * nchans;
    if (nbits === 32) {
      for (let c = 0; c < nchans; c++, p += 4) data[row + c] = view.getFloat32(p, le);
    } else if (nbits === 16) {
      for (let c = 0; c < nchans; c++, p += 2) data[row + c] = view.getUint16(p, le);
    } else {
      for (let c = 0; c < nchans; c++, p++) data[row + c] = signed8 ? view.getInt8(p) : bytes[p];
    }
  }
  return {
    data,
    nTime: n,
    nChan: nchans,
    fch1Hz: header.fch1 * 1e6,
    dfHz: header.foff * 1e6,
    dtS: header.tsamp,
  };
}
