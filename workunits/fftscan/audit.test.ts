/**
 * Commit, then audit, for the signal scan: every block of an honest result agrees with its recomputation
 * (spikes, and SETI@home's Gaussians, triplets and autocorrelations on windows of the reference unit), and
 * each kind of lie is caught by the structural check, by the blocks every result must have audited
 * (those holding its signals), or by the random or full audit.
 */
import { describe, expect, it } from 'vitest';
import { referenceUnits } from '../../test/helpers/reference-units.js';
import { TONES } from '../../test/helpers/tones.js';
import type { Kernel } from '../kind.js';
import { auditBlocks } from './audit-blocks.js';
import { EMPTY_BLOCK_DIGEST } from './block-digest.js';
import kernelDefault from './kernel.js';
import fftscan from './kind.js';
import type { BasebandUnit, Result, UnitSpec } from './params.js';

const kernel = kernelDefault as Kernel<UnitSpec, unknown, Result>;
const audit = fftscan.audit!;

function run(u: UnitSpec, input?: Uint8Array): Result {
  const s = kernel.init(u, input);
  while (!kernel.step(s, 7));
  return kernel.result(s);
}

/** Which blocks of `r` disagree with their recomputation (`blocks`: default all). */
function disagreeing(u: UnitSpec, r: Result, input?: Uint8Array, blocks = [...Array(audit.blocks(u)).keys()]): number[] {
  return blocks.filter((b) => !audit.agrees(u, b, r, run(audit.blockUnit(u, b), input)));
}

/** 8 s of issue 15's three tones in seeded noise, as one unit of 17 trial chirps of 8 spectra, two audit blocks each. */
function tonesUnit(): BasebandUnit {
  const p = fftscan.params.parse({
    source: { format: 'synthetic', seed: 15, sampleRateHz: 65536, centreFrequencyHz: 1.42e9, sampleCount: 1 << 19, signals: TONES },
    fftSize: 65536, maxDrift: 4,
  });
  const plan = fftscan.plan(p);
  if (!plan.ok) throw new Error(plan.error.message);
  expect(plan.value.unitsTotal).toBe(1);
  return fftscan.unit(p, plan.value, 0) as BasebandUnit;
}

describe('fftscan audit: an honest result', () => {
  const u = tonesUnit();
  const r = run(u);

  it('commits to one digest per block (half a trial chirp), its peaks name blocks that hold its signals, and every block agrees', () => {
    expect(u.slices).toBe(2);
    expect(audit.blocks(u)).toBe(2 * u.chirpCount);
    expect(r.blocks).toHaveLength(2 * u.chirpCount);
    expect(r.signals).toHaveLength(3);
    expect(fftscan.check!(u, r)).toBe(true);
    const bestBlock = audit.mustCheck!(u, { ...r, peaks: [] });
    expect(bestBlock).toHaveLength(1); // the best spike's
    expect(audit.mustCheck!(u, r)).toEqual([...new Set([...r.peaks, ...bestBlock])].sort((a, b) => a - b));
    expect(r.blocks.filter((b) => b.detections > 0).length).toBeGreaterThan(3);
    expect(disagreeing(u, r)).toEqual([]);
  }, 60_000);

  it('a resumed unit (checkpoint as JSON) commits to the same digests', () => {
    let s = kernel.init(u, undefined);
    for (let i = 0; i < 40; i++) kernel.step(s, 3);
    s = kernel.init(u, undefined, JSON.parse(JSON.stringify(kernel.checkpoint(s))));
    while (!kernel.step(s, 5));
    expect(kernel.result(s)).toEqual(r);
  }, 60_000);

  it('refuses a version 2 result (no block commitments) by its schema, naming the field', () => {
    const { blocks: _b, peaks: _p, ...old } = r;
    const parsed = fftscan.result.safeParse(old);
    expect(parsed.success).toBe(false);
    expect(parsed.error!.issues.map((i) => i.path.join('.'))).toEqual(expect.arrayContaining(['peaks', 'blocks']));
  });
});

