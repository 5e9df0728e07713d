/**
 * Named analysis settings. `setiathome` is the spike search of SETI@home v8 as configured in the
 * reference work unit's analysis_cfg (DOMAIN.md section 3); `default` is a lighter general search.
 */

export interface ChirpLimit {
  /** |chirp| <= limitHzPerS ... */
  limitHzPerS: number;
  /** ... at FFT lengths <= this. */
  maxFftLength: number;
}

export interface Preset {
  fftLengths: number[];
  /** The widest limit that applies to a length is used (SETI@home: 50 Hz/s up to 32768, else 20). */
  chirpLimits: ChirpLimit[];
  /** Drift across one FFT block between trial chirps, in bins. */
  chirpResolution: number;
  threshold: number;
  spikesPerSpectrum: number;
  /** FFT blocks advance by fftLength * hopFraction: 1 = back to back (SETI@home), 0.5 = half overlap. */
  hopFraction: number;
  smoothing: { boxcar: number; chunk: number } | null;
  /** Report every detection beside the grouped signals (SETI@home's result lists detections). */
  reportDetections: boolean;
}

const pow2 = (from: number, to: number): number[] => {
  const out: number[] = [];
  for (let l = from; l <= to; l *= 2) out.push(l);
  return out;
};

export const PRESETS = {
  setiathome: {
    fftLengths: pow2(8, 131072),
    chirpLimits: [
      { limitHzPerS: 50, maxFftLength: 32768 },
      { limitHzPerS: 20, maxFftLength: 131072 },
    ],
    chirpResolution: 0.333,
    threshold: 22,
    spikesPerSpectrum: 1,
    hopFraction: 1,
    smoothing: { boxcar: 8192, chunk: 32768 },
    reportDetections: true,
  },
  default: {
    fftLengths: [1024, 16384],
    chirpLimits: [{ limitHzPerS: 1, maxFftLength: Infinity }],
    chirpResolution: 0.5,
    // e^-20 ~ 2e-9 false spikes per bin of noise.
    threshold: 20,
    spikesPerSpectrum: 0,
    hopFraction: 0.5,
    smoothing: null,
    reportDetections: false,
  },
} satisfies Record<string, Preset>;

export type PresetName = keyof typeof PRESETS;

/** Chirp limit at one FFT length: the largest limit whose length bound covers it (0 if none). */
export function chirpLimitAt(limits: ChirpLimit[], fftLength: number): number {
  let best = 0;
  for (const l of limits) if (fftLength <= l.maxFftLength && l.limitHzPerS > best) best = l.limitHzPerS;
  return best;
}

/**
 * The official SETI@home v8 client's spikes for the reference work unit (its reference_result_unit.sah;
 * DOMAIN.md section 3): score (peak / mean power), frequency (Hz), chirp (Hz/s), FFT length.
 */
export const SETIATHOME_REFERENCE_SPIKES: ReadonlyArray<{ snr: number; frequencyHz: number; driftHzPerS: number; fftLength: number }> = [
  [22.3956, 1418919354.6705, 1.0592, 131072], [22.5351, 1418919354.298, 1.0629, 131072],
  [22.3787, 1418917122.4032, 2.3476, 131072], [22.364, 1418923767.2001, 2.7506, 32768],
  [22.4622, 1418923761.5376, 2.8097, 32768], [22.1408, 1418918761.3811, -3.9244, 131072],
  [22.1041, 1418916487.2415, -3.9336, 131072], [23.3347, 1418916487.316, -3.9373, 131072],
  [23.5185, 1418916487.3905, -3.941, 131072], [22.6291, 1418916487.465, -3.9447, 131072],
  [22.8188, 1418918910.9886, 5.2886, 131072], [23.7865, 1418918910.9886, 5.2905, 131072],
  [22.0518, 1418924855.9529, -17.67, 131072],
].map(([snr, frequencyHz, driftHzPerS, fftLength]) => ({ snr, frequencyHz, driftHzPerS, fftLength }));
