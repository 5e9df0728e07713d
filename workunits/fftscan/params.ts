/**
 * The signal scan's job parameters, unit specs and results: schemas, defaults and the arithmetic that
 * cuts a job into units. Three stages, as elsewhere: what the user writes (`FftscanParams`), the same
 * with defaults applied (`Settings`, from `resolveSettings`), and the units derived from it.
 *
 * Baseband sources (sah, sigmf, synthetic) get the spike search; units are (FFT length, range of trial
 * chirps, stretch of samples). Filterbank sources get the Taylor-tree drift search; units are ranges
 * of channels with a margin as wide as the widest drift, so a signal near an edge is seen whole.
 */
import { z } from 'zod';
import type { ErrorCode } from '../../protocol/index.js';
import { isSupportedLength, MAX_FFT } from './fft.js';
import { filterbankLayout } from './filterbank.js';
import { chirpLimitAt, PRESETS, type Preset, type PresetName } from './presets.js';
import { SETI_DEFAULT_ANALYSIS, setiChirpIndices, setiPlan, type SetiLengthPlan, type SetiPlan } from './setiathome.js';
import { minChirpStep } from './spikes.js';
import { chirpWork } from './work.js';
import type {
  BasebandSource, Candidate, Detection, DetectorSpec as DetectorSpecT, FilSource, GaussSpec as GaussSpecT, SetiAnalysis, Source,
} from './types.js';

const sha = z.string().regex(/^[0-9a-f]{64}$/, 'sha256 as 64 lower-case hex digits');
const count = z.number().int().nonnegative();
const baseband = {
  sampleRateHz: z.number().positive(),
  centreFrequencyHz: z.number(),
  sampleCount: z.number().int().positive(),
  negativeBandFraction: z.number().min(0).max(1).optional(),
};

const positive = z.number().positive();
const nonNegative = z.number().nonnegative();
const SetiAnalysisSchema: z.ZodType<SetiAnalysis> = z.strictObject({
  spikeThresh: positive, autocorrThresh: positive, autocorrFftLen: z.number().int().positive(),
  gaussNullChiSqThresh: nonNegative, gaussChiSqThresh: positive, gaussPowerThresh: positive, gaussPeakPowerThresh: positive,
  gaussPotLength: z.number().int().min(8).max(4096),
  pulseThresh: positive, pulseDisplayThresh: z.number().positive().max(1), pulseMax: z.number().int().positive(),
  pulseMin: z.number().int().positive(), pulseFftMax: z.number().int().positive(), pulseBeams: positive,
  tripletThresh: positive, tripletMin: z.number().int().positive(), tripletMax: z.number().int().positive(),
  potOverlapFactor: z.number().min(0).max(0.99), potTOffset: nonNegative, potMinSlew: nonNegative, potMaxSlew: nonNegative,
  angleRangeDeg: nonNegative, beamWidthDeg: positive,
});

// Strict, as every schema of what a user submits: an unknown key (a typo such as `fft_size`) is
// refused, naming the nearest known key, instead of being dropped while a default is used.
export const SourceSchema: z.ZodType<Source> = z.discriminatedUnion('format', [
  z.strictObject({ format: z.literal('sah'), sha256: sha, byteLength: count, ...baseband, analysis: SetiAnalysisSchema.optional() }),
  z.strictObject({
    format: z.literal('sigmf'), sha256: sha, datatype: z.string().min(2), dataOffset: count,
    numChannels: z.number().int().positive().optional(), channel: count.optional(), ...baseband,
  }),
  z.strictObject({
    format: z.literal('fil'), sha256: sha, dataOffset: count, nTime: z.number().int().positive(),
    nChan: z.number().int().positive(), fch1Hz: z.number(), dfHz: z.number().refine((v) => v !== 0, 'dfHz must not be 0'),
    dtS: z.number().positive(), nbits: z.union([z.literal(8), z.literal(16), z.literal(32)]),
  }),
  z.strictObject({
    format: z.literal('synthetic'), seed: z.number().int().nonnegative(), ...baseband,
    signals: z.array(z.strictObject({
      offsetHz: z.number(), driftHzPerS: z.number(), amplitude: z.number().nonnegative(),
      startS: z.number().optional(), stopS: z.number().optional(),
    })).max(64),
  }),
]);

