/**
 * SETI@home v8's analysis plan for one work unit (one stretch of samples), from its <analysis_cfg> and
 * the telescope's motion: which trial chirps each FFT length gets, and which of the five searches run
 * there with which lengths and thresholds. Facts from the official client's public source (its chirp/FFT
 * table and power-over-time set-up); the code is ours.
 *
 * - The chirp step at length L keeps the drift under chirp_resolution bins over the time the searches
 *   there look at: two beam crossings where Gaussians are fitted, one crossing (or one at pot_min_slew)
 *   where pulses are folded, one FFT block elsewhere. Rates are k x step rounded to the nearest multiple
 *   of the smallest step of all lengths, k = 0, 1, ... while <= the length's limit (accumulated by
 *   repeated addition, as the client does, so the roundings fall where its do), both signs.
 * - Gaussians: lengths <= nsamples / gauss_pot_length, when the slew rate is within pot_min/max_slew.
 * - Pulses: lengths from nsamples / (pulse_max beams) to nsamples / (pulse_min beams) and pulse_fft_max,
 *   and only where a perfect pulse could pass the threshold; on every other trial chirp where Gaussians
 *   are fitted (the two searches share the finer chirp grid).
 * - Triplets: every trial chirp of the lengths whose pulse PoT (one beam crossing of spectra) holds
 *   triplet_min (and 3 x triplet_thresh) to triplet_max elements.
 * - Spikes: lengths >= spike_thresh bins. Autocorrelations: at autocorr_fftlen.
 * Where the client keeps a value in single precision (the slew and beam rates, the PoT durations),
 * Math.fround does the same, so lengths and offsets come out as its do.
 */
import { inverseLnUpperGamma } from './gamma.js';
import { detLog } from './synthetic.js';
import type { FoldSpec, GaussSpec, SetiAnalysis } from './types.js';

/** The reference work unit's analysis_cfg: the setiathome preset's settings for other recordings. */
export const SETI_DEFAULT_ANALYSIS: SetiAnalysis = {
  spikeThresh: 22, autocorrThresh: 17.8, autocorrFftLen: 131072,
  gaussNullChiSqThresh: 2.1, gaussChiSqThresh: 1.42, gaussPowerThresh: 3, gaussPeakPowerThresh: 3.2, gaussPotLength: 64,
  pulseThresh: 20, pulseDisplayThresh: 0.5, pulseMax: 40960, pulseMin: 16, pulseFftMax: 8192, pulseBeams: 1,
  tripletThresh: 8.25, tripletMin: 16, tripletMax: 131072,
  potOverlapFactor: 0.5, potTOffset: 1, potMinSlew: 0.0021, potMaxSlew: 0.0105,
  // A recording without telescope motion: no Gaussians, pulses over the whole recording.
  angleRangeDeg: 0, beamWidthDeg: 0.1,
};

const f32 = Math.fround;

export interface SetiLengthPlan {
  fftLength: number;
  /** Chirp step here before rounding to the grid, Hz/s; positions 0 ..= `positions` of each sign. */
  stepHzPerS: number;
  positions: number;
  spikes: boolean;
  autocorr: boolean;
  gauss: GaussSpec | null;
  /** Pulses on no trial chirp, on every other one (|position| even), or on all. */
  pulseEvery: 0 | 1 | 2;
  triplet: boolean;
  fold: FoldSpec;
}

export interface SetiPlan {
  /** The smallest chirp step over all lengths, Hz/s: every rate is a multiple of it. */
  minChirpStep: number;
  lengths: SetiLengthPlan[];
}

/**
 * The chirp indices (rate = index x minStep) of positions [from, from + count): position p is the |p|-th
 * accumulated step, its index rounded, its sign p's.
 */
export function setiChirpIndices(stepHzPerS: number, minStep: number, from: number, count: number): number[] {
  const top = Math.max(Math.abs(from), Math.abs(from + count - 1));
  const index = new Array<number>(top + 1);
  let rate = 0;
  for (let k = 0; k <= top; k++) {
    index[k] = Math.floor(rate / minStep + 0.5);
    rate += stepHzPerS;
  }
  const out: number[] = [];
  for (let p = from; p < from + count; p++) out.push(Math.sign(p) * index[Math.abs(p)] || 0);
  return out;
}

/** Positions k = 0, 1, ... with k accumulated steps <= limit. */
function positionsWithin(step: number, limit: number): number {
  let rate = 0, k = -1;
  while (rate <= limit) {
    rate += step;
    k++;
  }
  return k;
}

/** Pulse PoT length and overlap at a PoT of `full` spectra (the client's GetPulsePoTLen). */
function foldPlan(cfg: SetiAnalysis, full: number, durationF: number, beamRate: number): FoldSpec {
  const binRate = full / durationF;
  const binsPerBeam = beamRate * durationF < cfg.pulseBeams || beamRate === 0 ? full : binRate / beamRate;
  const round = (v: number) => Math.trunc(v + 0.5);
  return { potLength: Math.min(full, round(binsPerBeam * cfg.pulseBeams)), overlap: round(binsPerBeam * cfg.potOverlapFactor) };
}

