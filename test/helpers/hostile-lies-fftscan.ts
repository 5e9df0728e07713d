/**
 * The lies a hostile host (hostile-host.ts) tells about a signal-scan unit, written from docs/protocol.md
 * and docs/fftscan.md: a result is `{signals, peaks, blocks, detections, best, dropped, detectionCount,
 * droppedDetections, work}`, one commitment `{digest, detections}` per audit block (a trial chirp, or a run
 * of its spectra), `peaks` the block of each signal's strongest detection, `work` the unit's item count.
 * An attacker has the
 * kind's source, so every lie here is made to pass the kind's own `check` (counts that add up, the
 * right work, lists in order) and only audits and replicas can tell.
 *
 * "Nothing here" (instant; random): no signals, every block committed as empty. A hidden tone: the
 * strongest signal left out. An invented hit: a made-up signal at a huge score, counted in its block's
 * commitment. Sybils compute nothing and send the same invented hit, a function of the unit alone. A
 * skipper computes all but a tenth of the blocks (at least one) and commits the rest as empty
 * (EMPTY_BLOCK_DIGEST: what a block that found nothing committed to before commitments were sealed with
 * a witness of every spectrum), dropping the signals it would have found there.
 */
import { createHash, randomBytes, randomInt } from 'node:crypto';
import { auditBlocks, blockOfDetection } from '../../workunits/fftscan/audit-blocks.js';
import { expectedWork } from '../../workunits/fftscan/audit.js';
import { EMPTY_BLOCK_DIGEST } from '../../workunits/fftscan/block-digest.js';
import { candidateOrder } from '../../workunits/fftscan/grouping.js';
import fftscan from '../../workunits/fftscan/kind.js';
import type { BasebandUnit, Result } from '../../workunits/fftscan/params.js';
import type { Candidate } from '../../workunits/fftscan/types.js';
import { honestResult } from './compute.js';
import { someOf } from './hostile-lies-keysearch.js';
import type { Behaviour, Lie, LieContext } from './hostile-lies.js';

const empty = { digest: EMPTY_BLOCK_DIGEST, detections: 0 };

const nothing = (u: BasebandUnit): Result => ({
  signals: [], peaks: [], blocks: Array.from({ length: auditBlocks(u) }, () => empty), detections: [], best: {}, dropped: 0, detectionCount: 0, droppedDetections: 0, work: expectedWork(u),
});

/** A steady spike signal at `offsetHz` from the centre with a score no tone reaches. */
function madeUp(u: BasebandUnit, offsetHz: number): Candidate {
  const src = u.source as { sampleRateHz: number; centreFrequencyHz: number };
  const f = src.centreFrequencyHz + offsetHz;
  // "timeS is the middle of the spectrum": the unit's first one.
  const timeS = (u.blockFrom + u.fftLength / 2) / src.sampleRateHz;
  return {
    type: 'spike', frequencyHz: f, driftHzPerS: 0, snr: 1e6, timeS, fftLength: u.fftLength, power: 1e6, threshold: u.threshold,
    driftErrHzPerS: 0, startS: timeS, endS: timeS, startHz: f, endHz: f, bandwidthHz: 0, detections: 1,
  };
}

/** `r` with `hit` among its signals, in the block of its (zero-drift, first-spectrum) detection, whose commitment now counts it. */
function withHit(u: BasebandUnit, r: Result, hit: Candidate, digest: string): Result {
  const b = Math.max(0, blockOfDetection(u)(hit));
  const pairs = [...r.signals.map((c, i) => ({ c, p: r.peaks[i] })), { c: hit, p: b }].sort((x, y) => candidateOrder(x.c, y.c)).slice(0, u.maxHits);
  return {
    ...r, signals: pairs.map((x) => x.c), peaks: pairs.map((x) => x.p), best: { ...r.best, spike: hit },
    blocks: r.blocks.map((x, i) => (i === b ? { digest, detections: x.detections + 1 } : x)), detectionCount: r.detectionCount + 1,
  };
}

/** `r` without the signals at `drop` (indices). */
const without = (r: Result, drop: Set<number>): Result => ({
  ...r, signals: r.signals.filter((_, i) => !drop.has(i)), peaks: r.peaks.filter((_, i) => !drop.has(i)),
});

/** Blocks `chosen` committed as empty; their signals gone; counts made to add up again. */
function skipBlocks(r: Result, chosen: Set<number>): Result {
  const kept = without(r, new Set(r.peaks.flatMap((p, i) => (chosen.has(p) ? [i] : []))));
  const blocks = r.blocks.map((x, i) => (chosen.has(i) ? empty : x));
  const detectionCount = blocks.reduce((s, x) => s + x.detections, 0);
  const signals = kept.signals.map((c) => ({ ...c }));
  for (let over = signals.reduce((s, c) => s + c.detections, 0) - detectionCount; over > 0; over--) {
    const most = signals.reduce((m, c) => (c.detections > m.detections ? c : m));
    most.detections--;
  }
  return { ...kept, signals, blocks, detectionCount, dropped: Math.min(r.dropped, Math.max(0, detectionCount - signals.length)) };
}

function lie(u: BasebandUnit, result: Result, how: string): Lie {
  // An attacker sends only what the coordinator's own check accepts; say so if this one would not.
  return { result, lie: true, how: fftscan.check!(u, result) ? how : `${how} (fails check)` };
}

export async function fftscanLie(behaviour: Behaviour, ctx: LieContext): Promise<Lie> {
  const u = ctx.spec as BasebandUnit;
  const rate = (u.source as { sampleRateHz: number }).sampleRateHz;
  switch (behaviour) {
    case 'instant':
      return lie(u, nothing(u), 'nothing here');
    case 'sybil': {
      const h = createHash('sha256').update(`sybil|${ctx.jobId}|${ctx.unit}`).digest();
      return lie(u, withHit(u, nothing(u), madeUp(u, (h.readUInt32BE(0) / 2 ** 32 - 0.5) * 0.8 * rate), h.toString('hex')), 'sybil hit');
    }
    default:
      break;
  }
  const honest = (await honestResult('fftscan', u)) as Result;
  const n = honest.blocks.length;
  switch (behaviour) {
    case 'random': {
      const pick = randomInt(3);
      if (pick === 0 || !honest.signals.length) return lie(u, nothing(u), 'nothing here');
      if (pick === 1) return lie(u, without(honest, new Set([randomInt(honest.signals.length)])), 'a signal dropped');
      const shift = 50 * (rate / u.fftLength);
      const moved = honest.signals.map((c, i) => (i === 0 ? { ...c, frequencyHz: c.frequencyHz + shift, startHz: c.startHz + shift, endHz: c.endHz + shift } : c));
      return lie(u, { ...honest, signals: moved }, 'a signal moved 50 bins');
    }
    case 'skip':
      return lie(u, skipBlocks(honest, someOf(n, Math.max(1, Math.round(ctx.skip * n)))), `skipped ${Math.max(1, Math.round(ctx.skip * n))} of ${n} blocks`);
    case 'hide':
      if (!honest.signals.length) return { result: honest, lie: false, how: 'nothing to hide' };
      return lie(u, without(honest, new Set([0])), 'hid the strongest signal');
    case 'invent':
      return lie(u, withHit(u, honest, madeUp(u, (randomInt(1000) / 1000 - 0.5) * 0.8 * rate), randomBytes(32).toString('hex')), 'invented a hit');
    default:
      throw new Error(`no signal-scan answer for ${behaviour}`);
  }
}
