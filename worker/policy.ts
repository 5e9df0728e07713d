/**
 * When the preferences allow computing: a pure function of the readings and a little remembered state
 * (the hysteresis of the CPU-use, temperature and memory conditions), so it is tested with a synthetic
 * clock and readings. The governor feeds it; it never reads the machine itself.
 */
import type { Preferences } from './preferences.js';
import { insideWindows, parseWindows } from './windows.js';

export interface Readings {
  /** Epoch ms: the local time of day decides the hours windows. */
  now: number;
  idleS: number | null;
  onBattery: boolean | null;
  tempC: number | null;
  memoryBytes: number;
  totalMemoryBytes: number;
  /** Which idle source answered, to say so when it cannot tell. */
  idleSourceName?: string;
}

export type Condition = 'hours' | 'battery' | 'temperature' | 'user' | 'cpu' | 'memory';

export interface Decision {
  run: boolean;
  /**
   * Why not, in words for the terminal, the logs and the dashboard ("user active ..."). It names the
   * condition and the way out but no live reading, so it changes only when the decision does.
   */
  reason: string | null;
  condition: Condition | null;
  /** Someone used the machine within idleAfterMinutes (or we cannot tell): the smaller memory cap applies. */
  inUse: boolean;
}

/** Other programs' CPU use is judged on the mean of this many one-second samples. */
export const CPU_WINDOW = 3;
/** After a CPU-use pause, their use must stay low this long before computing resumes. */
export const CPU_CALM_MS = 15_000;
/** Degrees below maxTempC at which computing resumes. */
export const TEMP_HYSTERESIS_C = 10;
/** A memory pause ends once the worker is back under this share of the cap. */
export const MEMORY_RESUME = 0.9;

const gb = (b: number): string => `${(b / 2 ** 30).toFixed(b < 2 ** 30 ? 2 : 1)} GB`;

export class Policy {
  private cpuSamples: number[] = [];
  private cpuBusy = false;
  private calmSince: number | null = null;
  private hot = false;
  private memoryHigh = false;

  /** The resume threshold: 10 points under the pause threshold, or half of it for thresholds under 20%. */
  static cpuResumeAt(threshold: number): number {
    return Math.max(threshold - 0.1, threshold / 2);
  }

  /** A new one-second sample of other programs' CPU share (0..1). */
  observeCpu(fraction: number, now: number, prefs: Preferences): void {
    this.cpuSamples.push(fraction);
    if (this.cpuSamples.length > CPU_WINDOW) this.cpuSamples.shift();
    const limit = prefs.suspendCpuPercent / 100;
    if (limit === 0) {
      this.cpuBusy = false;
      return;
    }
    const mean = this.cpuSamples.reduce((a, b) => a + b, 0) / this.cpuSamples.length;
    if (!this.cpuBusy) {
      if (mean > limit) {
        this.cpuBusy = true;
        this.calmSince = null;
      }
      return;
    }
    if (fraction < Policy.cpuResumeAt(limit)) {
      this.calmSince ??= now;
      if (now - this.calmSince >= CPU_CALM_MS) this.cpuBusy = false;
    } else this.calmSince = null;
  }

  /** The last CPU-use mean, for the status line. */
  get otherCpu(): number | null {
    return this.cpuSamples.length ? this.cpuSamples.reduce((a, b) => a + b, 0) / this.cpuSamples.length : null;
  }

  evaluate(p: Preferences, r: Readings): Decision {
    const inUse = r.idleS === null || r.idleS < p.idleAfterMinutes * 60;
    const no = (condition: Condition, reason: string): Decision => ({ run: false, reason, condition, inUse });

    const windows = parseWindows(p.hours);
    if (windows.ok && !insideWindows(windows.windows, new Date(r.now))) return no('hours', `outside computing hours (${p.hours})`);

    if (p.suspendOnBattery && r.onBattery === true) return no('battery', 'on battery');

    if (p.maxTempC === 0 || r.tempC === null) this.hot = false;
    else if (r.tempC >= p.maxTempC) this.hot = true;
    else if (r.tempC <= p.maxTempC - TEMP_HYSTERESIS_C) this.hot = false;
    if (this.hot) return no('temperature', `CPU reached ${p.maxTempC} C (resumes at ${p.maxTempC - TEMP_HYSTERESIS_C} C)`);

    if (p.idleOnly) {
      if (r.idleS === null) return no('user', `cannot tell whether someone uses this machine (idle source: ${r.idleSourceName ?? 'none'})`);
      if (inUse) return no('user', `user active (computing starts after ${p.idleAfterMinutes} min without input)`);
    }

    if (this.cpuBusy) {
      return no('cpu', `other programs use more than ${p.suspendCpuPercent}% CPU (resumes once under ${Math.round(Policy.cpuResumeAt(p.suspendCpuPercent / 100) * 100)}% for ${CPU_CALM_MS / 1000} s)`);
    }

    const share = inUse ? p.memoryInUsePercent : p.memoryIdlePercent;
    const cap = (share / 100) * r.totalMemoryBytes;
    if (r.memoryBytes > cap) this.memoryHigh = true;
    else if (r.memoryBytes < cap * MEMORY_RESUME) this.memoryHigh = false;
    if (this.memoryHigh) return no('memory', `worker's memory over its ${share}% cap (${gb(cap)}) while ${inUse ? 'in use' : 'idle'}`);

    return { run: true, reason: null, condition: null, inUse };
  }
}