/**
 * The Source descriptor of a SIGPROC filterbank file checked whole (filterbankLayout), from its first
 * bytes and its size; the caller supplies the sha256. `head` may be the whole file.
 */
export function filSource(head: Uint8Array, sha256: string, fileSize = head.length): FilSource {
  const { header: h, dataOffset, nTime } = filterbankLayout(head, fileSize);
  return {
    format: 'fil', sha256, dataOffset, nTime, nChan: h.nchans,
    fch1Hz: h.fch1 * 1e6, dfHz: h.foff * 1e6, dtS: h.tsamp, nbits: h.nbits,
  };
}

const fftLength = z.number().int().refine(isSupportedLength, 'FFT sizes are powers of two from 8 to 1048576');

export const FftscanParams = z.strictObject({
  source: SourceSchema,
  /** Default: 'setiathome' for .sah sources, 'default' otherwise. */
  preset: z.enum(['setiathome', 'default']).optional(),
  fftSizes: z.union([z.array(fftLength).min(1).max(20), fftLength]).optional(),
  fftSize: fftLength.optional(),
  /** Hz/s; replaces the preset's chirp limits by one limit at every length (Taylor: the maximum drift). */
  maxDrift: z.number().min(0).max(1e4).optional(),
  /** Spike: power / mean power. Drift: SNR. */
  threshold: z.number().positive().optional(),
  chirpResolution: z.number().positive().max(10).optional(),
  spikesPerSpectrum: z.number().int().min(0).max(1000).optional(),
  /** The strongest signals a unit returns (the rest are counted in `dropped`). */
  maxHitsPerUnit: z.number().int().positive().max(100_000).optional(),
  /** The strongest signals the answer keeps, after grouping across units (the rest are counted in `dropped`). */
  maxCandidates: z.number().int().positive().max(1_000_000).optional(),
  /**
   * Also report every detection, each tagged with its signal (default: true for the setiathome preset,
   * whose reference comparison is detection by detection).
   */
  reportDetections: z.boolean().optional(),
  /**
   * Which searches run (default: all five for the setiathome preset, spikes for default). Gaussians,
   * pulses, triplets and autocorrelations need the setiathome preset.
   */
  detectors: z.array(z.enum(['spike', 'gaussian', 'pulse', 'triplet', 'autocorr'])).min(1).optional(),
  /** Target size of one unit in operations (5 N log2 N per FFT, plus the searches' own). */
  opsPerUnit: z.number().positive().optional(),
  /** Samples per time stretch (baseband) or channels per unit (filterbank). */
  unitSamples: z.number().int().positive().optional(),
  channelsPerUnit: z.number().int().positive().optional(),
});
export type FftscanParams = z.infer<typeof FftscanParams>;

/** A preset with the job's overrides applied, plus how the job is cut into units. */
export interface Settings extends Preset {
  preset: PresetName;
  maxHits: number;
  maxCandidates: number;
  reportDetections: boolean;
  opsPerUnit: number;
  unitSamples: number;
  channelsPerUnit: number;
  /** Chirp grid step (Hz/s): rates are integer multiples of it. */
  minChirpStep: number;
  detectors: Set<DetectorName>;
  /** The setiathome preset on baseband: SETI@home's plan (chirp grid per length, the four PoT searches). */
  seti: { analysis: SetiAnalysis; plan: SetiPlan } | null;
}

export type DetectorName = 'spike' | 'gaussian' | 'pulse' | 'triplet' | 'autocorr';

export type SettingsOutcome = { ok: true; value: Settings } | { ok: false; code: ErrorCode; message: string };

const DEFAULT_OPS_PER_UNIT = 1e11;
const DEFAULT_TAYLOR_DRIFT = 10; // turboSETI's default maximum drift, Hz/s
const DEFAULT_TAYLOR_SNR = 25;

