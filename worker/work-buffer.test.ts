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
    // Deadline in 300 s: target 150 s; 120 s in hand -> 30 s more = 1 unit: with two units spare, it
    // waits for a bigger step. With none spare (60 s in hand) it asks at once for 90 s, 3 units.
    expect(unitsToRequest(state({ held, rates: { k: 1e8 } }))).toBe(0);
    expect(unitsToRequest(state({ held: held.slice(0, 2), rates: { k: 1e8 } }))).toBe(3);
    expect(unitsToRequest(state({ held: [unit(1e6)], rates: { k: 1e8 }, bufferMinutes: 600 }))).toBe(64);
  });

  /**
   * A worker in its steady state: each time a thread finishes a unit, it takes the next one waiting and
   * asks for what unitsToRequest says; answers come at once. Returns the request sizes and the fewest
   * units it held just before a thread took its next one.
   */
  function steady(threads: number, unitS: number, finishes: number) {
    const s = state({ threads, rates: { k: 1e8 }, held: [] });
    const requests: number[] = [];
    const top = () => {
      const n = unitsToRequest(s);
      if (n > 0) requests.push(n);
      for (let i = 0; i < n; i++) s.held.push(unit(unitS * 1e8, 0, 3600));
    };
    top();
    let fewest = Infinity;
    for (let f = 0; f < finishes; f++) {
      s.held.shift();
      fewest = Math.min(fewest, s.held.length);
      top();
    }
    return { requests: requests.slice(1), fewest };
  }

  it('asks for work in steps: a buffer of many short units a quarter at a time, and no thread ever waits', () => {
    // 16 threads, 1-minute units, 10 minutes of buffer: 160 units in hand. One request per finished unit
    // before; now one per 40.
    const short = steady(16, 60, 400);
    expect(short.requests.length).toBeLessThanOrEqual(12);
    expect(Math.min(...short.requests)).toBeGreaterThanOrEqual(40);
    expect(short.fewest).toBeGreaterThanOrEqual(16);
    // 10-minute units: the buffer is the floor (a unit per thread and 2 more), asked for a unit or two at
    // a time as before, and a thread still finds its next unit waiting.
    const long = steady(16, 600, 100);
    expect(Math.max(...long.requests)).toBeLessThanOrEqual(2);
    expect(long.fewest).toBeGreaterThanOrEqual(16);
  });

  it('speed estimates move gradually', () => {
    expect(updateRate(undefined, 100)).toBe(100);
    expect(updateRate(100, 200)).toBe(130);
  });
});
