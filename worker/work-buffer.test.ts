import { describe, expect, it } from 'vitest';
import { secondsInHand, unitsToRequest, updateRate, type BufferState } from './work-buffer.js';

const NOW = 1_000_000;
const unit = (ops: number, fraction = 0, deadlineS = 3600) => ({ kind: 'k', ops, fraction, deadline: NOW + deadlineS * 1000 });
const state = (s: Partial<BufferState>): BufferState => ({ threads: 2, bufferUnits: 2, bufferMinutes: 10, held: [], rates: {}, now: NOW, ...s });

describe('work buffer', () => {
  it('with nothing measured yet, keeps one unit per thread plus the floor', () => {
    expect(unitsToRequest(state({}))).toBe(4);
    expect(unitsToRequest(state({ held: [unit(100), unit(100), unit(100)] }))).toBe(1);
    expect(unitsToRequest(state({ held: Array.from({ length: 6 }, () => unit(100)) }))).toBe(0);
  });

  it('asks for enough units to hold bufferMinutes of work at the measured speed', () => {
    // 60 s units (6e9 ops at 1e8 ops/s), 2 threads, 4 held = 120 s in hand; 10 min wants 480 s more = 16 units.
    const held = Array.from({ length: 4 }, () => unit(6e9));
    expect(secondsInHand({ held, rates: { k: 1e8 }, threads: 2 })).toBe(120);
    expect(unitsToRequest(state({ held, rates: { k: 1e8 } }))).toBe(16);
    // Work already done counts: two half-finished units need half the time.
    expect(secondsInHand({ held: [unit(6e9, 0.5), unit(6e9, 0.5)], rates: { k: 1e8 }, threads: 2 })).toBe(30);
  });

  it('never holds more than half the time to the nearest deadline, nor more than 64 per request', () => {
    const held = Array.from({ length: 4 }, () => unit(6e9, 0, 300));
    // Deadline in 300 s: target 150 s; 120 s in hand -> 30 s more = 1 unit (but the floor already asks 0).
    expect(unitsToRequest(state({ held, rates: { k: 1e8 } }))).toBe(1);
    expect(unitsToRequest(state({ held: [unit(1e6)], rates: { k: 1e8 }, bufferMinutes: 600 }))).toBe(64);
  });

  it('speed estimates move gradually', () => {
    expect(updateRate(undefined, 100)).toBe(100);
    expect(updateRate(100, 200)).toBe(130);
  });
});
