import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { dutyPhases, dutyState } from './duty-cycle.js';

describe('duty cycle (CPU time cap)', () => {
  it('75% is 3 s on, 1 s off; 25% is 1 s on, 3 s off; 100% never rests', () => {
    expect(dutyPhases(75)).toEqual({ onMs: 3000, offMs: 1000 });
    expect(dutyPhases(50)).toEqual({ onMs: 1000, offMs: 1000 });
    expect(dutyPhases(25)).toEqual({ onMs: 1000, offMs: 3000 });
    expect(dutyPhases(100)).toBeNull();
    expect(dutyState(75, 0, 2999)).toEqual({ on: true, leftMs: 1 });
    expect(dutyState(75, 0, 3000)).toEqual({ on: false, leftMs: 1000 });
    expect(dutyState(75, 0, 4000)).toEqual({ on: true, leftMs: 3000 });
    expect(dutyState(100, 0, 123456).on).toBe(true);
  });

  it('(property) the share of time on equals the percentage, and no phase is shorter than a second', () => {
    fc.assert(fc.property(fc.integer({ min: 1, max: 99 }), (pct) => {
      const p = dutyPhases(pct)!;
      expect(Math.min(p.onMs, p.offMs)).toBeGreaterThanOrEqual(1000);
      expect(p.onMs / (p.onMs + p.offMs)).toBeCloseTo(pct / 100, 3);
    }));
  });
});