export function resolveSettings(p: FftscanParams): SettingsOutcome {
  const src = p.source;
  const presetName: PresetName = p.preset ?? (src.format === 'sah' ? 'setiathome' : 'default');
  const preset = PRESETS[presetName];
  const sizes = p.fftSizes ?? p.fftSize ?? preset.fftLengths;
  const fftLengths = [...new Set(Array.isArray(sizes) ? sizes : [sizes])].sort((a, b) => a - b);
  const isFil = src.format === 'fil';
  const n = isFil ? 0 : src.sampleCount;
  if (!isFil && fftLengths[0] > n) {
    return { ok: false, code: 'FFTSCAN_TOO_SHORT', message: `the recording has ${n} samples, fewer than the shortest FFT (${fftLengths[0]})` };
  }
  const usable = isFil ? fftLengths : fftLengths.filter((l) => l <= n);
  const lmax = usable[usable.length - 1];
  const chirpLimits = p.maxDrift !== undefined ? [{ limitHzPerS: p.maxDrift, maxFftLength: Infinity }] : preset.chirpLimits;
  const chirpResolution = p.chirpResolution ?? preset.chirpResolution;
  const smoothing = preset.smoothing && !isFil && preset.smoothing.chunk <= n ? preset.smoothing : null;
  const align = Math.max(lmax, smoothing?.chunk ?? 1);
  const unitSamples = Math.ceil((p.unitSamples ?? Math.max(1 << 21, 16 * lmax)) / align) * align;
  const isSeti = presetName === 'setiathome' && !isFil;
  const detectors = new Set<DetectorName>(p.detectors ?? (isSeti ? ['spike', 'gaussian', 'pulse', 'triplet', 'autocorr'] : ['spike']));
  const needSeti = [...detectors].filter((d) => d !== 'spike');
  if (needSeti.length && !isSeti) {
    return { ok: false, code: 'BAD_PARAMS', message: `${needSeti.join(', ')} need the setiathome preset on a baseband recording (--preset setiathome)` };
  }
  let seti: Settings['seti'] = null;
  if (isSeti) {
    // SETI@home's work unit is one stretch: its power-over-time searches look at one stretch at a time.
    const analysis = (src.format === 'sah' && src.analysis) || SETI_DEFAULT_ANALYSIS;
    const plan = setiPlan(analysis, Math.min(unitSamples, n), src.sampleRateHz, preset.fftLengths.filter((l) => l <= n), usable,
      (L) => chirpLimitAt(chirpLimits, L), chirpResolution);
    seti = { analysis, plan };
  }
  return {
    ok: true,
    value: {
      preset: presetName,
      fftLengths: usable,
      chirpLimits: isFil ? [{ limitHzPerS: p.maxDrift ?? DEFAULT_TAYLOR_DRIFT, maxFftLength: Infinity }] : chirpLimits,
      chirpResolution,
      threshold: p.threshold ?? (isFil ? DEFAULT_TAYLOR_SNR : seti ? seti.analysis.spikeThresh : preset.threshold),
      spikesPerSpectrum: p.spikesPerSpectrum ?? preset.spikesPerSpectrum,
      hopFraction: preset.hopFraction,
      smoothing,
      maxHits: p.maxHitsPerUnit ?? 1000,
      maxCandidates: p.maxCandidates ?? 1000,
      reportDetections: p.reportDetections ?? preset.reportDetections,
      opsPerUnit: p.opsPerUnit ?? DEFAULT_OPS_PER_UNIT,
      unitSamples,
      channelsPerUnit: p.channelsPerUnit ?? 1 << 16,
      minChirpStep: isFil ? 0 : seti ? seti.plan.minChirpStep : minChirpStep(chirpResolution, src.sampleRateHz, Math.min(lmax, MAX_FFT)),
      detectors,
      seti,
    },
  };
}

