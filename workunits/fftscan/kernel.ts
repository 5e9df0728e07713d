/**
 * The signal-scan kernel, run in a worker thread. A baseband unit's work is a fixed sequence of items
 * (FFT blocks, Gaussian bins, pulse/triplet segments per trial chirp: work.ts, baseband-scan.ts), so a
 * checkpoint is how many are done plus what was found so far; a drift unit is one Taylor search.
 * Decoding, smoothing and the searches are deterministic, so every host returns the same bits for a unit.
 */
import { z } from 'zod';
import type { Kernel } from '../kind.js';
import { auditBlocks, blockOfDetection } from './audit-blocks.js';
import { BasebandScan, basebandScales, scanItems } from './baseband-scan.js';
import { readFilterbank } from './filterbank.js';
import { Findings, FindingsState } from './findings.js';
import type { GroupScale } from './grouping.js';
import { tolerances, unitOps, type BasebandUnit, type Result, type TaylorUnit, type UnitSpec } from './params.js';
import { decodeSah } from './sah.js';
import { decodeSamples } from './sigmf.js';
import { baselineSmooth, splitComplex, type Baseband } from './spikes.js';
import { generateSynthetic, specFromSource } from './synthetic.js';
import { taylorSearch } from './taylor.js';
import type { BasebandSource, FilSource, SignalType, SigmfSource, Spectrogram } from './types.js';

interface State {
  unit: UnitSpec;
  input: Uint8Array | undefined;
  done: number;
  total: number;
  found: Findings;
  scan?: BasebandScan;
}

const Checkpoint = z.object({ done: z.number().int().nonnegative(), found: FindingsState });
type Checkpoint = z.infer<typeof Checkpoint>;

/** How detections of each type are grouped in this unit (grouping.ts). */
function scalesOf(u: UnitSpec): Partial<Record<SignalType, GroupScale>> {
  if (u.mode === 'spike') return basebandScales(u);
  const tol = tolerances(u);
  const src = u.source as FilSource;
  const span = src.nTime * src.dtS;
  return { drift: { type: 'drift', binHz: tol.binHz, blockS: span, gapS: 0, slotS: span, driftStep: tol.driftStep, threshold: u.threshold, whole: true } };
}

export class FftscanInputError extends Error {
  readonly code = 'FFTSCAN_INPUT';
}

function loadBaseband(u: BasebandUnit, input: Uint8Array | undefined): Baseband {
  const src = u.source as BasebandSource;
  const n = u.dataTo - u.dataFrom;
  let iq: Float32Array;
  if (src.format === 'synthetic') {
    iq = generateSynthetic(specFromSource(src), u.dataFrom, n);
  } else if (!input) {
    throw new FftscanInputError(`a ${src.format} unit needs its input bytes`);
  } else if (src.format === 'sah') {
    iq = decodeSah(input, src.sampleCount).subarray(2 * u.dataFrom, 2 * u.dataTo);
  } else {
    const s = src as SigmfSource;
    iq = decodeSamples(input, s.datatype, s.channel ?? 0, s.numChannels ?? 1);
    if (iq.length < 2 * n) throw new FftscanInputError(`input holds ${iq.length / 2} samples, the unit needs ${n}`);
    iq = iq.subarray(0, 2 * n);
  }
  const x = splitComplex(iq, u.dataFrom);
  if (u.smoothing) baselineSmooth(x, u.smoothing.boxcar, u.smoothing.chunk);
  return x;
}

function runTaylor(s: State, u: TaylorUnit): void {
  const src = u.source as FilSource;
  if (!s.input) throw new FftscanInputError('a filterbank unit needs its input bytes');
  const full = readFilterbank(s.input);
  const w = u.readTo - u.readFrom;
  const data = new Float32Array(full.nTime * w);
  for (let t = 0; t < full.nTime; t++) data.set(full.data.subarray(t * full.nChan + u.readFrom, t * full.nChan + u.readTo), t * w);
  const sub: Spectrogram = { ...full, data, nChan: w, fch1Hz: full.fch1Hz + u.readFrom * full.dfHz };
  for (const h of taylorSearch(sub, { maxDriftHzPerS: u.maxDriftHzPerS, snrThreshold: u.threshold })) {
    const ch = Math.round((h.frequencyHz - src.fch1Hz) / src.dfHz);
    if (ch >= u.chanFrom && ch < u.chanTo) s.found.add(h, 0);
  }
  s.done = 1;
}

const kernel: Kernel<UnitSpec, State, Result> = {
  initialBudget: 4,

  init(unit, input, checkpoint) {
    const cp = checkpoint === undefined ? undefined : Checkpoint.parse(checkpoint);
    const report = unit.mode === 'spike' && unit.reportDetections;
    const found = new Findings(scalesOf(unit), unit.maxHits, report, auditBlocks(unit), blockOfDetection(unit), cp?.found);
    const s: State = { unit, input, done: cp?.done ?? 0, total: 1, found };
    if (unit.mode === 'spike') {
      // A finished unit's checkpoint needs no samples.
      const done = cp?.done ?? 0;
      const scan = new BasebandScan(unit, done > 0 && done >= scanItems(unit) ? null : loadBaseband(unit, input), found);
      s.scan = scan;
      s.total = scan.total;
    }
    return s;
  },

  step(s, budget) {
    if (s.done >= s.total) return true;
    if (s.unit.mode === 'spike') {
      const to = Math.min(s.total, s.done + Math.max(1, Math.floor(budget)));
      s.scan!.run(s.done, to);
      s.done = to;
    } else runTaylor(s, s.unit);
    return s.done >= s.total;
  },

  progress: (s) => (s.total === 0 ? 1 : s.done / s.total),

  opsDone(s) {
    if (s.unit.mode !== 'spike') return s.done * unitOps(s.unit);
    return s.scan!.opsBefore(s.done);
  },

  checkpoint: (s): Checkpoint => ({ done: s.done, found: s.found.state() }),

  result: (s): Result => s.found.result(s.unit.mode === 'spike' ? s.done : (s.unit.source as FilSource).nTime),
};

export default kernel;
