/**
 * Pictures of a signal-scan answer: a waterfall plot (SVG) around one candidate of `answer.candidates`.
 * The coordinator asks `pictureInput` which byte range of the stored recording the picture needs, reads
 * it and hands the bytes to `picture`; both derive the same window from (params, answer, index) alone,
 * so the bytes need no description. Pure and deterministic: the same inputs give the same bytes.
 *
 * - Baseband (sah, sigmf, synthetic): spectra of FFT length = the candidate's, blocks a quarter-length
 *   apart, up to 64 rows centred on the candidate's time, each bin divided by its spectrum's mean (so the
 *   colours read as the search's score). When the drift smears the signal over more than one bin within a
 *   block (SETI@home's long FFTs), the samples are de-chirped at the candidate's rate first, as the search
 *   did: the signal is then a vertical line at the candidate's frequency. Otherwise the raw spectra show
 *   the drift as a slanted track. A .sah file is read whole (it is small), a SigMF recording only the
 *   samples of the window, a synthetic one is regenerated from its seed.
 * - Filterbank: the file's own spectra from the first row, the channels the candidate's track crosses
 *   plus a margin; the range starts at the file's header when that fits (it says the byte order).
 * Every read is at most PICTURE_MAX_BYTES.
 */
import type { InputRef } from '../kind.js';
import type { Answer } from './assemble.js';
import { Fft, MAX_FFT } from './fft.js';
import { parseFilterbankHeader } from './filterbank.js';
import { resolveSettings, type FftscanParams } from './params.js';
import { decodeSah } from './sah.js';
import { decodeSamples, parseDatatype } from './sigmf.js';
import { dechirpInto, splitComplex } from './spikes.js';
import { generateSynthetic, specFromSource } from './synthetic.js';
import type { BasebandSource, Candidate, Detection, FilSource, SigmfSource, Spectrogram } from './types.js';
import { waterfallSvg } from './waterfall.js';

/** The most bytes of a recording one picture reads. */
export const PICTURE_MAX_BYTES = 64 * 2 ** 20;
/** Channels shown on each side of the candidate (or of its track). */
export const PICTURE_MARGIN_CHANNELS = 96;
/** A filterbank track wider than this many channels each side is shown around its start only. */
const MAX_HALF_CHANNELS = 2048;
/** Baseband rows (spectra), and the most samples decoded for them. */
const ROWS = 64;
const MAX_SAMPLES = 1 << 22;

export interface Picture {
  contentType: 'image/svg+xml';
  body: string;
}

/** Which samples a baseband picture transforms, and how. */
export interface BasebandWindow {
  fftLength: number;
  hop: number;
  rows: number;
  /** First sample (global index) and how many. */
  from: number;
  count: number;
  /** De-chirp at the candidate's rate before transforming. */
  dechirp: boolean;
}

/** Which spectra and channels a filterbank picture shows, and the byte range holding them. */
export interface FilWindow {
  chanFrom: number;
  chanTo: number;
  rows: number;
  offset: number;
  length: number;
  /** The range starts at byte 0, so it holds the header (byte order, signedness) too. */
  withHeader: boolean;
}

function candidateAt(answer: Answer, index: number): Candidate | undefined {
  const list = (answer as Partial<Answer> | null | undefined)?.candidates;
  if (!Array.isArray(list) || !Number.isInteger(index) || index < 0 || index >= list.length) return undefined;
  return list[index];
}

const sigmfFrame = (s: SigmfSource): number => {
  const dt = parseDatatype(s.datatype);
  return (dt.bits / 8) * (dt.isComplex ? 2 : 1) * (s.numChannels ?? 1);
};

const floorPow2 = (n: number): number => 2 ** Math.floor(Math.log2(n));

export function basebandWindow(p: FftscanParams, c: Detection, maxBytes = PICTURE_MAX_BYTES): BasebandWindow {
  const src = p.source as BasebandSource;
  const n = src.sampleCount;
  const fs = src.sampleRateHz;
  const frame = src.format === 'sigmf' ? sigmfFrame(src) : 0;
  let fftLength = c.fftLength;
  if (fftLength === undefined) {
    const s = resolveSettings(p);
    fftLength = s.ok ? s.value.fftLengths[s.value.fftLengths.length - 1] : 1024;
  }
  fftLength = Math.max(8, Math.min(fftLength, MAX_FFT, floorPow2(n)));
  // A SigMF frame can be wide (many channels, f64): shorten the picture's FFT rather than read more.
  while (frame > 0 && fftLength > 8 && fftLength * frame > maxBytes) fftLength /= 2;
  const hop = fftLength / 4;
  const most = Math.max(fftLength, Math.min(n, MAX_SAMPLES, frame > 0 ? Math.floor(maxBytes / frame) : Infinity));
  const rows = Math.max(1, Math.min(ROWS, Math.floor((most - fftLength) / hop) + 1));
  const count = (rows - 1) * hop + fftLength;
  const centre = Math.round(c.timeS * fs);
  const from = Math.max(0, Math.min(n - count, centre - Math.floor(count / 2)));
  // More than one bin of drift per block (with a little slack: a fitted drift is not an exact grid value).
  const dechirp = c.driftHzPerS !== 0 && Math.abs(c.driftHzPerS) * fftLength * fftLength > fs * fs * (1 + 1e-6);
  return { fftLength, hop, rows, from, count, dechirp };
}

