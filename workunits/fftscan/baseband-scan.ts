/**
 * One baseband unit's work, item by item (work.ts): for each trial chirp, its FFT blocks (spikes and
 * autocorrelations on each spectrum; the spectra kept as a waterfall when a power-over-time search
 * follows), then the Gaussian fit of each bin, then the pulse and triplet search of each (bin, PoT
 * segment). Everything found goes to `Findings`. The waterfall is rebuilt when a unit resumes from a
 * checkpoint inside a chirp's power-over-time searches, so a checkpoint stays a count and the findings.
 */
import { Autocorrelator } from './autocorr.js';
import { fftPlan } from './fft.js';
import type { Findings } from './findings.js';
import { WasmFolder } from './fold-wasm.js';
import { fixedPots, GaussFitter, type GaussFit } from './gaussian.js';
import type { GroupScale } from './grouping.js';
import { blockStarts, tolerances, unitBlocks, unitChirpIndices, type BasebandUnit } from './params.js';
import { findPulse, PulsePlan, PulseThresholds, type PulseFold } from './pulses.js';
import { binFrequency, dechirpInto, spectrumSpikes, type Baseband } from './spikes.js';
import { findTriplets } from './triplets.js';
import type { BasebandSource, Detection, SignalType } from './types.js';
import { chirpWork, type ChirpWork } from './work.js';

/** How each type's detections are grouped in a baseband unit (grouping.ts). */
export function basebandScales(u: BasebandUnit): Partial<Record<SignalType, GroupScale>> {
  const tol = tolerances(u);
  const fs = (u.source as BasebandSource).sampleRateHz;
  const blockS = u.fftLength / fs;
  const common = { binHz: tol.binHz, driftStep: tol.driftStep };
  const out: Partial<Record<SignalType, GroupScale>> = {
    spike: { type: 'spike', ...common, blockS, gapS: 2 * blockS, slotS: u.hop / fs, threshold: u.threshold },
  };
  const d = u.detectors;
  const spanS = unitBlocks(u) * blockS;
  if (d.autocorr) out.autocorr = { type: 'autocorr', ...common, binHz: 1 / fs, blockS, gapS: 2 * blockS, slotS: u.hop / fs, threshold: d.autocorr.threshold };
  if (d.gauss) {
    const slotS = spanS / d.gauss.potLength;
    out.gaussian = { type: 'gaussian', ...common, blockS: slotS, gapS: 2 * slotS, slotS, threshold: d.gauss.peakPowerThresh };
  }
  const fold = d.pulse?.fold ?? d.triplet?.fold;
  if (fold) {
    const len = Math.min(fold.potLength, unitBlocks(u));
    const slotS = Math.max(1, len - fold.overlap) * blockS;
    const scale = { ...common, blockS: len * blockS, gapS: 2 * slotS, slotS };
    if (d.pulse) out.pulse = { type: 'pulse', ...scale, threshold: 1 };
    if (d.triplet) out.triplet = { type: 'triplet', ...scale, threshold: d.triplet.thresh };
  }
  return out;
}

/** Items in a unit (work.ts), without building its scan. */
export function scanItems(u: BasebandUnit): number {
  let n = 0;
  for (let j = 0; j < u.chirpCount; j++) n += chirpWork(u.detectors, u.fftLength, unitBlocks(u), u.chirpFrom + j).items;
  return n;
}

export class BasebandScan {
  readonly total: number;
  private readonly src: BasebandSource;
  private readonly starts: number[];
  private readonly indices: number[];
  private readonly first: number[];
  private readonly works: ChirpWork[];
  private readonly L: number;
  private j = 0;
  /** Spectra per audit slice (audit-blocks.ts): block of chirp j, spectrum b = j * slices + floor(b / per). */
  private readonly slices: number;
  private readonly per: number;
  private waterfall: Float32Array | null = null;
  /** Chirp whose spectra fill `waterfall`, and how many rows of it (in order) are there. */
  private wfChirp = -1;
  private wfRows = 0;
  private autocorr: Autocorrelator | null = null;
  private gauss: GaussFitter | null = null;
  private pulsePlan: PulsePlan | null = null;
  private folder: WasmFolder | null = null;
  /** Every bin's Gaussian PoT for chirp `potsChirp`, bin-major. */
  private pots = new Float32Array(0);
  private potsChirp = -1;
  private acc = new Float64Array(0);
  private seg = new Float32Array(0);

