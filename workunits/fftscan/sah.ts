/**
 * SETI@home work units (.sah): an XML header, then `<data ... encoding="x-setiathome">` text in which
 * every 4 printable characters (minus 0x20) carry 3 bytes, newlines skipped. The bytes are swapped
 * pairwise; each byte holds 4 complex 2-bit samples, low bit pair first; in a pair bit 1 is the real
 * part, bit 0 the imaginary part, 0 -> -1, 1 -> +1 (DOMAIN.md section 3).
 *
 * Convention: SETI@home analyses these samples with an exp(+i...) transform and reports the bin
 * frequencies as sky frequencies, so the series as stored is the complex conjugate of baseband in the
 * usual exp(-i...) convention. We conjugate while decoding: every format then shares one convention,
 * and our forward-FFT search reports the same frequencies and chirp signs as the official client.
 */
import type { SahSource, SetiAnalysis } from './types.js';

export interface SahHeader {
  name: string;
  nsamples: number;
  sampleRateHz: number;
  /** Sky frequency of baseband 0 Hz (subband_desc/base). */
  baseHz: number;
  /** Centre of the subband (subband_desc/center); not baseband 0 Hz, see negativeBandFraction. */
  centreHz: number;
  timeRecordedJd: number;
  ifftLen: number;
  analysis: {
    spikeThresh: number;
    spikesPerSpectrum: number;
    chirpResolution: number;
    fftLengths: number[];
    chirps: Array<{ limit: number; fftLengths: number[] }>;
    bsmoothBoxcarLength: number;
    bsmoothChunkSize: number;
    /** Thresholds and lengths of the Gaussian, pulse, triplet and autocorrelation searches; telescope motion. */
    seti: SetiAnalysis;
  };
}

export class SahError extends Error {
  constructor(readonly code: 'SAH_HEADER' | 'SAH_DATA', message: string) {
    super(message);
  }
}

const latin1 = new TextDecoder('latin1');

function tag(xml: string, name: string, required = true): string | undefined {
  const m = new RegExp(`<${name}(?:\\s[^>]*)?>([^<]*)</${name}>`).exec(xml);
  if (!m && required) throw new SahError('SAH_HEADER', `.sah header has no <${name}>`);
  return m?.[1].trim();
}

function num(xml: string, name: string, fallback?: number): number {
  const t = tag(xml, name, fallback === undefined);
  if (t === undefined) return fallback as number;
  const v = Number(t.split(/\s/)[0]);
  if (!Number.isFinite(v)) throw new SahError('SAH_HEADER', `.sah header <${name}> is not a number: ${t}`);
  return v;
}

/** Bit i set -> FFT length 2^i (SETI@home's analysis_fft_lengths and fft_len_flags). */
const lengthsFromFlags = (flags: number): number[] =>
  Array.from({ length: 31 }, (_, i) => 2 ** i).filter((l, i) => (flags / 2 ** i) % 2 >= 1 && l >= 1);

function dataStart(bytes: Uint8Array): { xml: string; start: number } {
  // The header is ASCII and small; look for the data tag in the first megabyte at most.
  const head = latin1.decode(bytes.subarray(0, Math.min(bytes.length, 1 << 20)));
  const m = /<data\b[^>]*encoding="x-setiathome"[^>]*>/.exec(head);
  if (!m) throw new SahError('SAH_DATA', 'no <data encoding="x-setiathome"> in the file');
  return { xml: head.slice(0, m.index), start: m.index + m[0].length };
}

export function parseSahHeader(bytes: Uint8Array): SahHeader {
  const { xml } = dataStart(bytes);
  const analysisXml = /<analysis_cfg>([\s\S]*?)<\/analysis_cfg>/.exec(xml)?.[1] ?? '';
  const chirps = [...analysisXml.matchAll(/<chirp_parameter_t>([\s\S]*?)<\/chirp_parameter_t>/g)].map((m) => ({
    limit: num(m[1], 'chirp_limit'),
    fftLengths: lengthsFromFlags(num(m[1], 'fft_len_flags')),
  }));
  const subband = /<subband_desc>([\s\S]*?)<\/subband_desc>/.exec(xml)?.[1];
  if (!subband) throw new SahError('SAH_HEADER', '.sah header has no <subband_desc>');
  return {
    name: tag(xml, 'name') as string,
    nsamples: num(xml, 'nsamples'),
    sampleRateHz: num(subband, 'sample_rate'),
    baseHz: num(subband, 'base'),
    centreHz: num(subband, 'center'),
    timeRecordedJd: num(xml, 'time_recorded_jd', 0),
    ifftLen: num(xml, 'ifft_len', 1),
    analysis: {
      spikeThresh: num(analysisXml, 'spike_thresh', 22),
      spikesPerSpectrum: num(analysisXml, 'spikes_per_spectrum', 1),
      chirpResolution: num(analysisXml, 'chirp_resolution', 0.333),
      fftLengths: lengthsFromFlags(num(analysisXml, 'analysis_fft_lengths', 262136)),
      chirps,
      bsmoothBoxcarLength: num(analysisXml, 'bsmooth_boxcar_length', 8192),
      bsmoothChunkSize: num(analysisXml, 'bsmooth_chunk_size', 32768),
      seti: setiAnalysis(xml, analysisXml, num(subband, 'center')),
    },
  };
}