describe('fftscan audit: honest results of other shapes', () => {
  const strongAndWeak = {
    format: 'synthetic', seed: 3, sampleRateHz: 16384, centreFrequencyHz: 1e9, sampleCount: 1 << 19,
    signals: [{ offsetHz: -3000.2, driftHzPerS: 0, amplitude: 0.5 }, { offsetHz: 2500.5, driftHzPerS: 0.3, amplitude: 0.05 }],
  };
  const cases: Array<[string, Record<string, unknown>]> = [
    // A strong tone with thousands of detections beside a weak one, kept to 1 or 2 signals per unit.
    ['full lists, maxHitsPerUnit 1 (signals dropped)', { source: strongAndWeak, fftSize: 16384, maxDrift: 2, maxHitsPerUnit: 1 }],
    ['full lists, maxHitsPerUnit 2 (groups pruned)', { source: strongAndWeak, fftSize: 16384, maxDrift: 2, maxHitsPerUnit: 2 }],
    ['a tone drifting at -16 Hz/s across many trial chirps', {
      source: { format: 'synthetic', seed: 7, sampleRateHz: 4096, centreFrequencyHz: 0, sampleCount: 1 << 19, signals: [{ offsetHz: 1000.3, driftHzPerS: -16, amplitude: 0.3 }] },
      fftSize: 1024, maxDrift: 20, chirpResolution: 1,
    }],
  ];
  for (const [name, params] of cases) {
    it(`${name}: passes its check and every block agrees`, () => {
      const p = fftscan.params.parse(params);
      const plan = fftscan.plan(p);
      if (!plan.ok) throw new Error(plan.error.message);
      let signals = 0;
      for (let i = 0; i < plan.value.unitsTotal; i++) {
        const u = fftscan.unit(p, plan.value, i);
        const r = run(u);
        signals += r.signals.length;
        expect(fftscan.check!(u, r), `unit ${i}`).toBe(true);
        expect(disagreeing(u, r), `unit ${i}`).toEqual([]);
      }
      expect(signals).toBeGreaterThan(0);
    }, 180_000);
  }
});

/** Signal i left out, everything else (digests included) as computed. */
function hideTone(r: Result, i: number): Result {
  return { ...r, signals: r.signals.filter((_, k) => k !== i), peaks: r.peaks.filter((_, k) => k !== i) };
}

