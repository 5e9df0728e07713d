/**
 * The SETI@home reference work unit (test/fixtures) planned with its own analysis config, and every unit
 * of that plan: what tests that run windows of the reference analysis start from.
 */
import fftscan from '../../workunits/fftscan/kind.js';
import type { BasebandUnit } from '../../workunits/fftscan/params.js';
import { sahSource } from '../../workunits/fftscan/sah.js';
import { readFixture } from './fixtures.js';

export function referenceUnits() {
  const bytes = readFixture('seti_reference_work_unit.sah');
  const src = sahSource(bytes, 'a'.repeat(64));
  const p = fftscan.params.parse({ source: src });
  const planned = fftscan.plan(p);
  if (!planned.ok) throw new Error(planned.error.message);
  const units = Array.from({ length: planned.value.unitsTotal }, (_, i) => fftscan.unit(p, planned.value, i) as BasebandUnit);
  return { bytes, src, p, plan: planned.value, units };
}
