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

/** Seconds from the reference unit's start (its time_recorded, JD 2451606.85836) of an official time (JD). */
const sinceStart = (jd: number): number => (jd - 2451606.85836) * 86400;

/**
 * The rest of the official SETI@home v8 (8.00) client's result for the reference work unit, as its
 * reference_result_unit.sah gives them: the public repository raspbian-packages/boinc-app-seti, commit
 * 57c6d496287f6cb00883e1b23ddd23e044356360, client/test_workunits/reference_result_unit.sah. Data only:
 * peak_power, mean_power, freq (Hz), chirp_rate (Hz/s), fft_len, time (s from the unit's start), and
 * per type period (s), delay (s), chisqr and null_chisqr, snr and thresh. No pulse passed its threshold;
 * `best` holds the best of each type (best_pulse below its threshold).
 */
export const SETIATHOME_REFERENCE_RESULT = {
  gaussians: [
    [3.1083626747131, 0.57625639438629, 2451606.8589911, 1418915821.905, 16384, 39.173824038504, 1.4116749763489, 2.1085500717163],
    [3.3304581642151, 0.56233322620392, 2451606.8590105, 1418915821.905, 16384, 39.173824038504, 1.3641883134842, 2.1419405937195],
    [3.202214717865, 0.56919771432877, 2451606.8590299, 1418915821.905, 16384, 39.173824038504, 1.411563873291, 2.1597337722778],
    [3.2735865116119, 0.52121621370316, 2451606.8592629, 1418916015.024, 16384, 49.451592142226, 1.3751286268234, 2.3200657367706],
    [3.6199193000793, 0.51788127422333, 2451606.8592824, 1418916015.024, 16384, 49.451592142226, 1.2605501413345, 2.2607674598694],
    [3.5863273143768, 0.52562576532364, 2451606.8593018, 1418916015.024, 16384, 49.451592142226, 1.3370245695114, 2.2789671421051],
  ].map(([power, meanPower, jd, frequencyHz, fftLength, driftHzPerS, chiSquare, nullChiSquare]) => ({
    power, meanPower, timeS: sinceStart(jd), frequencyHz, fftLength, driftHzPerS, chiSquare, nullChiSquare,
  })),
  triplets: [
    [8.6426544189453, 0.0078867627307773, 2451606.8592904, 1418924789.4192, 128, 0.9168656437853, 0.54394906759262],
    [10.885553359985, 0.0038262107409537, 2451606.8584958, 1418919067.3762, 64, -31.14940113594, 4.2041363716125],
  ].map(([power, meanPower, jd, frequencyHz, fftLength, driftHzPerS, periodS]) => ({
    power, meanPower, timeS: sinceStart(jd), frequencyHz, fftLength, driftHzPerS, periodS,
  })),
  autocorrs: [
    { power: 17.814907073975, timeS: sinceStart(2451606.8584377), delayS: 2.6451981543415, frequencyHz: 1418920288.09, fftLength: 131072, driftHzPerS: -13.253884407138 },
  ],
  pulses: [] as Array<{ power: number; frequencyHz: number; driftHzPerS: number; fftLength: number; periodS: number }>,
  bestPulse: {
    power: 5.9889302253723, meanPower: 0.033245835453272, timeS: sinceStart(2451606.8594817), frequencyHz: 1418921813.9569,
    fftLength: 512, driftHzPerS: -30.690968314047, periodS: 2.3592972755432, snr: 13.391654968262, threshold: 13.4002161026,
  },
} as const;