  /** `x` may be null for a unit that is already finished (nothing will run). */
  constructor(private readonly u: BasebandUnit, private readonly x: Baseband | null, private readonly found: Findings) {
    this.src = u.source as BasebandSource;
    this.L = u.fftLength;
    this.starts = blockStarts(u);
    this.indices = unitChirpIndices(u);
    this.works = this.indices.map((_, j) => chirpWork(u.detectors, u.fftLength, this.starts.length, u.chirpFrom + j));
    this.first = [0];
    for (const w of this.works) this.first.push(this.first[this.first.length - 1] + w.items);
    this.total = this.first[this.first.length - 1];
    this.slices = u.slices ?? 1;
    this.per = Math.ceil(this.starts.length / this.slices);
  }

  /** The audit block of chirp j's spectrum b (the whole chirp when it is one block). */
  private auditBlock(j: number, b: number): number {
    return j * this.slices + (this.slices === 1 ? 0 : Math.floor(b / this.per));
  }

  /** Operations of the items before `done` (whole chirps exactly, the current one pro rata). */
  opsBefore(done: number): number {
    let ops = 0, j = 0;
    while (j < this.works.length && this.first[j + 1] <= done) ops += this.works[j++].ops;
    if (j < this.works.length && done > this.first[j]) ops += (this.works[j].ops * (done - this.first[j])) / this.works[j].items;
    return ops;
  }

  /** Runs items [from, to). */
  run(from: number, to: number): void {
    for (let item = from; item < to; item++) {
      while (item >= this.first[this.j + 1]) this.j++;
      while (item < this.first[this.j]) this.j--;
      const j = this.j, w = this.works[j];
      let local = item - this.first[j];
      if (local < w.blocks) {
        this.block(j, local, true);
        continue;
      }
      local -= w.blocks;
      this.ensureWaterfall(j);
      if (local < w.gauss) this.gaussBin(j, local + 1);
      else this.foldItem(j, w, local - w.gauss);
    }
  }

  private rate(j: number): number {
    return this.indices[j] * this.u.minChirpStep;
  }

  private needsWaterfall(w: ChirpWork): boolean {
    return w.gauss > 0 || w.fold > 0;
  }

  /** Block b of chirp j: its spectrum, searched (when `search`), and kept for the PoT searches. */
  private block(j: number, b: number, search: boolean): void {
    const u = this.u, L = this.L, src = this.src, w = this.works[j];
    const plan = fftPlan(L);
    const rate = this.rate(j);
    const start = this.starts[b];
    dechirpInto(plan, this.x!, start, rate, src.sampleRateHz);
    const p = plan.power();
    if (this.needsWaterfall(w)) {
      this.waterfall ??= new Float32Array(this.starts.length * L);
      if (this.wfChirp !== j) {
        this.wfChirp = j;
        this.wfRows = 0;
      }
      this.waterfall.set(p, b * L);
      if (b === this.wfRows) this.wfRows++;
    }
    if (!search) return;
    const timeS = (start + L / 2) / src.sampleRateHz;
    const d = u.detectors;
    const block = this.auditBlock(j, b);
    if (d.spikes) {
      const stats = plan.stats();
      this.found.witness(block, stats.peak);
      this.found.witness(block, stats.total);
      const out: Detection[] = [];
      spectrumSpikes(p, L, rate, timeS, { ...src, threshold: u.threshold, spikesPerSpectrum: u.spikesPerSpectrum, realInput: this.realInput() }, out, stats);
      for (const s of out) this.found.add({ ...s, power: s.snr }, block);
      this.offerBestSpike(p, rate, timeS, stats);
    }
    if (d.autocorr) {
      this.autocorr ??= new Autocorrelator(L);
      const { score, lag } = this.autocorr.peak(p);
      this.found.witness(block, score);
      this.found.witness(block, lag);
      const det: Detection = {
        type: 'autocorr', frequencyHz: this.bandCentre(), driftHzPerS: rate, snr: score, power: score, timeS,
        fftLength: L, delayS: lag / src.sampleRateHz, threshold: d.autocorr.threshold,
      };
      if (score > d.autocorr.threshold) this.found.add(det, block);
      this.found.offerBest('autocorr', det);
    }
  }

