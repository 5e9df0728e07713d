/**
 * Shared shapes of the signal-scan kind. Both halves import this file: the FFT/spike search (fft.ts,
 * spikes.ts, sah.ts) and the spectrogram half (filterbank.ts, taylor.ts, sigmf.ts, synthetic.ts), so it
 * holds types only and imports nothing.
 */

/** What a search reports: narrowband spikes and drifts, and SETI@home's four power-over-time types. */
export type SignalType = 'spike' | 'drift' | 'gaussian' | 'pulse' | 'triplet' | 'autocorr';

/**
 * One detection: a bin of one spectrum at one trial chirp above the threshold (spike), one Taylor path
 * (drift), one fitted beam shape, folded pulse train, pulse triplet or autocorrelation peak. A strong
 * signal gives many (every trial chirp near its drift, neighbouring bins, every spectrum it lasts);
 * grouping.ts gathers them into one Candidate. Frequencies are absolute (sky) Hz.
 */
export interface Detection {
  type: SignalType;
  /**
   * The de-chirped frequency: the signal's frequency at t = 0 of the recording if it drifts at
   * `driftHzPerS` (SETI@home's `freq`). Autocorrelations have no frequency of their own: the band's centre.
   */
  frequencyHz: number;
  /** The trial chirp (drift) the detection was made at, Hz/s. */
  driftHzPerS: number;
  /**
   * The type's score: spike peak / mean power; drift (path sum - median) / std; gaussian fitted peak /
   * true mean; pulse SETI@home's folded SNR; triplet peak / mean power; autocorr peak / mean power.
   */
  snr: number;
  /** Seconds from the recording's start: the middle of the spectrum, fit, fold or triplet. */
  timeS: number;
  fftLength?: number;
  /** Peak power in SETI@home's normalisation (`peak_power` of its result file). */
  power?: number;
  /** SETI@home's own score where it has one: gaussian (chi-square based), pulse (SNR / threshold). */
  score?: number;
  /** Pulse: the SNR this fold had to exceed (it depends on the period and the number of folds). */
  threshold?: number;
  /** Pulse and triplet: repetition period, s. */
  periodS?: number;
  /** Autocorrelation: delay of the peak, s. */
  delayS?: number;
  /** Gaussian: chi-square of the beam-shape fit and of the flat (no signal) hypothesis. */
  chiSquare?: number;
  nullChiSquare?: number;
  /** Gaussian, pulse, triplet: mean power of the power-over-time array the detection came from. */
  meanPower?: number;
  /** Index of the signal (the answer's candidate) this detection belongs to; set when reported. */
  signal?: number;
}

/**
 * One signal: the detections of one track (across spectra, trial chirps, neighbouring bins and FFT
 * lengths) as one candidate, like turboSETI's hit grouping and find_event. The type, score, power and
 * per-type fields are those of its strongest detection; frequency and drift describe the track.
 */
export interface Candidate extends Omit<Detection, 'signal'> {
  /** The track's frequency at t = 0 (frequencyHz) and its drift: the best estimate the detections give. */
  driftHzPerS: number;
  /** One standard error of driftHzPerS, Hz/s. */
  driftErrHzPerS: number;
  /** The score a detection of this type must exceed; snr / threshold ranks signals of different types. */
  threshold: number;
  /** Time span the detections cover (whole spectra), s from the recording's start. */
  startS: number;
  endS: number;
  /** The track's frequency at startS and endS. */
  startHz: number;
  endHz: number;
  /** Width of the band the detections occupy around the track (leakage, smear at wrong trial chirps). */
  bandwidthHz: number;
  /** Detections gathered into this signal. */
  detections: number;
}

/** Power versus time and frequency, time-major: data[t * nChan + c]. */
export interface Spectrogram {
  data: Float32Array;
  nTime: number;
  nChan: number;
  /** Centre frequency of channel 0, Hz. */
  fch1Hz: number;
  /** Channel spacing, Hz; negative when channels descend (the usual filterbank order). */
  dfHz: number;
  /** Time between rows, s. */
  dtS: number;
}

/** SigMF core:datatype names ('c' = interleaved I/Q), e.g. cf32_le, ci16_le, ci8, cu8, ri16_le. */
export type SampleDatatype = string;

/** Fields every complex baseband source carries, so that plan() never needs to read the recording. */
export interface BasebandInfo {
  /** Complex samples per second. */
  sampleRateHz: number;
  /** Sky frequency of baseband 0 Hz. */
  centreFrequencyHz: number;
  /** Complex samples in the recording (per channel). */
  sampleCount: number;
  /**
   * Fraction of the band below baseband 0 Hz; default 0.5 (bins k >= N/2 are negative frequencies).
   * SETI@home units put 0 Hz near the band's lower edge: 1 / (2 * ifft_len) = 1/16.
   */
  negativeBandFraction?: number;
}