export function setiPlan(
  cfg: SetiAnalysis, nsamples: number, fs: number, analysisLengths: number[], searched: number[],
  limitAt: (fftLength: number) => number, chirpResolution: number,
): SetiPlan {
  const duration = nsamples / fs;
  const slew = cfg.angleRangeDeg / duration;
  const slewOk = slew >= cfg.potMinSlew && slew <= cfg.potMaxSlew;
  const maxGaussLen = Math.floor(nsamples / cfg.gaussPotLength);
  const beamsPerWu = Math.max(cfg.angleRangeDeg / cfg.beamWidthDeg, 1);
  const minPulseLen = Math.ceil(nsamples / (cfg.pulseMax * beamsPerWu * cfg.pulseBeams));
  const maxPulseLen = Math.min(Math.floor(nsamples / (cfg.pulseMin * cfg.pulseBeams * beamsPerWu)), cfg.pulseFftMax);
  const maxTripletLen = Math.floor(nsamples / cfg.tripletMin);
  const secondsInBeam = cfg.angleRangeDeg > 0 ? (duration / cfg.angleRangeDeg) * cfg.beamWidthDeg : Infinity;
  const gaussFit = (L: number) => L <= maxGaussLen && slewOk;

  const steps = analysisLengths.map((L) => {
    const inFft = duration / (nsamples / L);
    const span = gaussFit(L) ? 2 * secondsInBeam
      : L <= maxPulseLen && L <= maxTripletLen ? Math.min(secondsInBeam, cfg.beamWidthDeg / cfg.potMinSlew) : inFft;
    return chirpResolution / (span * inFft);
  });
  const minChirpStep = Math.min(...steps);

  // The longest length where a perfect pulse (all power in one element) could still be reported.
  let maxPulseAlt = maxPulseLen;
  if (maxPulseLen >= analysisLengths[0]) {
    let i = analysisLengths.length;
    while (i > 0 && analysisLengths[i - 1] > maxPulseLen) i--;
    maxPulseAlt = i > 0 ? analysisLengths[i - 1] : maxPulseLen;
    while (maxPulseAlt > 1) {
      const potLen = Math.trunc(nsamples / maxPulseAlt / (cfg.pulseBeams * beamsPerWu) + 0.5);
      const di = Math.trunc((Math.trunc(potLen / 2) + 1) / 2);
      if (inverseLnUpperGamma(-cfg.pulseThresh - detLog(di), 3) <= potLen) break;
      i--;
      maxPulseAlt = i > 0 ? analysisLengths[i - 1] : maxPulseAlt / 2;
    }
  }

  // The client keeps these in single precision.
  const durationF = f32(duration);
  const slewF = cfg.angleRangeDeg !== 0 ? f32(cfg.angleRangeDeg / durationF) : 0;
  const beamRate = f32(slewF / cfg.beamWidthDeg);
  const sigma = cfg.angleRangeDeg !== 0 ? f32(cfg.beamWidthDeg / f32(2.35482) / (cfg.angleRangeDeg / cfg.gaussPotLength)) : 0;
  const tOffsetStart = Math.floor(cfg.potTOffset * sigma + 0.5);
  const tripletMin = Math.max(cfg.tripletMin, Math.ceil(3 * cfg.tripletThresh));
  const spikeMin = Math.ceil(cfg.spikeThresh);

  const lengths = searched.map((L) => {
    const step = steps[analysisLengths.indexOf(L)] ?? chirpResolution * (fs / L) ** 2;
    const full = Math.floor(nsamples / L);
    const fold = foldPlan(cfg, full, durationF, beamRate);
    const gauss = gaussFit(L) && full >= cfg.gaussPotLength;
    const pulse = L <= maxPulseLen && L >= minPulseLen && L <= maxPulseAlt;
    return {
      fftLength: L,
      stepHzPerS: step,
      positions: positionsWithin(step, limitAt(L)),
      spikes: L >= spikeMin,
      autocorr: L === cfg.autocorrFftLen,
      gauss: gauss ? {
        potLength: cfg.gaussPotLength, sigma, tOffsetStart, tOffsetStop: cfg.gaussPotLength - tOffsetStart,
        powerThresh: cfg.gaussPowerThresh, peakPowerThresh: cfg.gaussPeakPowerThresh,
        chiSqThresh: cfg.gaussChiSqThresh, nullChiSqThresh: cfg.gaussNullChiSqThresh,
        rebin: Math.floor(full / cfg.gaussPotLength),
      } : null,
      pulseEvery: (!pulse ? 0 : slewOk ? (gaussFit(L) ? 2 : 0) : 1) as 0 | 1 | 2,
      triplet: fold.potLength >= tripletMin && fold.potLength <= cfg.tripletMax,
      fold,
    };
  });
  return { minChirpStep, lengths };
}
