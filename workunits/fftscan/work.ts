/**
 * How a baseband unit's work is laid out as items, in a fixed order, and what each costs. For each trial
 * chirp: its FFT blocks (spikes, autocorrelations; the spectra are kept when a power-over-time search
 * follows), then one item per frequency bin for the Gaussian fit, then one per (bin, PoT segment) for
 * pulses and triplets. Items are what a kernel slice counts, a checkpoint records and progress reports,
 * so a slice never holds more than one bin's folding however long the recording.
 */
import type { DetectorSpec } from './types.js';

const fftOps = (l: number): number => 5 * l * Math.log2(l);

/** Start of each pulse/triplet PoT segment in a PoT of `full` spectra (SETI@home's order). */
export function foldOffsets(full: number, potLength: number, overlap: number): number[] {
  const len = Math.min(potLength, full);
  const advance = Math.max(1, len - overlap);
  const out: number[] = [];
  for (let t = 0; ; t += advance) {
    if (t + len >= full) {
      out.push(full - len);
      return out;
    }
    out.push(t);
  }
}

export interface ChirpWork {
  blocks: number;
  /** Gaussian items (bins 1 .. L-1) when fitted at this chirp, else 0. */
  gauss: number;
  /** Pulse/triplet items: bins 1 .. L-1 times segments, when either runs at this chirp, else 0. */
  fold: number;
  segments: number[];
  pulse: boolean;
  triplet: boolean;
  /** Items of this chirp, and its operations. */
  items: number;
  ops: number;
}

/** Pulses run at trial chirps whose |position| is a multiple of `every`. */
export const pulseAt = (d: DetectorSpec, position: number): boolean => d.pulse !== null && Math.abs(position) % d.pulse.every === 0;

export function chirpWork(d: DetectorSpec, fftLength: number, blocks: number, position: number): ChirpWork {
  const bins = fftLength - 1;
  const pulse = pulseAt(d, position);
  const triplet = d.triplet !== null;
  const foldSpec = d.pulse?.fold ?? d.triplet?.fold;
  const segments = (pulse || triplet) && foldSpec ? foldOffsets(blocks, foldSpec.potLength, foldSpec.overlap) : [];
  const gauss = d.gauss ? bins : 0;
  const fold = bins * segments.length;
  let ops = blocks * (fftOps(fftLength) + (d.autocorr ? fftOps(fftLength) + 2 * fftLength : 0));
  if (d.gauss) ops += gauss * (blocks + 20 * d.gauss.potLength);
  const len = foldSpec ? Math.min(foldSpec.potLength, blocks) : 0;
  // SETI@home's own operation counts for a fold search and a triplet search of `len` powers.
  if (pulse) ops += fold * (len * 0.1818181818182 + 400) * len;
  if (triplet) ops += fold * (10 + len);
  return { blocks, gauss, fold, segments, pulse, triplet, items: blocks + gauss + fold, ops };
}