/**
 * SETI@home's analysis settings as a work unit's <analysis_cfg> gives them (names as there, camelCase),
 * plus the telescope's motion, which decides whether and how Gaussians and pulses are searched.
 */
export interface SetiAnalysis {
  spikeThresh: number;
  autocorrThresh: number;
  autocorrFftLen: number;
  gaussNullChiSqThresh: number;
  gaussChiSqThresh: number;
  gaussPowerThresh: number;
  gaussPeakPowerThresh: number;
  gaussPotLength: number;
  pulseThresh: number;
  pulseDisplayThresh: number;
  pulseMax: number;
  pulseMin: number;
  pulseFftMax: number;
  pulseBeams: number;
  tripletThresh: number;
  tripletMin: number;
  tripletMax: number;
  potOverlapFactor: number;
  potTOffset: number;
  potMinSlew: number;
  potMaxSlew: number;
  /** Sky angle the beam swept during the recording (data_desc/true_angle_range), degrees. */
  angleRangeDeg: number;
  /** Beam width at the recording's frequency (receiver beam_width scaled by centre_freq / subband centre), degrees. */
  beamWidthDeg: number;
}

/** SETI@home's Gaussian fit at one FFT length (setiathome.ts). */
export interface GaussSpec {
  potLength: number;
  /** Beam sigma in PoT elements; fits slide over offsets [tOffsetStart, tOffsetStop). */
  sigma: number;
  tOffsetStart: number;
  tOffsetStop: number;
  powerThresh: number;
  peakPowerThresh: number;
  chiSqThresh: number;
  nullChiSqThresh: number;
  /** Spectra summed into each PoT element (the chi-square's rebinning factor). */
  rebin: number;
}

/** Pulse and triplet PoT segments: one beam crossing of spectra, overlapping. */
export interface FoldSpec {
  potLength: number;
  overlap: number;
}

/** The searches a baseband unit runs on each de-chirped spectrum and power-over-time array. */
export interface DetectorSpec {
  /** Spikes (false at lengths shorter than the threshold in bins, as SETI@home skips them). */
  spikes: boolean;
  autocorr: { threshold: number } | null;
  gauss: GaussSpec | null;
  /** Pulses on trial chirps with |position| a multiple of `every`. */
  pulse: { every: number; thresh: number; displayThresh: number; fold: FoldSpec } | null;
  triplet: { thresh: number; fold: FoldSpec } | null;
}

/** A SETI@home work unit: the whole file is the input (it is small); the kernel decodes it. */
export interface SahSource extends BasebandInfo {
  format: 'sah';
  /** sha256 (hex) of the .sah file as uploaded. */
  sha256: string;
  /** File size in bytes. */
  byteLength: number;
  /** The unit's own analysis settings and telescope motion (from its header). */
  analysis?: SetiAnalysis;
}

/** A SigMF recording: sha256 and offsets refer to the .sigmf-data file. */
export interface SigmfSource extends BasebandInfo {
  format: 'sigmf';
  sha256: string;
  datatype: SampleDatatype;
  /** Byte offset of sample 0 of the capture in the data file. */
  dataOffset: number;
  /** core:num_channels (interleaved per sample); default 1. */
  numChannels?: number;
  /** Which channel to scan; default 0. */
  channel?: number;
}

/** A SIGPROC filterbank: already a spectrogram, searched with the Taylor tree. */
export interface FilSource {
  format: 'fil';
  sha256: string;
  /** Bytes of header (data starts here). */
  dataOffset: number;
  nTime: number;
  nChan: number;
  fch1Hz: number;
  dfHz: number;
  dtS: number;
  /** Bits per value; 32 (float) is what we read. */
  nbits: number;
}

/** A tone injected into synthetic noise. */
export interface SyntheticSignal {
  /** Frequency at t = 0, Hz, relative to the centre frequency (baseband). */
  offsetHz: number;
  driftHzPerS: number;
  /** Amplitude of the complex tone; the noise has unit mean power (each of I and Q variance 1/2). */
  amplitude: number;
  /** Active from this time (s) until `stopS`; defaults: the whole recording. */
  startS?: number;
  stopS?: number;
}

/** Seeded complex noise plus tones, regenerated by every host from the seed (no input file). */
export interface SyntheticSource extends BasebandInfo {
  format: 'synthetic';
  seed: number;
  signals: SyntheticSignal[];
}

export type Source = SahSource | SigmfSource | FilSource | SyntheticSource;
export type BasebandSource = SahSource | SigmfSource | SyntheticSource;
