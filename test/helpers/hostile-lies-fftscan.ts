/**
 * The lies a hostile host (hostile-host.ts) tells about a signal-scan unit, written from docs/protocol.md
 * and docs/fftscan.md: a result is `{signals, detections, best, dropped, detectionCount,
 * droppedDetections, work}`, `work` the unit's item count (which an attacker computes from the kind's
 * published code, as here with scanItems). Every lie passes the kind's `check`.
 *
 * "Nothing here" (instant; random): no signals, the right work count. A hidden tone: the strongest signal
 * left out. An invented hit: a made-up signal at a huge score placed first, with `dropped` raised by one,
 * as issue 14's forged result. Sybils compute nothing and send the same invented hit, a function of the
 * unit alone. A skipper computes the unit's first 90% of FFT blocks and claims them all.
 */
import { createHash, randomInt } from 'node:crypto';
import { scanItems } from '../../workunits/fftscan/baseband-scan.js';
import { blockStarts, type BasebandUnit, type Result } from '../../workunits/fftscan/params.js';
import type { Candidate } from '../../workunits/fftscan/types.js';
import { honestResult } from './compute.js';
import type { Behaviour, Lie, LieContext } from './hostile-lies.js';

const nothing = (u: BasebandUnit): Result => ({ signals: [], detections: [], best: {}, dropped: 0, detectionCount: 0, droppedDetections: 0, work: scanItems(u) });

/** A spike signal at `offsetHz` from the centre with a score no tone reaches. */
function madeUp(u: BasebandUnit, offsetHz: number): Candidate {
  const rate = u.source.format === 'fil' ? 1 : u.source.sampleRateHz;
  const centre = u.source.format === 'fil' ? 0 : u.source.centreFrequencyHz;
  const f = centre + offsetHz;
  const timeS = u.blockFrom / rate;
  return {
    type: 'spike', frequencyHz: f, driftHzPerS: 0, snr: 1e6, timeS, fftLength: u.fftLength, power: 1e6, threshold: u.threshold,
    driftErrHzPerS: 0, startS: timeS, endS: u.blockTo / rate, startHz: f, endHz: f, bandwidthHz: 0, detections: 1,
  };
}

/** The invented hit placed first, counted as if a real signal had been pushed out by it. */
function withHit(r: Result, hit: Candidate): Result {
  const signals = [hit, ...r.signals].slice(0, Math.max(1, r.signals.length));
  return { ...r, signals, best: { ...r.best, spike: hit }, dropped: r.dropped + 1 };
}

export async function fftscanLie(behaviour: Behaviour, ctx: LieContext): Promise<Lie> {
  const u = ctx.spec as BasebandUnit;
  const rate = u.source.format === 'fil' ? 1 : u.source.sampleRateHz;
  switch (behaviour) {
    case 'instant':
      return { result: nothing(u), lie: true, how: 'nothing here' };
    case 'sybil': {
      const h = createHash('sha256').update(`sybil|${ctx.jobId}|${ctx.unit}`).digest().readUInt32BE(0);
      return { result: withHit(nothing(u), madeUp(u, ((h / 2 ** 32) - 0.5) * 0.8 * rate)), lie: true, how: 'sybil hit' };
    }
    case 'skip': {
      const starts = blockStarts(u);
      const kept = starts.length - Math.max(1, Math.round(ctx.skip * starts.length));
      const partial = (await honestResult('fftscan', { ...u, blockTo: starts[kept - 1] + 1 })) as Result;
      return { result: { ...partial, work: scanItems(u) }, lie: true, how: `skipped ${starts.length - kept} of ${starts.length} blocks` };
    }
    default:
      break;
  }
  const honest = (await honestResult('fftscan', u)) as Result;
  switch (behaviour) {
    case 'random': {
      const pick = randomInt(3);
      if (pick === 0 || !honest.signals.length) return { result: { ...nothing(u), work: honest.work }, lie: true, how: 'nothing here' };
      if (pick === 1) {
        const drop = randomInt(honest.signals.length);
        return { result: { ...honest, signals: honest.signals.filter((_, i) => i !== drop) }, lie: true, how: 'a signal dropped' };
      }
      const bin = rate / u.fftLength;
      const moved = honest.signals.map((c, i) => (i === 0 ? { ...c, frequencyHz: c.frequencyHz + 50 * bin, startHz: c.startHz + 50 * bin, endHz: c.endHz + 50 * bin } : c));
      return { result: { ...honest, signals: moved }, lie: true, how: 'a signal moved 50 bins' };
    }
    case 'hide': {
      if (!honest.signals.length) return { result: honest, lie: false, how: 'nothing to hide' };
      return { result: { ...honest, signals: honest.signals.slice(1) }, lie: true, how: 'hid the strongest signal' };
    }
    case 'invent':
      return { result: withHit(honest, madeUp(u, (randomInt(1000) / 1000 - 0.5) * 0.8 * rate)), lie: true, how: 'invented a hit' };
    default:
      throw new Error(`no signal-scan answer for ${behaviour}`);
  }
}
