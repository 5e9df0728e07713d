/**
 * What the audit costs an honest job after probation, in operations (deterministic, so a test and not a
 * benchmark): per result, every block holding a signal or a best-of plus `audit` = 2 random blocks, as a share of
 * one computation of the unit. The expectation over the random draw is exact: a block that is not
 * forced is drawn with probability k / n. Issue 14's goal is at most 1.25x one computation.
 */
import { describe, expect, it } from 'vitest';
import { runFftscanJob } from '../../test/helpers/fftscan-job.js';
import { TONES, TONES_CENTRE_HZ, TONES_RATE } from '../../test/helpers/tones.js';
import fftscan from './kind.js';
import { unitOps } from './params.js';

const K = 2; // the default policy's audit

async function auditCost(params: unknown): Promise<{ ratio: number; forced: number; blocks: number }> {
  const { p, plan, results } = await runFftscanJob(params, undefined, 1000);
  const audit = fftscan.audit!;
  let unitTotal = 0, audited = 0, forced = 0, blocks = 0;
  for (const { index, result } of results) {
    const u = fftscan.unit(p, plan, index);
    const n = audit.blocks(u), must = new Set(audit.mustCheck!(u, result));
    unitTotal += unitOps(u);
    for (let b = 0; b < n; b++) audited += unitOps(audit.blockUnit(u, b)) * (must.has(b) ? 1 : Math.min(K, n) / n);
    forced += must.size;
    blocks += n;
  }
  return { ratio: 1 + audited / unitTotal, forced, blocks };
}

describe('the audit of an honest fftscan job after probation costs at most 1.25x one computation', () => {
  it("issue 15's three tones (64 s, --fft-size 65536 --max-drift 4)", async () => {
    const c = await auditCost({
      source: { format: 'synthetic', seed: 15, sampleRateHz: TONES_RATE, centreFrequencyHz: TONES_CENTRE_HZ, sampleCount: TONES_RATE * 64, signals: TONES },
      fftSize: 65536, maxDrift: 4,
    });
    console.log(`fftscan audit cost, three tones: ${c.ratio.toFixed(3)}x (${c.forced} forced of ${c.blocks} blocks)`);
    expect(c.forced).toBeGreaterThanOrEqual(3);
    expect(c.ratio).toBeLessThanOrEqual(1.25);
  }, 300_000);

  it("noise alone (the usual unit: no signal; the random blocks and the best spike's)", async () => {
    const c = await auditCost({
      source: { format: 'synthetic', seed: 8, sampleRateHz: 65536, centreFrequencyHz: 1e9, sampleCount: 65536 * 32, signals: [] },
      fftSize: 65536, maxDrift: 4,
    });
    console.log(`fftscan audit cost, noise: ${c.ratio.toFixed(3)}x (${c.forced} forced of ${c.blocks} blocks)`);
    expect(c.forced).toBe(1);
    expect(c.ratio).toBeLessThanOrEqual(1.1);
  }, 300_000);
});