describe('fftscan audit: lies', () => {
  const u = tonesUnit();
  const honest = run(u);
  const copy = (): Result => JSON.parse(JSON.stringify(honest));

  it('an invented hit (a huge score, its own block named) fails the audit of the blocks it must have', () => {
    const forged = copy();
    const fake = { ...forged.signals[0], snr: 1e6, frequencyHz: forged.signals[0].frequencyHz + 5000, detections: 1 };
    forged.signals.unshift(fake);
    forged.peaks.unshift(3);
    // Every detection belongs to one signal: an extra one with its own detection does not add up ...
    expect(fftscan.check!(u, forged)).toBe(false);
    // ... so the forger takes it from a real signal, and only the audit can tell.
    forged.signals[1] = { ...forged.signals[1], detections: forged.signals[1].detections - 1 };
    expect(fftscan.check!(u, forged)).toBe(true);
    expect(audit.mustCheck!(u, forged)).toContain(3);
    expect(disagreeing(u, forged, undefined, audit.mustCheck!(u, forged))).toContain(3);
  }, 60_000);

  it('an invented hit that names a block without one, or copies a real peak to another frequency, is caught', () => {
    const moved = copy();
    moved.signals[0] = { ...moved.signals[0], frequencyHz: moved.signals[0].frequencyHz + 3000 };
    expect(disagreeing(u, moved, undefined, audit.mustCheck!(u, moved))).toContain(moved.peaks[0]);
    const elsewhere = copy();
    elsewhere.peaks[0] = (elsewhere.peaks[0] + 8) % audit.blocks(u);
    expect(disagreeing(u, elsewhere, undefined, audit.mustCheck!(u, elsewhere))).toContain(elsewhere.peaks[0]);
  }, 60_000);

  it('a hidden hit (a signal left out, the digests kept) fails the audit of its block', () => {
    const hidden = copy();
    const block = hidden.peaks[1];
    hidden.signals.splice(1, 1);
    hidden.peaks.splice(1, 1);
    expect(fftscan.check!(u, hidden)).toBe(true);
    expect(disagreeing(u, hidden)).toContain(block);
  }, 60_000);

  it('an invented best-of names a block that is audited whatever the draw, and fails it', () => {
    const forged = copy();
    forged.best.spike = { ...forged.best.spike!, snr: forged.best.spike!.snr * 10, power: forged.best.spike!.power! * 10 };
    expect(fftscan.check!(u, forged)).toBe(true);
    const must = audit.mustCheck!(u, { ...forged, peaks: [] });
    expect(disagreeing(u, forged, undefined, must)).toEqual(must);
  }, 60_000);

  it("a kept signal's width inflated to cover a hidden one fails the audit of its own block", () => {
    const wide = hideTone(copy(), 1);
    wide.signals[0] = { ...wide.signals[0], bandwidthHz: 1e5, startS: 0, endS: 1e3 };
    expect(fftscan.check!(u, wide)).toBe(true);
    expect(disagreeing(u, wide, undefined, audit.mustCheck!(u, wide))).toContain(wide.peaks[0]);
  }, 60_000);

  it('a wrong score fails the audit of its block', () => {
    const scored = copy();
    scored.signals[0] = { ...scored.signals[0], snr: scored.signals[0].snr * 1.001 };
    expect(fftscan.check!(u, scored)).toBe(true);
    expect(disagreeing(u, scored, undefined, audit.mustCheck!(u, scored))).toEqual([scored.peaks[0]]);
  }, 60_000);

  it('counts that do not add up fail the check: dropped on a short list, detectionCount, work, block commitments', () => {
    expect(fftscan.check!(u, { ...copy(), dropped: 1 })).toBe(false);
    expect(fftscan.check!(u, { ...copy(), detectionCount: honest.detectionCount + 1 })).toBe(false);
    expect(fftscan.check!(u, { ...copy(), work: honest.work - 1 })).toBe(false);
    expect(fftscan.check!(u, { ...copy(), blocks: honest.blocks.slice(1) })).toBe(false);
    expect(fftscan.check!(u, { ...copy(), peaks: honest.peaks.map(() => audit.blocks(u)) })).toBe(false);
  });

  it('"nothing here" (well formed, empty blocks) passes the check but fails the full audit of a host on probation', () => {
    const nothing: Result = {
      ...copy(), signals: [], peaks: [], detections: [], best: {}, dropped: 0, detectionCount: 0, droppedDetections: 0,
      blocks: honest.blocks.map(() => ({ digest: EMPTY_BLOCK_DIGEST, detections: 0 })),
    };
    expect(fftscan.check!(u, nothing)).toBe(true);
    expect(audit.mustCheck!(u, nothing)).toEqual([]);
    // (Its best-ofs are gone too: a best spike it kept would name a block that must be audited.)
    const caught = disagreeing(u, nothing);
    expect(caught).toEqual(honest.blocks.flatMap((b, i) => (b.detections > 0 ? [i] : [])));
  }, 60_000);
});

describe("fftscan audit: SETI@home's detectors on windows of the reference unit", () => {
  const { bytes, units } = referenceUnits();
  const windows: Array<[string, number, number, number]> = [
    ['triplets and pulses', 128, 0, 3],
    ['Gaussians', 16384, 5472, 3],
  ];
  for (const [name, L, from, count] of windows) {
    it(`${name} (FFT ${L}, chirps ${from}..${from + count - 1}): every block agrees, detections and best-ofs included`, () => {
      const u = { ...units.find((x) => x.fftLength === L)!, chirpFrom: from, chirpCount: count };
      const r = run(u, bytes);
      expect(u.slices).toBeUndefined(); // power-over-time searches: a chirp is one block
      expect(auditBlocks(u)).toBe(count);
      expect(fftscan.check!(u, r)).toBe(true);
      expect(r.detections.length).toBeGreaterThan(0);
      expect(disagreeing(u, r, bytes)).toEqual([]);
      // A reported detection removed (its block's digest kept) is missed by that block's audit.
      const cut = JSON.parse(JSON.stringify(r)) as Result;
      const gone = cut.detections.shift()!;
      cut.droppedDetections++;
      expect(disagreeing(u, { ...cut, droppedDetections: 0, detectionCount: r.detectionCount - 1 }, bytes).length).toBeGreaterThan(0);
      expect(gone.type).toBeDefined();
    }, 120_000);
  }
});
