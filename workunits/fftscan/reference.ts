/**
 * Our detections against the official SETI@home client's result for the reference work unit (presets.ts:
 * SETIATHOME_REFERENCE_SPIKES and SETIATHOME_REFERENCE_RESULT). A detection matches an official one of
 * the same type and FFT length within one bin in frequency, one trial chirp step in drift and 1% in
 * power (SETI@home's peak_power); Gaussians also within one PoT element in time (three of them differ
 * only there), pulses and triplets within one spectrum in period, autocorrelations within one lag in delay.
 * Used by the fast windows test and by bench/seti-reference.ts, which writes the table into docs.
 */
import { SETIATHOME_REFERENCE_RESULT as R, SETIATHOME_REFERENCE_SPIKES } from './presets.js';
import type { Detection, SignalType } from './types.js';

export interface OfficialDetection {
  type: SignalType;
  power: number;
  frequencyHz: number;
  driftHzPerS: number;
  fftLength: number;
  timeS?: number;
  periodS?: number;
  delayS?: number;
}

/** Every detection the official client reported (its 13 spikes, 6 Gaussians, 2 triplets, 1 autocorrelation). */
export const OFFICIAL_DETECTIONS: OfficialDetection[] = [
  ...SETIATHOME_REFERENCE_SPIKES.map((s) => ({ type: 'spike' as const, power: s.snr, frequencyHz: s.frequencyHz, driftHzPerS: s.driftHzPerS, fftLength: s.fftLength })),
  ...R.gaussians.map((g) => ({ type: 'gaussian' as const, ...g })),
  ...R.triplets.map((t) => ({ type: 'triplet' as const, ...t })),
  ...R.autocorrs.map((a) => ({ type: 'autocorr' as const, ...a })),
];

export const OFFICIAL_BEST_PULSE: OfficialDetection = { type: 'pulse', ...R.bestPulse };

export interface Geometry {
  sampleRateHz: number;
  /** Trial chirp step at an FFT length, Hz/s. */
  chirpStep: (fftLength: number) => number;
  /** Length of the recording, s (a Gaussian's PoT element is 1/64 of it). */
  durationS: number;
}

export function matches(o: OfficialDetection, d: Detection, g: Geometry): boolean {
  const L = o.fftLength, fs = g.sampleRateHz, slack = 1 + 1e-6;
  if (d.type !== o.type || d.fftLength !== L) return false;
  if (Math.abs(d.driftHzPerS - o.driftHzPerS) > g.chirpStep(L) * slack) return false;
  if (Math.abs((d.power ?? d.snr) - o.power) > 0.01 * o.power) return false;
  if (o.type === 'autocorr') return Math.abs((d.delayS ?? 0) - (o.delayS ?? 0)) <= slack / fs;
  if (Math.abs(d.frequencyHz - o.frequencyHz) > (fs / L) * slack) return false;
  if (o.type === 'gaussian' && Math.abs(d.timeS - (o.timeS ?? 0)) > (g.durationS / 64) * slack) return false;
  if (o.periodS !== undefined && Math.abs((d.periodS ?? 0) - o.periodS) > (L / fs) * slack) return false;
  return true;
}

export interface Comparison {
  /** Each official detection with its partner (the closest in power), if any. */
  pairs: Array<{ official: OfficialDetection; ours?: Detection }>;
  /** Our detections with no official partner. */
  extra: Detection[];
}

/** Pairs our detections with the official ones (each used once). */
export function compareWithOfficial(official: OfficialDetection[], ours: Detection[], g: Geometry): Comparison {
  const used = new Set<Detection>();
  const pairs = official.map((o) => {
    const partner = ours.filter((d) => !used.has(d) && matches(o, d, g))
      .sort((a, b) => Math.abs((a.power ?? a.snr) - o.power) - Math.abs((b.power ?? b.snr) - o.power))[0];
    if (partner) used.add(partner);
    return { official: o, ours: partner };
  });
  return { pairs, extra: ours.filter((d) => !used.has(d)) };
}