const GaussSpec: z.ZodType<GaussSpecT> = z.object({
  potLength: z.number().int().positive(), sigma: positive, tOffsetStart: count, tOffsetStop: count,
  powerThresh: positive, peakPowerThresh: positive, chiSqThresh: positive, nullChiSqThresh: nonNegative,
  rebin: z.number().int().positive(),
});
const FoldSpec = z.object({ potLength: z.number().int().positive(), overlap: count });

/** The searches a baseband unit runs (types.ts DetectorSpec). */
export const DetectorSpec: z.ZodType<DetectorSpecT> = z.object({
  spikes: z.boolean(),
  autocorr: z.object({ threshold: positive }).nullable(),
  gauss: GaussSpec.nullable(),
  pulse: z.object({ every: z.number().int().positive(), thresh: positive, displayThresh: positive, fold: FoldSpec }).nullable(),
  triplet: z.object({ thresh: positive, fold: FoldSpec }).nullable(),
});
export type DetectorSpec = DetectorSpecT;

/**
 * The trial chirps' grid at one length: `stride` (position p is rate index p x stride: a drift of
 * `chirpResolution` bins per block) or SETI@home's (`seti.ts`: p accumulated steps, rounded to the grid).
 */
const ChirpGrid = z.discriminatedUnion('kind', [
  z.object({ kind: z.literal('stride'), stride: z.number().int().positive() }),
  z.object({ kind: z.literal('seti'), stepHzPerS: positive }),
]);

/** One unit of a baseband job: one FFT length, a run of trial chirps, a stretch of samples. */
export const BasebandUnit = z.object({
  mode: z.literal('spike'),
  source: SourceSchema,
  fftLength,
  /** Trial chirps: positions chirpFrom .. chirpFrom + chirpCount - 1 of `grid`; rate = index x minChirpStep. */
  chirpFrom: z.number().int(),
  chirpCount: z.number().int().positive(),
  grid: ChirpGrid,
  minChirpStep: z.number().nonnegative(),
  /** FFT blocks start at blockFrom, blockFrom + hop, ... while < blockTo (global sample indices). */
  blockFrom: count,
  blockTo: count,
  hop: z.number().int().positive(),
  /** Samples the unit decodes: [dataFrom, dataTo). */
  dataFrom: count,
  dataTo: count,
  smoothing: z.object({ boxcar: z.number().int().positive(), chunk: z.number().int().positive() }).nullable(),
  threshold: z.number().positive(),
  spikesPerSpectrum: z.number().int().nonnegative(),
  maxHits: z.number().int().positive(),
  reportDetections: z.boolean(),
  detectors: DetectorSpec,
  /** Audit blocks per trial chirp: runs of its spectra (audit-blocks.ts); absent is 1. */
  slices: z.number().int().positive().optional(),
});
export type BasebandUnit = z.infer<typeof BasebandUnit>;

/** A unit is cut into at least this many audit blocks where it can be (see auditSlices). */
export const AUDIT_BLOCKS_TARGET = 32;

/**
 * Audit blocks per trial chirp. Spectra stand alone when every search is per spectrum (spikes,
 * autocorrelations) and no smoothing spans them, so a run of them is a block of its own, and a unit of
 * few chirps is still cut into about AUDIT_BLOCKS_TARGET blocks: auditing one costs a small part of the
 * unit. Power-over-time searches (Gaussians, pulses, triplets) need all of a chirp's spectra: one block.
 */
export function auditSlices(d: DetectorSpec, smoothed: boolean, chirps: number, spectra: number): number {
  if (smoothed || d.gauss || d.pulse || d.triplet) return 1;
  const want = Math.max(1, Math.min(spectra, Math.ceil(AUDIT_BLOCKS_TARGET / chirps)));
  return Math.ceil(spectra / Math.ceil(spectra / want)); // no empty slice
}

/** Rate indices (rate = index x minChirpStep) of grid positions from .. from + count - 1. */
export function gridIndices(grid: BasebandUnit['grid'], minChirpStep: number, from: number, count: number): number[] {
  if (grid.kind === 'seti') return setiChirpIndices(grid.stepHzPerS, minChirpStep, from, count);
  return Array.from({ length: count }, (_, j) => (from + j) * grid.stride);
}

