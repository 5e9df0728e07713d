/** The compute pool with real threads: a kernel's failure comes back as a value with the kind's own code. */
import { afterAll, describe, expect, it } from 'vitest';
import fftscan from '../workunits/fftscan/kind.js';
import { ComputePool } from './pool.js';

const pool = new ComputePool(1);
afterAll(() => pool.destroy());

describe('compute pool', () => {
  it('a kernel that throws gives a failed outcome carrying its code (an Error crossing a thread loses it)', async () => {
    // A SETI@home-format unit with no input bytes: the fftscan kernel refuses it with FFTSCAN_INPUT.
    const params = fftscan.params.parse({
      source: { format: 'sah', sha256: '0'.repeat(64), byteLength: 1000, sampleRateHz: 9765.625, centreFrequencyHz: 1.42e9, sampleCount: 1 << 20 },
      fftSize: 8192,
      maxDrift: 0,
    });
    const plan = fftscan.plan(params);
    if (!plan.ok) throw new Error(plan.error.message);
    const spec = fftscan.unit(params, plan.value, 0);
    const outcome = await pool.run({ kernelModule: fftscan.kernelModule, spec }, () => {}).outcome;
    expect(outcome).toEqual({ status: 'failed', error: { code: 'FFTSCAN_INPUT', message: 'a sah unit needs its input bytes' } });
  });
});
