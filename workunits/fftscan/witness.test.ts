/**
 * A block's commitment depends on every spectrum it computed (block-digest.ts, the witness), so a host
 * cannot leave out a block it bets holds nothing: on noise alone, where no block detects anything, every
 * block still commits to something only its computation gives, and a skipped block fails its audit.
 */
import { describe, expect, it } from 'vitest';
import type { Kernel } from '../kind.js';
import { EMPTY_BLOCK_DIGEST } from './block-digest.js';
import kernelDefault from './kernel.js';
import fftscan from './kind.js';
import type { Result, UnitSpec } from './params.js';

const kernel = kernelDefault as Kernel<UnitSpec, unknown, Result>;
const audit = fftscan.audit!;

function run(u: UnitSpec): Result {
  const s = kernel.init(u, undefined);
  while (!kernel.step(s, 5));
  return kernel.result(s);
}

function noiseUnit(seed: number): UnitSpec {
  const p = fftscan.params.parse({
    source: { format: 'synthetic', seed, sampleRateHz: 16384, centreFrequencyHz: 1e9, sampleCount: 1 << 17, signals: [] },
    fftSize: 4096, maxDrift: 1,
  });
  const plan = fftscan.plan(p);
  if (!plan.ok) throw new Error(plan.error.message);
  return fftscan.unit(p, plan.value, 0);
}

describe('fftscan block witness', () => {
  const u = noiseUnit(11);
  const honest = run(u);
  const n = audit.blocks(u);

  it('on noise alone no block detects anything, yet every block commits to a digest of its own', () => {
    expect(n).toBeGreaterThan(2);
    expect(honest.blocks.every((b) => b.detections === 0)).toBe(true);
    const digests = honest.blocks.map((b) => b.digest);
    expect(new Set(digests).size).toBe(n);
    expect(digests).not.toContain(EMPTY_BLOCK_DIGEST);
    // Another recording of the same shape commits to other digests: the data, not the layout, decides.
    expect(run(noiseUnit(12)).blocks.map((b) => b.digest)).not.toEqual(digests);
  });

  it('a host that skips a block and sends a digest it did not compute is caught by the audit of that block', () => {
    for (const guess of [EMPTY_BLOCK_DIGEST, honest.blocks[0].digest]) {
      const skipped: Result = { ...honest, blocks: honest.blocks.map((b, i) => (i === 1 ? { ...b, digest: guess } : b)) };
      expect(fftscan.check!(u, skipped)).toBe(true);
      const failed = [...Array(n).keys()].filter((b) => !audit.agrees(u, b, skipped, run(audit.blockUnit(u, b))));
      expect(failed).toEqual([1]);
    }
  });

  it('a block recomputed alone, and a unit resumed from a checkpoint, commit to the same witness', () => {
    for (let b = 0; b < n; b++) expect(audit.agrees(u, b, honest, run(audit.blockUnit(u, b)))).toBe(true);
    let s = kernel.init(u, undefined);
    for (let i = 0; i < 7; i++) kernel.step(s, 3);
    s = kernel.init(u, undefined, JSON.parse(JSON.stringify(kernel.checkpoint(s))));
    while (!kernel.step(s, 4));
    expect(kernel.result(s).blocks).toEqual(honest.blocks);
  });
});