/** The rate indices of a unit's trial chirps, in its order. */
export const unitChirpIndices = (u: BasebandUnit): number[] => gridIndices(u.grid, u.minChirpStep, u.chirpFrom, u.chirpCount);

/** One unit of a filterbank job: report drifts starting in [chanFrom, chanTo), reading a margin around. */
export const TaylorUnit = z.object({
  mode: z.literal('drift'),
  source: SourceSchema,
  chanFrom: count,
  chanTo: count,
  readFrom: count,
  readTo: count,
  maxDriftHzPerS: z.number().nonnegative(),
  threshold: z.number().positive(),
  maxHits: z.number().int().positive(),
});
export type TaylorUnit = z.infer<typeof TaylorUnit>;

export const UnitSpec = z.discriminatedUnion('mode', [BasebandUnit, TaylorUnit]);
export type UnitSpec = z.infer<typeof UnitSpec>;

const signalType = z.enum(['spike', 'drift', 'gaussian', 'pulse', 'triplet', 'autocorr']);
const detectionFields = {
  type: signalType,
  frequencyHz: z.number(),
  driftHzPerS: z.number(),
  snr: z.number(),
  timeS: z.number(),
  fftLength: z.number().int().optional(),
  power: z.number().optional(),
  score: z.number().optional(),
  threshold: z.number().optional(),
  periodS: z.number().optional(),
  delayS: z.number().optional(),
  chiSquare: z.number().optional(),
  nullChiSquare: z.number().optional(),
  meanPower: z.number().optional(),
};

export const DetectionSchema: z.ZodType<Detection> = z.object({ ...detectionFields, signal: z.number().int().optional() });

export const CandidateSchema: z.ZodType<Candidate> = z.object({
  ...detectionFields,
  driftErrHzPerS: z.number().nonnegative(),
  threshold: z.number(),
  startS: z.number(),
  endS: z.number(),
  startHz: z.number(),
  endHz: z.number(),
  bandwidthHz: z.number().nonnegative(),
  detections: z.number().int().positive(),
});

/** The best detection of each type, even below its threshold (SETI@home's best_spike, best_gaussian ...). */
export const BestSchema = z.object({
  spike: DetectionSchema.optional(),
  gaussian: DetectionSchema.optional(),
  pulse: DetectionSchema.optional(),
  triplet: DetectionSchema.optional(),
  autocorr: DetectionSchema.optional(),
});
export type Best = z.infer<typeof BestSchema>;

/** What a result commits to about one audit block (block-digest.ts): its digest and how many detections it made. */
export const BlockCommit = z.object({ digest: z.string().regex(/^[0-9a-f]{64}$/, 'sha256 as 64 lower-case hex digits'), detections: count });

export const Result = z.object({
  /** The unit's signals (its detections grouped), strongest first (`candidateOrder`), at most maxHits. */
  signals: z.array(CandidateSchema),
  /** For each signal, the audit block holding its strongest detection: the verifier recomputes those blocks. */
  peaks: z.array(count),
  /** One commitment per audit block (audit-blocks.ts), in block order. */
  blocks: z.array(BlockCommit),
  /** reportDetections: every detection, strongest first, `signal` = index in `signals` (absent if dropped). */
  detections: z.array(DetectionSchema),
  best: BestSchema,
  /** Signals beyond maxHits, not returned. */
  dropped: count,
  /** Detections above the threshold in the unit, and those left out of `detections` (over maxHits). */
  detectionCount: count,
  droppedDetections: count,
  /** Work items done (baseband: FFT blocks, Gaussian bins, pulse/triplet segments) or spectrogram rows (drift). */
  work: count,
});
export type Result = z.infer<typeof Result>;

export const isBaseband = (s: Source): s is BasebandSource => s.format !== 'fil';
export type { FilSource };