  private realInput(): boolean {
    return this.src.format === 'sigmf' && /^r/.test(this.src.datatype);
  }

  /** SETI@home reports autocorrelations at the band's centre. */
  private bandCentre(): number {
    return this.src.centreFrequencyHz + this.src.sampleRateHz * (0.5 - (this.src.negativeBandFraction ?? 0.5));
  }

  private offerBestSpike(p: Float32Array, rate: number, timeS: number, stats: { total: number; peak: number }): void {
    const L = this.L, mean = stats.total / L;
    const cur = this.found.bestOf('spike');
    if (cur && !(stats.peak / mean > cur.snr)) return;
    let k = 1;
    while (k < L && p[k] !== stats.peak) k++;
    this.found.offerBest('spike', {
      type: 'spike', frequencyHz: binFrequency(k, L, this.src), driftHzPerS: rate, snr: stats.peak / mean, power: stats.peak / mean, timeS, fftLength: L,
    });
  }

  /** After a resume inside chirp j's power-over-time searches: its spectra again, nothing searched. */
  private ensureWaterfall(j: number): void {
    if (this.wfChirp === j && this.wfRows === this.starts.length) return;
    this.wfChirp = j;
    this.wfRows = 0;
    for (let b = 0; b < this.starts.length; b++) this.block(j, b, false);
  }

  private detection(type: SignalType, j: number, bin: number, timeS: number): Detection {
    return { type, frequencyHz: binFrequency(bin, this.L, this.src), driftHzPerS: this.rate(j), snr: 0, timeS, fftLength: this.L };
  }

  private gaussBin(j: number, bin: number): void {
    const spec = this.u.detectors.gauss!;
    this.gauss ??= new GaussFitter(spec);
    const spectra = this.starts.length, L = this.L;
    if (this.potsChirp !== j || this.wfChirp !== j) {
      if (this.pots.length !== L * spec.potLength) {
        this.pots = new Float32Array(L * spec.potLength);
        this.acc = new Float64Array(L);
      }
      fixedPots(this.waterfall!, L, spectra, spec.potLength, this.pots, this.acc);
      this.potsChirp = j;
    }
    this.gaussAt.j = j;
    this.gaussAt.bin = bin;
    this.gauss.fit(this.pots, this.onGauss, bin * spec.potLength, this.witnessGauss);
  }

  // What the Gaussian fits, the triplet searches and the pulse folds computed, into their chirp's block
  // witness: the witness of the spectra alone would let a host skip them where they find nothing
  // (docs/fftscan.md).
  private readonly witnessGauss = (x: number): void => this.found.witness(this.gaussAt.j, x);
  private readonly witnessFold = (x: number): void => this.found.witness(this.foldAt.j, x);

  /** The best Gaussian so far, and the null chi-square a fit must exceed to have a chance of beating it. */
  private nullBar: { of: Detection | null; value: number } = { of: null, value: 0 };

  /** Chirp and bin of the PoT being fitted, for `onGauss` (one callback for the unit, not one per bin). */
  private gaussAt = { j: 0, bin: 0 };

