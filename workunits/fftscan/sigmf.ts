/**
 * SigMF reader: the JSON metadata (name.sigmf-meta) and sample decoding of the raw dataset
 * (name.sigmf-data). Datatypes follow the spec's grammar: r|c, then f64|f32|i32|i16|u32|u16|i8|u8, then
 * _le|_be for multi-byte types. Channels are interleaved sample by sample. Fixed-point values are scaled
 * to [-1, 1) the way the reference library (sigmf-python, autoscale) does: signed v / 2^(bits-1),
 * unsigned (v - 2^(bits-1)) / 2^(bits-1).
 */
import type { SigmfSource } from './types.js';

export class SigmfError extends Error {
  constructor(
    readonly code: 'SIGMF_BAD_JSON' | 'SIGMF_MISSING_FIELD' | 'SIGMF_UNSUPPORTED_DATATYPE' | 'SIGMF_BAD_DATA',
    message: string,
  ) {
    super(message);
    this.name = 'SigmfError';
  }
}

export interface SigmfCapture {
  sampleStart: number;
  /** core:frequency, Hz (centre frequency of this capture). */
  frequencyHz?: number;
  datetime?: string;
}

export interface SigmfAnnotation {
  sampleStart: number;
  sampleCount?: number;
  freqLowerEdgeHz?: number;
  freqUpperEdgeHz?: number;
  label?: string;
  comment?: string;
}

export interface SigmfMeta {
  datatype: string;
  sampleRate: number;
  /** Frequency of the first capture, Hz; 0 when the recording gives none (baseband). */
  centerFrequencyHz: number;
  numChannels: number;
  sha512?: string;
  captures: SigmfCapture[];
  annotations: SigmfAnnotation[];
  /** Bytes of one sample of one channel (both components when complex). */
  bytesPerSample: number;
  isComplex: boolean;
}

interface Datatype {
  isComplex: boolean;
  kind: 'f' | 'i' | 'u';
  bits: 8 | 16 | 32 | 64;
  littleEndian: boolean;
}

/**
 * Most channels a recording may interleave. Every unit reads whole sample frames (all channels) to scan
 * one, so a frame of 10^8 channels would make a unit read gigabytes per sample; real multi-channel
 * recordings (arrays, polyphase channelisers) have at most thousands.
 */
export const MAX_CHANNELS = 65536;

const DATATYPE = /^([rc])([fiu])(8|16|32|64)(?:_(le|be))?$/;

export function parseDatatype(name: string): Datatype {
  const m = DATATYPE.exec(name);
  if (m) {
    const kind = m[2] as Datatype['kind'];
    const bits = Number(m[3]) as Datatype['bits'];
    const sizeOk = kind === 'f' ? bits === 32 || bits === 64 : bits !== 64;
    // Single bytes have no byte order, so the spec names them without _le/_be; wider types must say.
    if (sizeOk && (bits === 8) === (m[4] === undefined)) {
      return { isComplex: m[1] === 'c', kind, bits, littleEndian: m[4] !== 'be' };
    }
  }
  throw new SigmfError(
    'SIGMF_UNSUPPORTED_DATATYPE',
    `unsupported SigMF datatype "${name}": expected r|c + f32|f64|i32|i16|i8|u32|u16|u8, with _le|_be for multi-byte types (e.g. cf32_le, ci16_le, ci8, cu8)`,
  );
}

function num(obj: Record<string, unknown>, key: string): number | undefined {
  const v = obj[key];
  return typeof v === 'number' && Number.isFinite(v) ? v : undefined;
}

function str(obj: Record<string, unknown>, key: string): string | undefined {
  const v = obj[key];
  return typeof v === 'string' ? v : undefined;
}

function records(v: unknown, what: string): Record<string, unknown>[] {
  if (v === undefined) return [];
  if (!Array.isArray(v) || v.some((x) => typeof x !== 'object' || x === null)) {
    throw new SigmfError('SIGMF_BAD_JSON', `"${what}" must be an array of objects`);
  }
  return v as Record<string, unknown>[];
}

