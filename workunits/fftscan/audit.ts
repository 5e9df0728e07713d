/**
 * The signal scan's audit (commit, then audit: workunits/kind.ts). A baseband unit's audit blocks are its
 * trial chirps, or runs of a chirp's spectra where they stand alone (audit-blocks.ts); the ordinary kernel
 * computes a block alone and makes exactly the detections the whole unit made there. A drift unit is one
 * block (its Taylor search normalises by the whole window).
 *
 * What a recomputed block proves about the original result: its digest and detection count (exact: the
 * bits are the same on every host); every signal whose strongest detection the result places in the block
 * is there, score and every field to the last bit, and its reported track passes through it; no signal
 * or detection of the block that the result should have kept is missing; the block's best-ofs are
 * consistent with the result's. The only tolerance is where a signal's track (a fit across many blocks,
 * which one block cannot recompute) must pass through a detection: within the widths both report.
 */
import type { Audit } from '../kind.js';
import { canonicalDetection, sameDetection } from './block-digest.js';
import { betterBest } from './findings.js';
import { candidateOrder, detectionOrder } from './grouping.js';
import { auditBlocks, blockOfDetection, blockUnitOf } from './audit-blocks.js';
import { tolerances, unitBlocks, type Best, type Result, type UnitSpec } from './params.js';
import type { BasebandSource, Candidate } from './types.js';
import { chirpWork } from './work.js';

/** A block recomputed alone keeps this many times the unit's signals, so grouping alone never crowds out one the unit kept. */
const BLOCK_HITS = 4;

/** Work items a finished unit reports (work.ts): whole-unit work is not a host's to choose. */
export function expectedWork(u: UnitSpec): number {
  if (u.mode !== 'spike') return (u.source as { nTime: number }).nTime;
  let n = 0;
  for (let j = 0; j < u.chirpCount; j++) n += chirpWork(u.detectors, u.fftLength, unitBlocks(u), u.chirpFrom + j).items;
  return n;
}

/** A signal's strongest detection, in canonical form (frequency and drift are the track's, so they are left out). */
const peakKey = (c: Candidate): string => `${c.type} ${canonicalDetection({ ...c, frequencyHz: 0, driftHzPerS: 0 })}`;

const ratio = (c: Candidate): number => c.snr / c.threshold;

const positionAt = (c: Candidate, t: number): number => (c.type === 'autocorr' ? (c.delayS ?? 0) : c.frequencyHz + c.driftHzPerS * t);

/**
 * Does unit-level signal `s` contain block-level signal `r`'s strongest detection? Same type, the time
 * inside s's span, and at that time both tracks within their half-widths plus two bins each side (both
 * tracks are fits through cells that hold the detection; a pulse's cell may be set by a weaker fold
 * a fold's length away, hence its allowance for drift over r's span).
 */
function covers(s: Candidate, r: Candidate, tol: ReturnType<typeof tolerances>): boolean {
  if (s.type !== r.type) return false;
  const t = r.timeS;
  if (t < s.startS - tol.timeS || t > s.endS + tol.timeS) return false;
  const bin = r.type === 'autocorr' ? Math.abs(s.delayS ?? 0) * 1e-9 + 1e-12 : tol.binHz;
  const drift = r.type === 'pulse' ? (Math.abs(s.driftHzPerS) + Math.abs(r.driftHzPerS)) * (r.endS - r.startS) : 0;
  const slack = (s.bandwidthHz + r.bandwidthHz) / 2 + 4 * bin + drift + 1e-9 * Math.abs(positionAt(s, t));
  return Math.abs(positionAt(s, t) - positionAt(r, t)) <= slack;
}

/**
 * A signal's band and span must lie within what its unit could have seen: no wider than the unit's band,
 * no earlier or later than its samples. A tighter bound on the width (a multiple of what the peak's block
 * sees) failed honest results: a strong carrier's leakage, grouped over a whole unit, fits a band several
 * times wider than any one block shows (the SigMF logo recording: 1,088 Hz against 146 Hz). So a kept
 * signal's claimed width is trusted up to the unit's band; docs/security.md says what that leaves open.
 */
function plausibleWidth(u: UnitSpec, s: Candidate, tol: ReturnType<typeof tolerances>): boolean {
  if (u.mode !== 'spike' || s.type === 'autocorr') return true;
  const fs = (u.source as BasebandSource).sampleRateHz;
  return s.bandwidthHz <= fs && s.startS >= u.dataFrom / fs - tol.timeS && s.endS <= u.dataTo / fs + tol.timeS;
}

/**
 * The signals the result places in block b are the block's own (their peak to the last bit, their track
 * through it, their width plausible), and no signal the block found above the result's cut is missing:
 * each lies on the track of a kept signal.
 */