/** How one FFT length's chirps are grouped into units. */
export interface LengthPlan {
  fftLength: number;
  hop: number;
  /** Trial chirp positions run -k .. k (2k + 1 chirps) on `grid`. */
  k: number;
  grid: BasebandUnit['grid'];
  detectors: DetectorSpec;
  chirpsPerUnit: number;
  chirpGroups: number;
}

/** The searches at one length: spikes only, or SETI@home's plan for it with the chosen detectors. */
function detectorsAt(s: Settings, lp: SetiLengthPlan | undefined): DetectorSpec {
  const on = (d: DetectorName) => s.detectors.has(d);
  if (!s.seti || !lp) return { spikes: on('spike'), autocorr: null, gauss: null, pulse: null, triplet: null };
  const a = s.seti.analysis;
  return {
    spikes: on('spike') && lp.spikes,
    autocorr: on('autocorr') && lp.autocorr ? { threshold: a.autocorrThresh } : null,
    gauss: on('gaussian') ? lp.gauss : null,
    pulse: on('pulse') && lp.pulseEvery ? { every: lp.pulseEvery, thresh: a.pulseThresh, displayThresh: a.pulseDisplayThresh, fold: lp.fold } : null,
    triplet: on('triplet') && lp.triplet ? { thresh: a.tripletThresh, fold: lp.fold } : null,
  };
}

export function lengthPlans(src: BasebandSource, s: Settings): LengthPlan[] {
  const lmax = s.fftLengths[s.fftLengths.length - 1];
  return s.fftLengths.map((fftLength) => {
    const seti = s.seti?.plan.lengths.find((l) => l.fftLength === fftLength);
    let k: number, grid: BasebandUnit['grid'];
    if (seti) {
      k = seti.positions;
      grid = { kind: 'seti', stepHzPerS: seti.stepHzPerS };
    } else {
      const stride = (lmax / fftLength) ** 2;
      // The epsilon keeps a limit that is an exact multiple of the step (in decimal) inside the range.
      k = s.minChirpStep > 0 ? Math.floor(chirpLimitAt(s.chirpLimits, fftLength) / (stride * s.minChirpStep) + 1e-9) : 0;
      grid = { kind: 'stride', stride };
    }
    const detectors = detectorsAt(s, seti);
    const hop = fftLength * s.hopFraction;
    const blocks = Math.max(1, Math.floor(Math.min(s.unitSamples, src.sampleCount) / hop));
    const chirps = 2 * k + 1;
    // Pulses may run on every other chirp: size units by the average of two neighbours.
    const perChirp = (chirpWork(detectors, fftLength, blocks, 0).ops + chirpWork(detectors, fftLength, blocks, 1).ops) / 2;
    const chirpsPerUnit = Math.max(1, Math.min(chirps, Math.floor(s.opsPerUnit / perChirp)));
    return { fftLength, hop, k, grid, detectors, chirpsPerUnit, chirpGroups: Math.ceil(chirps / chirpsPerUnit) };
  });
}

export const stretches = (src: BasebandSource, s: Settings): number => Math.ceil(src.sampleCount / s.unitSamples);