/** The <analysis_cfg> fields of the other four searches (defaults: the reference unit's), and the beam. */
function setiAnalysis(xml: string, a: string, subbandCentreHz: number): SetiAnalysis {
  const receiver = /<receiver_cfg>([\s\S]*?)<\/receiver_cfg>/.exec(xml)?.[1] ?? '';
  // SETI@home scales the beam width from the receiver's centre frequency to the subband's.
  const beam = num(receiver, 'beam_width', 0.1) * ((num(receiver, 'center_freq', 1420) * 1e6) / subbandCentreHz);
  return {
    spikeThresh: num(a, 'spike_thresh', 22),
    autocorrThresh: num(a, 'autocorr_thresh', 17.8),
    autocorrFftLen: num(a, 'autocorr_fftlen', 131072),
    gaussNullChiSqThresh: num(a, 'gauss_null_chi_sq_thresh', 2.1),
    gaussChiSqThresh: num(a, 'gauss_chi_sq_thresh', 1.42),
    gaussPowerThresh: num(a, 'gauss_power_thresh', 3),
    gaussPeakPowerThresh: num(a, 'gauss_peak_power_thresh', 3.2),
    gaussPotLength: num(a, 'gauss_pot_length', 64),
    pulseThresh: num(a, 'pulse_thresh', 20),
    pulseDisplayThresh: num(a, 'pulse_display_thresh', 0.5),
    pulseMax: num(a, 'pulse_max', 40960),
    pulseMin: num(a, 'pulse_min', 16),
    pulseFftMax: num(a, 'pulse_fft_max', 8192),
    pulseBeams: num(a, 'pulse_beams', 1),
    tripletThresh: num(a, 'triplet_thresh', 8.25),
    tripletMin: num(a, 'triplet_min', 16),
    tripletMax: num(a, 'triplet_max', 131072),
    potOverlapFactor: num(a, 'pot_overlap_factor', 0.5),
    potTOffset: num(a, 'pot_t_offset', 1),
    potMinSlew: num(a, 'pot_min_slew', 0.0021),
    potMaxSlew: num(a, 'pot_max_slew', 0.0105),
    angleRangeDeg: num(xml, 'true_angle_range', 0),
    beamWidthDeg: beam,
  };
}

/** Decodes the samples: interleaved (re, im) Float32Array of 2 * nsamples values, each +-1. */
export function decodeSah(bytes: Uint8Array, nsamples?: number): Float32Array {
  const { start } = dataStart(bytes);
  const n = nsamples ?? parseSahHeader(bytes).nsamples;
  const nBytes = n / 4;
  if (!Number.isInteger(nBytes)) throw new SahError('SAH_DATA', `nsamples ${n} is not a multiple of 4`);
  const raw = new Uint8Array(nBytes + 4);
  let got = 0;
  const quad = [0, 0, 0, 0];
  let q = 0;
  // '<' is also a data character (28), so the end is found by the closing tag, not by the first '<'.
  const end = latin1.decode(bytes.subarray(start)).indexOf('</data>');
  const stop = end < 0 ? bytes.length : start + end;
  for (let i = start; i < stop && got < nBytes; i++) {
    const ch = bytes[i];
    if (ch === 0x0a || ch === 0x0d) continue;
    quad[q++] = (ch - 0x20) & 0x3f;
    if (q === 4) {
      raw[got++] = (quad[0] & 63) | ((quad[1] << 6) & 0xff);
      raw[got++] = (quad[1] >> 2) | ((quad[2] << 4) & 0xff);
      raw[got++] = (quad[2] >> 4) | ((quad[3] << 2) & 0xff);
      q = 0;
    }
  }
  if (got < nBytes) throw new SahError('SAH_DATA', `data holds ${got} bytes, ${nBytes} needed for ${n} samples`);
  const out = new Float32Array(2 * n);
  for (let b = 0; b < nBytes; b++) {
    const byte = raw[b ^ 1]; // pairwise swap
    for (let k = 0; k < 4; k++) {
      const pair = (byte >> (2 * k)) & 3;
      const s = 4 * b + k;
      out[2 * s] = pair & 2 ? 1 : -1;
      out[2 * s + 1] = pair & 1 ? -1 : 1; // conjugated, see the file comment
    }
  }
  return out;
}

/**
 * Bytes the data text decodes to: 3 per 4 data characters, newlines skipped, up to `</data>` (which no
 * data character can start: 'd' is outside the 64 characters 0x20..0x5f of the encoding).
 */
export function sahDataBytes(bytes: Uint8Array): number {
  const { start } = dataStart(bytes);
  const end = latin1.decode(bytes.subarray(start)).indexOf('</data>');
  const stop = end < 0 ? bytes.length : start + end;
  let chars = 0;
  for (let i = start; i < stop; i++) if (bytes[i] !== 0x0a && bytes[i] !== 0x0d) chars++;
  return Math.floor(chars / 4) * 3;
}

/**
 * The Source descriptor of a .sah file (the caller supplies the file's sha256), after checking the file
 * whole: its data must hold every sample the header declares. A cut file is refused here, before it is
 * uploaded, rather than failing on every host that is given one of its units.
 */
export function sahSource(bytes: Uint8Array, sha256: string): SahSource {
  const h = parseSahHeader(bytes);
  if (!(Number.isInteger(h.nsamples) && h.nsamples > 0 && h.nsamples % 4 === 0)) {
    throw new SahError('SAH_HEADER', `<nsamples> ${h.nsamples} is not a positive multiple of 4 (4 two-bit samples per byte)`);
  }
  const need = h.nsamples / 4;
  const got = sahDataBytes(bytes);
  if (got < need) {
    throw new SahError('SAH_DATA', `the data holds ${got} bytes, ${need} needed for the ${h.nsamples} samples its header declares: the file is cut short (${bytes.length} bytes); download it again`);
  }
  return {
    format: 'sah',
    sha256,
    byteLength: bytes.length,
    sampleRateHz: h.sampleRateHz,
    centreFrequencyHz: h.baseHz,
    sampleCount: h.nsamples,
    negativeBandFraction: 1 / (2 * h.ifftLen),
    analysis: h.analysis.seti,
  };
}