function signalsAgree(u: UnitSpec, b: number, original: Result, block: Result): boolean {
  const tol = tolerances(u);
  const used = new Set<number>();
  for (let i = 0; i < original.signals.length; i++) {
    if (original.peaks[i] !== b) continue;
    const s = original.signals[i], key = peakKey(s);
    const at = block.signals.findIndex((r, j) => !used.has(j) && peakKey(r) === key);
    if (at < 0 || !covers(s, block.signals[at], tol) || !plausibleWidth(u, s, tol)) return false;
    used.add(at);
  }
  const kept = original.signals;
  // Signals beyond maxHits were dropped: only those at least as strong as the weakest kept must be there.
  const floor = original.dropped > 0 && kept.length ? ratio(kept[kept.length - 1]) : 0;
  return block.signals.every((r) => ratio(r) <= floor || kept.some((s) => covers(s, r, tol)));
}

/** Reported detections of block b are the block's, and every block detection stronger than the cut is reported. */
function detectionsAgree(u: UnitSpec, b: number, original: Result, block: Result): boolean {
  const blockOf = blockOfDetection(u);
  const mine = original.detections.filter((d) => blockOf(d) === b);
  const left = new Map<string, number>();
  for (const d of block.detections) left.set(canonicalDetection(d), (left.get(canonicalDetection(d)) ?? 0) + 1);
  for (const d of mine) {
    const k = canonicalDetection(d), n = left.get(k) ?? 0;
    if (n === 0) return false;
    left.set(k, n - 1);
  }
  const cut = original.droppedDetections > 0 ? original.detections[original.detections.length - 1] : undefined;
  return block.detections.every((x) => (cut && detectionOrder(x, cut) >= 0) || mine.some((d) => sameDetection(d, x)));
}

/** The result's best-of of each type is the block's when it names this block, and never worse than the block's. */
function bestAgrees(u: UnitSpec, b: number, original: Result, block: Result): boolean {
  const blockOf = blockOfDetection(u);
  for (const type of Object.keys(betterBest) as Array<keyof Best>) {
    const o = original.best[type], r = block.best[type];
    if (!r) {
      if (o && blockOf(o) === b) return false;
      continue;
    }
    if (!o) return false;
    if (blockOf(o) === b) {
      if (!sameDetection(o, r)) return false;
    } else if (type !== 'gaussian' && betterBest[type](r, o)) {
      // A Gaussian that passed its fit beats any that did not, which a detection does not say: only exact there.
      return false;
    }
  }
  return true;
}

export const fftscanAudit: Audit<UnitSpec, Result> = {
  blocks: auditBlocks,

  blockUnit: (u, b) => blockUnitOf(u, b, u.maxHits * BLOCK_HITS),

  agrees(u, b, original, block) {
    const mine = original.blocks[b], theirs = block.blocks[0];
    if (!mine || block.blocks.length !== 1 || mine.digest !== theirs.digest || mine.detections !== theirs.detections) return false;
    return signalsAgree(u, b, original, block) && detectionsAgree(u, b, original, block) && bestAgrees(u, b, original, block);
  },

  // Every block holding a reported signal's strongest detection or a best-of: nothing the answer shows
  // enters it unmeasured. At most one per signal plus one per type, never more than the unit's blocks.
  mustCheck(u, r) {
    const blockOf = blockOfDetection(u), n = auditBlocks(u);
    const best = Object.values(r.best).flatMap((d) => (d ? [blockOf(d)] : []));
    return [...new Set([...r.peaks, ...best])].filter((b) => b >= 0 && b < n).sort((a, b) => a - b);
  },
};

const ordered = <T>(list: T[], order: (a: T, b: T) => number): boolean => list.every((x, i) => i === 0 || order(list[i - 1], x) <= 0);

/**
 * What can be checked of a result without computing anything: one commitment per block, counts that add
 * up (the block counts make detectionCount; reported plus dropped detections make it too; there are no
 * more signals, reported or dropped, than detections), lists in their order, every detection and peak in
 * one of the unit's blocks, and the unit's whole work done. The audit checks the rest.
 */
export function consistent(u: UnitSpec, r: Result): boolean {
  const blockOf = blockOfDetection(u), n = auditBlocks(u);
  if (r.blocks.length !== n || r.peaks.length !== r.signals.length || r.peaks.some((p) => p >= n)) return false;
  if (r.work !== expectedWork(u)) return false;
  if (r.blocks.reduce((s, b) => s + b.detections, 0) !== r.detectionCount) return false;
  const report = u.mode === 'spike' && u.reportDetections;
  if (report ? r.detections.length + r.droppedDetections !== r.detectionCount : r.detections.length || r.droppedDetections) return false;
  // Nothing is dropped from a list that is not full (findings.ts), so a short list cannot claim drops.
  if ((r.dropped > 0 && r.signals.length !== u.maxHits) || (r.droppedDetections > 0 && r.detections.length !== u.maxHits)) return false;
  if (r.signals.length + r.dropped > r.detectionCount || r.signals.reduce((s, c) => s + c.detections, 0) > r.detectionCount) return false;
  if (!ordered(r.signals, candidateOrder) || !ordered(r.detections, detectionOrder)) return false;
  if (r.detections.some((d) => blockOf(d) < 0 || (d.signal !== undefined && d.signal >= r.signals.length))) return false;
  return Object.values(r.best).every((d) => d === undefined || blockOf(d) >= 0);
}
