/**
 * A real recording with a strong carrier (the SigMF logo, test/fixtures): its leakage, grouped over a
 * whole unit, makes a signal far wider than any one block shows, and an honest result must still agree
 * with every block's recomputation. (A width bound of 3x the peak block's once failed honest hosts here.)
 */
import { createHash } from 'node:crypto';
import { describe, expect, it } from 'vitest';
import { fixturePath, readFixture } from '../../test/helpers/fixtures.js';
import type { Kernel } from '../kind.js';
import kernelDefault from './kernel.js';
import fftscan from './kind.js';
import type { Result, UnitSpec } from './params.js';
import { parseSigmfMeta } from './sigmf.js';
import { readFileSync } from 'node:fs';

const kernel = kernelDefault as Kernel<UnitSpec, unknown, Result>;

describe('fftscan audit on a recording with a strong carrier', () => {
  it('every block of every unit of an honest result agrees', () => {
    const data = readFixture('sigmf_logo.sigmf-data');
    const meta = parseSigmfMeta(readFileSync(fixturePath('sigmf_logo.sigmf-meta'), 'utf8'));
    const source = {
      format: 'sigmf', sha256: createHash('sha256').update(data).digest('hex'), datatype: meta.datatype, dataOffset: 0,
      numChannels: meta.numChannels, channel: 0, sampleRateHz: meta.sampleRate, centreFrequencyHz: meta.centerFrequencyHz,
      sampleCount: Math.floor(data.length / (meta.bytesPerSample * meta.numChannels)),
    };
    const p = fftscan.params.parse({ source, maxDrift: 20, opsPerUnit: 3e7 });
    const plan = fftscan.plan(p);
    if (!plan.ok) throw new Error(plan.error.message);
    const run = (spec: UnitSpec): Result => {
      const ref = fftscan.input!(p, spec)!;
      const s = kernel.init(spec, data.subarray(ref.offset, ref.offset + ref.length));
      while (!kernel.step(s, 50));
      return kernel.result(s);
    };
    const audit = fftscan.audit!;
    let widest = 0;
    for (let i = 0; i < plan.value.unitsTotal; i++) {
      const u = fftscan.unit(p, plan.value, i);
      const r = run(u);
      expect(fftscan.check!(u, r)).toBe(true);
      widest = Math.max(widest, ...r.signals.map((s) => s.bandwidthHz));
      const failed = [...Array(audit.blocks(u)).keys()].filter((b) => !audit.agrees(u, b, r, run(audit.blockUnit(u, b))));
      expect(failed, `unit ${i}`).toEqual([]);
    }
    expect(widest).toBeGreaterThan(500); // the case this guards: a unit-level signal hundreds of Hz wide
  }, 120_000);
});