export function filWindow(src: FilSource, c: Detection, maxBytes = PICTURE_MAX_BYTES): FilWindow {
  const B = src.nbits / 8;
  const chanOf = (hz: number) => Math.round((hz - src.fch1Hz) / src.dfHz);
  const start = chanOf(c.frequencyHz);
  const end = chanOf(c.frequencyHz + c.driftHzPerS * src.nTime * src.dtS);
  let lo = Math.min(start, end) - PICTURE_MARGIN_CHANNELS;
  let hi = Math.max(start, end) + PICTURE_MARGIN_CHANNELS;
  if (hi - lo > 2 * MAX_HALF_CHANNELS) {
    lo = start - MAX_HALF_CHANNELS;
    hi = start + MAX_HALF_CHANNELS;
  }
  lo = Math.max(0, Math.min(src.nChan - 1, lo));
  hi = Math.max(lo, Math.min(src.nChan - 1, hi));
  const rowBytes = src.nChan * B;
  // Rows from the first spectrum (a drift's track starts there). From byte 0 the range holds the header.
  const headed = Math.floor((maxBytes - src.dataOffset - (hi + 1) * B) / rowBytes) + 1;
  if (headed >= 1) {
    const rows = Math.min(src.nTime, headed);
    return { chanFrom: lo, chanTo: hi + 1, rows, offset: 0, length: src.dataOffset + ((rows - 1) * src.nChan + hi + 1) * B, withHeader: true };
  }
  const width = hi - lo + 1;
  const rows = Math.max(1, Math.min(src.nTime, Math.floor((maxBytes - width * B) / rowBytes) + 1));
  return {
    chanFrom: lo, chanTo: hi + 1, rows,
    offset: src.dataOffset + lo * B, length: ((rows - 1) * src.nChan + width) * B, withHeader: false,
  };
}

/** The byte range of the stored recording that `picture` needs for candidate `index`; none for synthetic. */
export function pictureInput(p: FftscanParams, answer: Answer, index: number): InputRef | undefined {
  const c = candidateAt(answer, index);
  const src = p.source;
  if (!c) return undefined;
  switch (src.format) {
    case 'synthetic':
      return undefined;
    case 'sah':
      return { sha256: src.sha256, offset: 0, length: src.byteLength };
    case 'sigmf': {
      const w = basebandWindow(p, c);
      const frame = sigmfFrame(src);
      return { sha256: src.sha256, offset: src.dataOffset + w.from * frame, length: w.count * frame };
    }
    case 'fil': {
      const w = filWindow(src, c);
      return { sha256: src.sha256, offset: w.offset, length: w.length };
    }
  }
}

const fmtHz = (v: number) => v.toFixed(4);

function titleOf(index: number, c: Detection, extra: string): string {
  const score = c.type === 'spike' ? 'score' : 'SNR';
  return `#${index} ${fmtHz(c.frequencyHz)} Hz, ${c.driftHzPerS.toFixed(4)} Hz/s, ${score} ${c.snr.toFixed(2)}${extra}`;
}

function svg(spec: Spectrogram, title: string, mark: Detection): Picture {
  const half = ((spec.nChan - 1) / 2) * spec.dfHz;
  // Half a channel of slack each side keeps the outermost channel centres inside the plotted band.
  const body = waterfallSvg(spec, {
    centerHz: spec.fch1Hz + half, halfWidthHz: Math.abs(half) + Math.abs(spec.dfHz) / 2, title, marks: [mark],
  });
  return { contentType: 'image/svg+xml', body };
}

function basebandSamples(p: FftscanParams, w: BasebandWindow, input: Uint8Array | undefined): Float32Array {
  const src = p.source as BasebandSource;
  if (src.format === 'synthetic') return generateSynthetic(specFromSource(src), w.from, w.count);
  if (!input) throw new RangeError(`a picture of a ${src.format} recording needs its input bytes`);
  if (src.format === 'sah') return decodeSah(input, src.sampleCount).subarray(2 * w.from, 2 * (w.from + w.count));
  const s = src as SigmfSource;
  const iq = decodeSamples(input, s.datatype, s.channel ?? 0, s.numChannels ?? 1);
  if (iq.length !== 2 * w.count) throw new RangeError(`picture input holds ${iq.length / 2} samples, ${w.count} expected`);
  return iq;
}

