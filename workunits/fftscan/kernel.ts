/**
 * The signal-scan kernel, run in a worker thread. A spike unit's work items are (trial chirp, FFT
 * block) pairs in a fixed order, so a checkpoint is just how many are done plus the hits so far; a
 * drift unit is one Taylor search. Decoding, smoothing and the search are deterministic, so every
 * host returns the same bits for a unit.
 */
import type { Kernel } from '../kind.js';
import { fftPlan } from './fft.js';
import { readFilterbank } from './filterbank.js';
import { z } from 'zod';
import { Findings, FindingsState } from './findings.js';
import type { GroupScale } from './grouping.js';
import { blockStarts, tolerances, unitOps, type BasebandUnit, type Result, type TaylorUnit, type UnitSpec } from './params.js';
import { decodeSah } from './sah.js';
import { decodeSamples, parseDatatype } from './sigmf.js';
import { baselineSmooth, binFrequency, dechirpInto, splitComplex, spectrumSpikes, type Baseband } from './spikes.js';
import { generateSynthetic, specFromSource } from './synthetic.js';
import { taylorSearch } from './taylor.js';
import type { BasebandSource, Detection, FilSource, SigmfSource, Spectrogram } from './types.js';

interface State {
  unit: UnitSpec;
  input: Uint8Array | undefined;
  done: number;
  total: number;
  found: Findings;
  x?: Baseband;
  starts?: number[];
}

const Checkpoint = z.object({ done: z.number().int().nonnegative(), found: FindingsState });
type Checkpoint = z.infer<typeof Checkpoint>;

/** How detections of each type are grouped in this unit (grouping.ts). */
function scalesOf(u: UnitSpec): Partial<Record<Detection['type'], GroupScale>> {
  const tol = tolerances(u);
  if (u.mode === 'spike') {
    const fs = (u.source as BasebandSource).sampleRateHz;
    const blockS = u.fftLength / fs;
    return {
      spike: { type: 'spike', binHz: tol.binHz, blockS, gapS: 2 * blockS, slotS: u.hop / fs, driftStep: tol.driftStep, threshold: u.threshold },
    };
  }
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

/** The strongest bin of a spectrum is SETI@home's best spike when it beats the best so far. */
function offerBestSpike(s: State, p: Float32Array, L: number, rate: number, timeS: number, stats: { total: number; peak: number }, src: BasebandSource): void {
  const mean = stats.total / L;
  const cur = s.found.bestOf('spike');
  if (cur && !(stats.peak / mean > cur.snr)) return;
  let k = 1;
  while (k < L && p[k] !== stats.peak) k++;
  s.found.offerBest('spike', {
    type: 'spike', frequencyHz: binFrequency(k, L, src), driftHzPerS: rate, snr: stats.peak / mean, power: stats.peak / mean,
    timeS, fftLength: L,
  });
}

function stepSpikes(s: State, u: BasebandUnit, budget: number): void {
  const src = u.source as BasebandSource;
  const x = s.x!, starts = s.starts!;
  const plan = fftPlan(u.fftLength);
  const realInput = src.format === 'sigmf' && !parseDatatype(src.datatype).isComplex;
  const opts = { ...src, threshold: u.threshold, spikesPerSpectrum: u.spikesPerSpectrum, realInput };
  const end = Math.min(s.total, s.done + budget);
  const out: Detection[] = [];
  for (; s.done < end; s.done++) {
    const j = Math.floor(s.done / starts.length);
    const b = starts[s.done % starts.length];
    const rate = (u.chirpFrom + j * u.chirpStride) * u.minChirpStep;
    dechirpInto(plan, x, b, rate, src.sampleRateHz);
    const p = plan.power();
    const stats = plan.stats();
    const timeS = (b + u.fftLength / 2) / src.sampleRateHz;
    out.length = 0;
    spectrumSpikes(p, u.fftLength, rate, timeS, opts, out, stats);
    for (const d of out) s.found.add({ ...d, power: d.snr });
    offerBestSpike(s, p, u.fftLength, rate, timeS, stats, src);
  }
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
    if (ch >= u.chanFrom && ch < u.chanTo) s.found.add(h);
  }
  s.done = 1;
}

const kernel: Kernel<UnitSpec, State, Result> = {
  initialBudget: 4,

  init(unit, input, checkpoint) {
    const cp = checkpoint === undefined ? undefined : Checkpoint.parse(checkpoint);
    const report = unit.mode === 'spike' && unit.reportDetections;
    const found = new Findings(scalesOf(unit), unit.maxHits, report, cp?.found);
    const s: State = { unit, input, done: cp?.done ?? 0, total: 1, found };
    if (unit.mode === 'spike') {
      s.starts = blockStarts(unit);
      s.total = s.starts.length * unit.chirpCount;
      if (s.done < s.total) s.x = loadBaseband(unit, input);
    }
    return s;
  },

  step(s, budget) {
    if (s.done >= s.total) return true;
    if (s.unit.mode === 'spike') stepSpikes(s, s.unit, Math.max(1, Math.floor(budget)));
    else runTaylor(s, s.unit);
    return s.done >= s.total;
  },

  progress: (s) => (s.total === 0 ? 1 : s.done / s.total),

  opsDone(s) {
    if (s.unit.mode !== 'spike') return s.done * unitOps(s.unit);
    return s.done * 5 * s.unit.fftLength * Math.log2(s.unit.fftLength);
  },

  checkpoint: (s): Checkpoint => ({ done: s.done, found: s.found.state() }),

  result: (s): Result => s.found.result(s.unit.mode === 'spike' ? s.done : (s.unit.source as FilSource).nTime),
};

export default kernel;