export function basebandUnit(src: BasebandSource, s: Settings, index: number): BasebandUnit {
  const nStretch = stretches(src, s);
  let r = index;
  for (const lp of lengthPlans(src, s)) {
    const here = lp.chirpGroups * nStretch;
    if (r >= here) {
      r -= here;
      continue;
    }
    const group = Math.floor(r / nStretch), st = r % nStretch;
    const n = src.sampleCount, L = lp.fftLength;
    const first = -lp.k + group * lp.chirpsPerUnit;
    const chirpCount = Math.min(lp.chirpsPerUnit, lp.k + 1 - first);
    const blockFrom = st * s.unitSamples;
    const blockTo = Math.max(blockFrom, Math.min((st + 1) * s.unitSamples, n - L + 1));
    const lastBlock = blockTo > blockFrom ? blockFrom + Math.floor((blockTo - 1 - blockFrom) / lp.hop) * lp.hop : blockFrom;
    const chunk = s.smoothing?.chunk ?? 1;
    const spectra = blockTo > blockFrom ? Math.ceil((blockTo - blockFrom) / lp.hop) : 0;
    const slices = auditSlices(lp.detectors, s.smoothing !== null, chirpCount, spectra);
    return {
      mode: 'spike', source: src, fftLength: L,
      chirpFrom: first, chirpCount, grid: lp.grid, minChirpStep: s.minChirpStep,
      blockFrom, blockTo, hop: lp.hop,
      dataFrom: blockFrom, dataTo: Math.min(n, Math.ceil(Math.min(n, lastBlock + L) / chunk) * chunk),
      smoothing: s.smoothing, threshold: s.threshold, spikesPerSpectrum: s.spikesPerSpectrum, maxHits: s.maxHits,
      reportDetections: s.reportDetections, detectors: lp.detectors, ...(slices > 1 ? { slices } : {}),
    };
  }
  throw new RangeError(`unit index ${index} out of range`);
}

export const basebandUnitCount = (src: BasebandSource, s: Settings): number =>
  lengthPlans(src, s).reduce((sum, lp) => sum + lp.chirpGroups, 0) * stretches(src, s);

export function blockStarts(u: BasebandUnit): number[] {
  const out: number[] = [];
  for (let b = u.blockFrom; b < u.blockTo; b += u.hop) out.push(b);
  return out;
}

/** Channels a drift can cross in the recording, plus the spectrogram's length (turboSETI's merge window). */
export function taylorMargin(src: FilSource, maxDrift: number): number {
  return Math.ceil((maxDrift * src.nTime * src.dtS) / Math.abs(src.dfHz)) + src.nTime;
}

export function taylorUnit(src: FilSource, s: Settings, index: number): TaylorUnit {
  const maxDrift = s.chirpLimits[0].limitHzPerS;
  const chanFrom = index * s.channelsPerUnit;
  const chanTo = Math.min(src.nChan, chanFrom + s.channelsPerUnit);
  const m = taylorMargin(src, maxDrift);
  return {
    mode: 'drift', source: src, chanFrom, chanTo,
    readFrom: Math.max(0, chanFrom - m), readTo: Math.min(src.nChan, chanTo + m),
    maxDriftHzPerS: maxDrift, threshold: s.threshold, maxHits: s.maxHits,
  };
}

export const unitBlocks = (u: BasebandUnit): number => (u.blockTo > u.blockFrom ? Math.ceil((u.blockTo - u.blockFrom) / u.hop) : 0);

export function unitOps(u: UnitSpec): number {
  if (u.mode === 'spike') {
    let ops = 0;
    for (let j = 0; j < u.chirpCount; j++) ops += chirpWork(u.detectors, u.fftLength, unitBlocks(u), u.chirpFrom + j).ops;
    return ops;
  }
  const src = u.source as FilSource;
  let rows = 1;
  while (rows < src.nTime) rows *= 2;
  const driftBlocks = Math.ceil((u.maxDriftHzPerS * src.nTime * src.dtS) / Math.abs(src.dfHz) / rows) + 1;
  return 2 * driftBlocks * (u.readTo - u.readFrom) * rows * Math.log2(Math.max(2, rows));
}

/** Tolerances for comparing hits of one unit: a bin, a drift step, a block. */
export function tolerances(u: UnitSpec): { binHz: number; driftStep: number; timeS: number } {
  if (u.mode === 'spike') {
    const src = u.source as BasebandSource;
    return {
      binHz: src.sampleRateHz / u.fftLength,
      driftStep: Math.max(u.grid.kind === 'seti' ? u.grid.stepHzPerS : u.grid.stride * u.minChirpStep, 1e-12),
      timeS: u.fftLength / src.sampleRateHz,
    };
  }
  const src = u.source as FilSource;
  const df = Math.abs(src.dfHz);
  return { binHz: df, driftStep: df / (Math.max(1, src.nTime - 1) * src.dtS), timeS: src.dtS };
}
