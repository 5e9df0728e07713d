/**
 * How a signal-scan unit is cut into audit blocks. A baseband unit's block is one trial chirp, or, where
 * its spectra stand alone (params.ts auditSlices), one run of a trial chirp's spectra: block
 * b = chirp * slices + slice. A drift unit is one block: its Taylor search normalises by the whole
 * window, so no slice of it stands alone. A block is itself a unit (blockUnit) that the ordinary kernel
 * computes alone, making exactly the detections the whole unit made there.
 */
import { unitBlocks, unitChirpIndices, type BasebandUnit, type UnitSpec } from './params.js';
import type { BasebandSource, Detection } from './types.js';

interface Layout {
  /** Trial chirp (Hz/s) of each chirp of the unit, in order. */
  rates: number[];
  slices: number;
  /** Spectra per slice (the last may hold fewer). */
  per: number;
}

function layout(u: BasebandUnit): Layout {
  const slices = u.slices ?? 1;
  return { rates: unitChirpIndices(u).map((i) => i * u.minChirpStep), slices, per: Math.ceil(unitBlocks(u) / slices) };
}

export function auditBlocks(u: UnitSpec): number {
  return u.mode === 'spike' ? u.chirpCount * (u.slices ?? 1) : 1;
}

/** The block that made spectrum `spectrum` of chirp `chirp` (indices within the unit). */
export function blockAt(u: UnitSpec, chirp: number, spectrum: number): number {
  if (u.mode !== 'spike') return 0;
  const l = layout(u);
  return chirp * l.slices + (l.slices === 1 ? 0 : Math.floor(spectrum / l.per));
}

/**
 * The audit block that made detection `d`, from its trial chirp (and, with slices, its spectrum's time),
 * or -1 when no block of the unit could have made it.
 */
export function blockOfDetection(u: UnitSpec): (d: Detection) => number {
  if (u.mode !== 'spike') return () => 0;
  const l = layout(u);
  const fs = (u.source as BasebandSource).sampleRateHz, spectra = unitBlocks(u);
  return (d) => {
    const chirp = l.rates.indexOf(d.driftHzPerS);
    if (chirp < 0 || l.slices === 1) return chirp;
    // timeS is the middle of the spectrum: (start + L/2) / fs, start = blockFrom + spectrum * hop.
    const spectrum = Math.round((d.timeS * fs - u.fftLength / 2 - u.blockFrom) / u.hop);
    return spectrum >= 0 && spectrum < spectra ? chirp * l.slices + Math.floor(spectrum / l.per) : -1;
  };
}

/** Block b of `u` as a unit of its own: one chirp, one run of spectra, reading only the samples they need. */
export function blockUnitOf(u: UnitSpec, b: number, maxHits: number): UnitSpec {
  const n = auditBlocks(u);
  if (!Number.isInteger(b) || b < 0 || b >= n) throw new RangeError(`block ${b} is not one of the unit's ${n} blocks`);
  if (u.mode !== 'spike') return u;
  const l = layout(u);
  const chirp = Math.floor(b / l.slices), slice = b % l.slices;
  const one = { ...u, chirpFrom: u.chirpFrom + chirp, chirpCount: 1, maxHits };
  if (l.slices === 1) return one;
  const first = slice * l.per, end = Math.min(unitBlocks(u), first + l.per);
  const blockFrom = u.blockFrom + first * u.hop, last = u.blockFrom + (end - 1) * u.hop;
  const sampleCount = (u.source as BasebandSource).sampleCount;
  return {
    ...one, slices: 1, blockFrom, blockTo: Math.min(u.blockTo, last + 1),
    dataFrom: blockFrom, dataTo: Math.min(sampleCount, last + u.fftLength),
  };
}