export function parseSigmfMeta(json: string): SigmfMeta {
  let doc: unknown;
  try {
    doc = JSON.parse(json);
  } catch (e) {
    throw new SigmfError('SIGMF_BAD_JSON', `metadata is not JSON: ${(e as Error).message}`);
  }
  const g = (doc as { global?: unknown } | null)?.global;
  if (typeof g !== 'object' || g === null) throw new SigmfError('SIGMF_MISSING_FIELD', 'metadata has no "global" object');
  const global = g as Record<string, unknown>;
  const datatype = str(global, 'core:datatype');
  if (!datatype) throw new SigmfError('SIGMF_MISSING_FIELD', 'global lacks core:datatype');
  const dt = parseDatatype(datatype);
  const sampleRate = num(global, 'core:sample_rate');
  if (!(sampleRate !== undefined && sampleRate > 0)) throw new SigmfError('SIGMF_MISSING_FIELD', 'global lacks a positive core:sample_rate');
  const numChannels = num(global, 'core:num_channels') ?? 1;
  if (!Number.isInteger(numChannels) || numChannels < 1) throw new SigmfError('SIGMF_BAD_JSON', `core:num_channels ${numChannels} is not a positive integer`);
  if (numChannels > MAX_CHANNELS) throw new SigmfError('SIGMF_BAD_JSON', `core:num_channels ${numChannels} is more than ${MAX_CHANNELS}, the most this reader takes`);
  const root = doc as Record<string, unknown>;
  const captures = records(root.captures, 'captures').map((c) => ({
    sampleStart: num(c, 'core:sample_start') ?? 0,
    frequencyHz: num(c, 'core:frequency'),
    datetime: str(c, 'core:datetime'),
  }));
  const annotations = records(root.annotations, 'annotations').map((a) => ({
    sampleStart: num(a, 'core:sample_start') ?? 0,
    sampleCount: num(a, 'core:sample_count'),
    freqLowerEdgeHz: num(a, 'core:freq_lower_edge'),
    freqUpperEdgeHz: num(a, 'core:freq_upper_edge'),
    label: str(a, 'core:label'),
    comment: str(a, 'core:comment'),
  }));
  return {
    datatype,
    sampleRate,
    centerFrequencyHz: captures[0]?.frequencyHz ?? 0,
    numChannels,
    sha512: str(global, 'core:sha512'),
    captures,
    annotations,
    bytesPerSample: (dt.bits / 8) * (dt.isComplex ? 2 : 1),
    isComplex: dt.isComplex,
  };
}

/**
 * Samples per channel in a dataset of `dataBytes` bytes, after checking it whole: it must hold at least
 * one sample and a whole number of sample frames (one sample of every channel). Anything else means the
 * file was cut, or the metadata's datatype or num_channels does not describe it.
 */
export function sigmfSampleCount(meta: Pick<SigmfMeta, 'datatype' | 'bytesPerSample' | 'numChannels'>, dataBytes: number): number {
  const frame = meta.bytesPerSample * meta.numChannels;
  const what = `${frame}-byte samples (${meta.datatype} x ${meta.numChannels} channel${meta.numChannels === 1 ? '' : 's'})`;
  if (dataBytes < frame) throw new SigmfError('SIGMF_BAD_DATA', `the dataset has ${dataBytes} bytes, less than one of its ${what}`);
  if (dataBytes % frame !== 0) {
    throw new SigmfError('SIGMF_BAD_DATA', `the dataset's ${dataBytes} bytes are not a whole number of ${what}: the file is cut short, or the metadata's core:datatype or core:num_channels is wrong`);
  }
  return dataBytes / frame;
}

/**
 * The Source descriptor of a SigMF recording (channel 0) from its metadata and its dataset's size,
 * checked whole (sigmfSampleCount); the caller supplies the dataset's sha256.
 */
export function sigmfSource(meta: SigmfMeta, dataBytes: number, sha256: string): SigmfSource {
  return {
    format: 'sigmf', sha256, datatype: meta.datatype, dataOffset: 0, numChannels: meta.numChannels, channel: 0,
    sampleRateHz: meta.sampleRate, centreFrequencyHz: meta.centerFrequencyHz, sampleCount: sigmfSampleCount(meta, dataBytes),
  };
}

/** Decodes one channel of raw SigMF samples to interleaved float32 I/Q (Q = 0 for real types). */
export function decodeSamples(bytes: Uint8Array, datatype: string, channel = 0, numChannels = 1): Float32Array {
  const dt = parseDatatype(datatype);
  const comps = dt.isComplex ? 2 : 1;
  const cb = dt.bits / 8;
  const frame = cb * comps * numChannels;
  if (!Number.isInteger(channel) || channel < 0 || channel >= numChannels) {
    throw new SigmfError('SIGMF_BAD_DATA', `channel ${channel} out of range (num_channels ${numChannels})`);
  }
  if (bytes.length % frame !== 0) {
    throw new SigmfError('SIGMF_BAD_DATA', `${bytes.length} bytes is not a whole number of ${frame}-byte samples (${datatype} x ${numChannels} channels)`);
  }
  const n = bytes.length / frame;
  const view = new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength);
  const le = dt.littleEndian;
  const half = 2 ** (dt.bits - 1);
  const read = ((): ((p: number) => number) => {
    if (dt.kind === 'f') return dt.bits === 32 ? (p) => view.getFloat32(p, le) : (p) => view.getFloat64(p, le);
    const scale = 1 / half;
    if (dt.kind === 'i') {
      if (dt.bits === 8) return (p) => view.getInt8(p) * scale;
      if (dt.bits === 16) return (p) => view.getInt16(p, le) * scale;
      return (p) => view.getInt32(p, le) * scale;
    }
    if (dt.bits === 8) return (p) => (bytes[p] - half) * scale;
    if (dt.bits === 16) return (p) => (view.getUint16(p, le) - half) * scale;
    return (p) => (view.getUint32(p, le) - half) * scale;
  })();
  const out = new Float32Array(2 * n);
  let p = channel * cb * comps;
  for (let k = 0; k < n; k++, p += frame) {
    out[2 * k] = read(p);
    if (comps === 2) out[2 * k + 1] = read(p + cb);
  }
  return out;
}
