/**
 * The signal-scan kind ('fftscan'): a SETI@home-style spike search over complex baseband recordings
 * (.sah work units, SigMF, seeded synthetic signals) and a Taylor-tree drift search over filterbank
 * spectrograms. See docs/fftscan.md.
 */
import { fail, ok, type Kind } from '../kind.js';
import { assembleAnswer, type Answer } from './assemble.js';
import { consistent, fftscanAudit } from './audit.js';
import { compareResults } from './compare.js';
import {
  basebandUnit, basebandUnitCount, FftscanParams, isBaseband, resolveSettings, Result, taylorUnit, unitOps, UnitSpec,
  type Settings,
} from './params.js';
import { picture, pictureInput } from './picture.js';
import { parseDatatype } from './sigmf.js';
import type { FilSource, Source } from './types.js';

function settingsOf(p: FftscanParams): Settings {
  const s = resolveSettings(p);
  if (!s.ok) throw new RangeError(s.message);
  return s.value;
}

function unitCount(src: Source, s: Settings): number {
  return isBaseband(src) ? basebandUnitCount(src, s) : Math.ceil((src as FilSource).nChan / s.channelsPerUnit);
}

function unitAt(p: FftscanParams, index: number): UnitSpec {
  const s = settingsOf(p);
  return isBaseband(p.source) ? basebandUnit(p.source, s, index) : taylorUnit(p.source as FilSource, s, index);
}

const filBytes = (f: FilSource): number => f.dataOffset + (f.nTime * f.nChan * f.nbits) / 8;

const fftscan: Kind<FftscanParams, UnitSpec, Result, Answer> = {
  name: 'fftscan',
  // 2: results are grouped signals, detections and best-ofs (issue 15), not a flat list of hits.
  // 3: results commit to one digest per audit block and name each signal's block (issue 14).
  // 4: a block's witness also covers its Gaussian fits, triplet searches and pulse folds (a host still
  //    on version 3 would fail the audit of every block that has them, so it gets no signal-scan units
  //    until it updates).
  version: 4,
  title: 'Radio signal search: SETI@home-style chirped FFT spikes, or Taylor-tree drifts in a spectrogram',
  opsUnit: 'FLOP: 5 N log2 N per complex FFT of length N (spike search); 2 additions per tree node (drift search)',
  params: FftscanParams,
  unitSpec: UnitSpec,
  result: Result,
  kernelModule: 'fftscan/kernel.js',
  // What decoding a unit's slice of the recording can raise on a host (kernel.ts and the decoders it uses).
  unitErrorCodes: [
    'FFTSCAN_INPUT', 'FFTSCAN_DATATYPE', 'SAH_HEADER', 'SAH_DATA', 'SIGMF_BAD_JSON', 'SIGMF_MISSING_FIELD',
    'SIGMF_UNSUPPORTED_DATATYPE', 'SIGMF_BAD_DATA', 'FIL_NOT_FILTERBANK', 'FIL_TRUNCATED', 'FIL_BAD_HEADER',
    'FIL_UNSUPPORTED', 'FIL_BAD_RANGE',
  ],

  plan(p) {
    const r = resolveSettings(p);
    if (!r.ok) return fail(r.code, r.message);
    const src = p.source;
    if (src.format === 'sigmf') {
      try {
        parseDatatype(src.datatype); // an unknown datatype fails here, before any unit is cut
      } catch (e) {
        return fail('FFTSCAN_DATATYPE', (e as Error).message);
      }
      if ((src.channel ?? 0) >= (src.numChannels ?? 1)) return fail('FFTSCAN_CHANNEL', `channel ${src.channel} of ${src.numChannels ?? 1}`);
    }
    const total = unitCount(src, r.value);
    if (total > 10_000_000) return fail('FFTSCAN_TOO_MANY_UNITS', `${total} units: raise opsPerUnit or lower maxDrift`);
    let ops = 0;
    const probe = Math.min(total, 64);
    for (let i = 0; i < probe; i++) ops += unitOps(unitAt(p, Math.floor((i * total) / probe)));
    return ok({
      unitsTotal: total,
      opsPerUnit: Math.max(1, Math.round(ops / Math.max(1, probe))),
      inputs: src.format === 'synthetic' ? [] : [src.sha256],
    });
  },

  unit: (p, _plan, index) => unitAt(p, index),

  input(p, u) {
    const src = p.source;
    switch (src.format) {
      case 'synthetic':
        return undefined;
      case 'sah':
        // Small (about 360 kB) and text-encoded: every unit takes the whole file and decodes it.
        return { sha256: src.sha256, offset: 0, length: src.byteLength };
      case 'fil':
        return { sha256: src.sha256, offset: 0, length: filBytes(src) };
      case 'sigmf': {
        if (u.mode !== 'spike') return undefined;
        const dt = parseDatatype(src.datatype);
        const frame = (dt.bits / 8) * (dt.isComplex ? 2 : 1) * (src.numChannels ?? 1);
        return { sha256: src.sha256, offset: src.dataOffset + u.dataFrom * frame, length: (u.dataTo - u.dataFrom) * frame };
      }
    }
  },

  ops: unitOps,

  compare: compareResults,

  check(unit, result) {
    const finite = (d: { snr: number; frequencyHz: number; driftHzPerS: number; timeS: number }) =>
      Number.isFinite(d.snr) && Number.isFinite(d.frequencyHz) && Number.isFinite(d.driftHzPerS) && Number.isFinite(d.timeS);
    return result.signals.length <= unit.maxHits && result.detections.length <= unit.maxHits
      && result.signals.every((c) => finite(c) && c.snr >= c.threshold) && result.detections.every(finite)
      && result.detections.length <= result.detectionCount && consistent(unit, result);
  },

  // Commit, then audit (audit.ts): one trial chirp per block, and every block holding a reported signal.
  audit: fftscanAudit,

  assemble(p, _plan, results, failed) {
    const s = settingsOf(p);
    return assembleAnswer(results.map((r) => ({ result: r.result, unit: unitAt(p, r.index) })), failed, {
      maxCandidates: s.maxCandidates, reportDetections: s.reportDetections && isBaseband(p.source),
    });
  },

  // A waterfall plot around each candidate of the answer (picture.ts), served at /api/jobs/:id/pictures/:n.
  pictureInput,
  picture,
};

export default fftscan;