  private readonly onGauss = (f: GaussFit): void => {
    // The best-of needs a score only where it could win: a reported fit, or (while none is reported)
    // one not dominated by the best so far (a lower chi-square or a higher null chi-square).
    if (!f.reported) {
      if (this.found.hasReportedGaussian()) return;
      const best = this.found.bestOf('gaussian');
      if (best) {
        if (this.nullBar.of !== best) this.nullBar = { of: best, value: this.gauss!.nullBelowScore(best.score!) };
        if (f.nullChiSquare <= this.nullBar.value) return;
      }
    }
    const spec = this.u.detectors.gauss!, { j, bin } = this.gaussAt;
    const span = this.starts.length * this.L;
    const timeS = (this.u.blockFrom + ((f.offset + 0.5) / spec.potLength) * span) / this.src.sampleRateHz;
    const d: Detection = {
      ...this.detection('gaussian', j, bin, timeS),
      snr: f.peakPower / f.trueMean, power: f.peakPower, meanPower: f.trueMean, score: this.gauss!.score(f.chiSquare, f.nullChiSquare),
      chiSquare: f.chiSquare, nullChiSquare: f.nullChiSquare, threshold: spec.peakPowerThresh,
    };
    if (f.reported) this.found.add(d, j);
    this.found.offerBestGaussian(d, f.reported);
  };

  private foldItem(j: number, w: ChirpWork, f: number): void {
    const d = this.u.detectors, L = this.L;
    const nseg = w.segments.length;
    const bin = 1 + Math.floor(f / nseg), t0 = w.segments[f % nseg];
    const len = Math.min((d.pulse ?? d.triplet)!.fold.potLength, this.starts.length);
    if (this.seg.length !== len) this.seg = new Float32Array(len);
    const wf = this.waterfall!, seg = this.seg;
    for (let i = 0, at = t0 * L + bin; i < len; i++, at += L) seg[i] = wf[at];
    const at = this.foldAt;
    at.j = j;
    at.bin = bin;
    at.t0 = t0;
    if (w.triplet) {
      const found = findTriplets(seg, d.triplet!.thresh, this.witnessFold);
      for (let k = 0; k < found.length; k++) {
        const t = found[k];
        const det: Detection = {
          ...this.detection('triplet', j, bin, this.segmentTime(t.midpoint)), snr: t.power, power: t.power, meanPower: t.meanPower,
          periodS: (t.period * L) / this.src.sampleRateHz, threshold: d.triplet!.thresh,
        };
        this.found.add(det, j);
        this.found.offerBest('triplet', det);
      }
    }
    if (w.pulse) {
      const p = d.pulse!;
      this.pulsePlan ??= new PulsePlan(len, new PulseThresholds(p.thresh, p.displayThresh));
      this.folder ??= new WasmFolder(len);
      const reported = findPulse(seg, this.pulsePlan, p.displayThresh, this.folder, this.onPulse, this.witnessFold);
      if (reported) this.found.add(this.pulseDetection(reported), j);
    }
  }

  /** Chirp, bin and first spectrum of the segment being searched (for the callbacks below). */
  private readonly foldAt = { j: 0, bin: 0, t0: 0 };

  /** Time of a position (in spectra, from the segment's start) in the segment being searched. */
  private segmentTime(bins: number): number {
    return (this.u.blockFrom + (this.foldAt.t0 + bins + 0.5) * this.L) / this.src.sampleRateHz;
  }

  private pulseDetection(k: PulseFold): Detection {
    const { j, bin } = this.foldAt, len = this.seg.length;
    return {
      ...this.detection('pulse', j, bin, this.segmentTime(Math.trunc(len / 2))), snr: k.snr, power: k.power - 1, meanPower: k.meanPower,
      score: k.score, threshold: k.threshold, periodS: (k.period * this.L) / this.src.sampleRateHz,
    };
  }

  /** A fold above its display level: the best pulse, when it beats the best so far. */
  private readonly onPulse = (k: PulseFold): void => {
    const cur = this.found.bestOf('pulse');
    if (!cur || k.score > cur.score!) this.found.offerBest('pulse', this.pulseDetection(k));
  };
}
