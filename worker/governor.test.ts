/**
 * The governor with injected sensors (an idle source the test moves) and a recording worker, on fake
 * timers: what it decides, how fast it notices, the duty cycle's rhythm, and live preference changes.
 */
import { afterEach, beforeEach, describe, expect, it, vi } from 'vitest';
import { FAST_POLL_MS, Governor, type Governed } from './governor.js';
import { DEFAULT_PREFERENCES, type Preferences } from './preferences.js';
import type { Sensors } from './sensors/index.js';

class Recorder implements Governed {
  holds: Array<{ at: number; reason: string | null; unload: boolean }> = [];
  rests: Array<{ at: number; resting: boolean }> = [];
  busy = true;
  hold(reason: string | null, opts: { unload?: boolean } = {}): void {
    this.holds.push({ at: Date.now(), reason, unload: !!opts.unload });
  }
  throttle(resting: boolean): void {
    const last = this.rests.at(-1);
    if (!last || last.resting !== resting) this.rests.push({ at: Date.now(), resting });
  }
  get reason(): string | null | undefined {
    return this.holds.at(-1)?.reason;
  }
}

function sensors(over: Partial<{ idleS: number | null; battery: boolean; tempC: number; cpu: number; memory: number }> = {}) {
  const s = { idleS: 1e6 as number | null, battery: false, tempC: 40, cpu: 0, memory: 2 ** 28, ...over };
  const api: Sensors = {
    idle: { name: 'test idle source', idleSeconds: async () => s.idleS },
    onBattery: async () => s.battery,
    temperatureC: async () => s.tempC,
    otherCpu: () => s.cpu,
    memoryBytes: () => s.memory,
    totalMemoryBytes: 2 ** 33,
    describe: () => ({ idle: 'test idle source' }),
  };
  return { s, api };
}

let prefs: Preferences;
let gov: Governor | undefined;
beforeEach(() => {
  vi.useFakeTimers({ now: new Date(2025, 5, 1, 12, 0) });
  prefs = { ...DEFAULT_PREFERENCES };
});
afterEach(() => {
  gov?.stop();
  vi.useRealTimers();
});

describe('governor', () => {
  it('decides before anything computes, then stops within one fast poll of the user coming back', async () => {
    const w = new Recorder();
    const { s, api } = sensors();
    prefs.idleOnly = true;
    gov = new Governor(w, () => prefs, api);
    await gov.start();
    expect(w.reason).toBeNull();
    s.idleS = 0;
    const t0 = Date.now();
    await vi.advanceTimersByTimeAsync(FAST_POLL_MS);
    expect(w.reason).toMatch(/^user active/);
    expect(w.holds.at(-1)!.at - t0).toBeLessThanOrEqual(FAST_POLL_MS);
    // Idle again: computing resumes (after idleAfterMinutes without input).
    s.idleS = 3 * 60;
    await vi.advanceTimersByTimeAsync(1000);
    expect(w.reason).toBeNull();
    expect(gov.status().sensors.idle).toBe('test idle source');
  });

  it('a pause asked for by the user outranks everything and lasts until resumed', async () => {
    const w = new Recorder();
    gov = new Governor(w, () => prefs, sensors().api);
    await gov.start();
    gov.pauseByUser();
    await vi.advanceTimersByTimeAsync(10);
    expect(w.reason).toBe('by request (idlegrid ctl pause)');
    await vi.advanceTimersByTimeAsync(5000);
    expect(w.reason).toBe('by request (idlegrid ctl pause)');
    gov.resumeByUser();
    await vi.advanceTimersByTimeAsync(10);
    expect(w.reason).toBeNull();
  });

  it('battery, and memory (which also unloads the units so their memory is returned)', async () => {
    const w = new Recorder();
    const { s, api } = sensors({ battery: true });
    gov = new Governor(w, () => prefs, api);
    await gov.start();
    expect(w.reason).toBe('on battery');
    s.battery = false;
    s.memory = 2 ** 33;
    await vi.advanceTimersByTimeAsync(5000);
    expect(w.holds.at(-1)).toMatchObject({ unload: true });
    expect(w.reason).toMatch(/over its 90% cap \(7\.2 GB\) while idle/);
  });

  it('CPU-time cap 75%: 3 s computing, 1 s resting, while allowed; none while paused', async () => {
    const w = new Recorder();
    prefs.cpuTimePercent = 75;
    gov = new Governor(w, () => prefs, sensors().api);
    const t0 = Date.now();
    await gov.start();
    await vi.advanceTimersByTimeAsync(8000);
    expect(w.rests.map((r) => [r.at - t0, r.resting])).toEqual([[0, false], [3000, true], [4000, false], [7000, true], [8000, false]]);
    gov.pauseByUser();
    await vi.advanceTimersByTimeAsync(2500);
    expect(w.rests.at(-1)!.resting).toBe(false);
  });

  it('a preference change takes effect when poked, without waiting for the next poll', async () => {
    const w = new Recorder();
    const { api } = sensors({ idleS: 5 });
    gov = new Governor(w, () => prefs, api);
    await gov.start();
    expect(w.reason).toBeNull();
    prefs = { ...prefs, idleOnly: true };
    gov.poke();
    await vi.advanceTimersByTimeAsync(1);
    expect(w.reason).toMatch(/^user active/);
  });
});