function basebandPicture(p: FftscanParams, c: Detection, index: number, input: Uint8Array | undefined): Picture {
  const src = p.source as BasebandSource;
  const fs = src.sampleRateHz;
  const w = basebandWindow(p, c);
  const L = w.fftLength;
  const x = splitComplex(basebandSamples(p, w, input), w.from);
  const binHz = fs / L;
  // Plot time 0 is the top of row 0; row r is drawn over [r, r + 1) hops, centred on its block's middle.
  const tTop = (w.from + L / 2 - w.hop / 2) / fs;
  const duration = (w.rows * w.hop) / fs;
  const rate = w.dechirp ? c.driftHzPerS : 0;
  // De-chirped, the signal stays at the candidate's frequency; raw, it moves along f0 + drift * t.
  const mark: Detection = w.dechirp ? { ...c, driftHzPerS: 0 } : { ...c, frequencyHz: c.frequencyHz + c.driftHzPerS * tTop };
  const binOf = (hz: number) => Math.round((hz - src.centreFrequencyHz) / binHz);
  const k0 = binOf(mark.frequencyHz);
  const k1 = binOf(mark.frequencyHz + mark.driftHzPerS * duration);
  let lo = Math.min(k0, k1) - PICTURE_MARGIN_CHANNELS;
  let hi = Math.max(k0, k1) + PICTURE_MARGIN_CHANNELS;
  if (hi - lo + 1 > L) {
    lo = Math.round((k0 + k1) / 2) - L / 2;
    hi = lo + L - 1;
  }
  const width = hi - lo + 1;
  const data = new Float32Array(w.rows * width);
  const plan = new Fft(L);
  for (let r = 0; r < w.rows; r++) {
    dechirpInto(plan, x, w.from + r * w.hop, rate, fs);
    const power = plan.power();
    const mean = plan.stats().total / L;
    const scale = mean > 0 ? 1 / mean : 0;
    for (let j = 0; j < width; j++) data[r * width + j] = power[(((lo + j) % L) + L) % L] * scale;
  }
  const spec: Spectrogram = { data, nTime: w.rows, nChan: width, fch1Hz: src.centreFrequencyHz + lo * binHz, dfHz: binHz, dtS: w.hop / fs };
  const extra = `, FFT ${L}${w.dechirp ? ', de-chirped' : ''}, rows from t=${tTop.toFixed(1)} s`;
  return svg(spec, titleOf(index, c, extra), mark);
}

function filPicture(src: FilSource, c: Detection, index: number, input: Uint8Array | undefined): Picture {
  const w = filWindow(src, c);
  if (!input || input.length !== w.length) {
    throw new RangeError(`a filterbank picture needs ${w.length} bytes of the recording, got ${input?.length ?? 'none'}`);
  }
  let bigEndian = false;
  let signed8 = false;
  if (w.withHeader) {
    const { header, dataOffset } = parseFilterbankHeader(input);
    if (dataOffset !== src.dataOffset || header.nchans !== src.nChan || header.nbits !== src.nbits) {
      throw new RangeError('the stored filterbank header does not match the job\'s source description');
    }
    bigEndian = header.bigEndian === true;
    signed8 = header.signed === 1;
  }
  const B = src.nbits / 8;
  const width = w.chanTo - w.chanFrom;
  const base = src.dataOffset - w.offset;
  const view = new DataView(input.buffer, input.byteOffset, input.byteLength);
  const le = !bigEndian;
  const data = new Float32Array(w.rows * width);
  for (let t = 0; t < w.rows; t++) {
    let at = base + (t * src.nChan + w.chanFrom) * B;
    for (let j = 0; j < width; j++, at += B) {
      data[t * width + j] = B === 4 ? view.getFloat32(at, le) : B === 2 ? view.getUint16(at, le) : signed8 ? view.getInt8(at) : input[at];
    }
  }
  const spec: Spectrogram = { data, nTime: w.rows, nChan: width, fch1Hz: src.fch1Hz + w.chanFrom * src.dfHz, dfHz: src.dfHz, dtS: src.dtS };
  const extra = w.rows < src.nTime ? `, first ${w.rows} of ${src.nTime} spectra` : '';
  return svg(spec, titleOf(index, c, extra), c);
}

/** The waterfall plot around candidate `index`; `input` holds the bytes `pictureInput` named. */
export function picture(p: FftscanParams, answer: Answer, index: number, input: Uint8Array | undefined): Picture | undefined {
  const c = candidateAt(answer, index);
  if (!c) return undefined;
  return p.source.format === 'fil' ? filPicture(p.source, c, index, input) : basebandPicture(p, c, index, input);
}
