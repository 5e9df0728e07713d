/**
 * The governor decides, several times a second, whether the worker may compute: it reads the sensors,
 * asks the policy, adds a pause asked for through `idlegrid ctl pause`, and runs the duty cycle of the
 * CPU-time cap. While units run under "idle only" it polls the idle source every 250 ms, so with 100 ms
 * kernel slices the threads stop well within a second of the user's first keystroke.
 */
import { EventEmitter } from 'node:events';
import { dutyState } from './duty-cycle.js';
import { Policy, type Decision } from './policy.js';
import type { Preferences } from './preferences.js';
import type { Sensors } from './sensors/index.js';

/** What the governor drives: the worker. */
export interface Governed {
  /** Stop computing with a reason (null: compute). `unload` also checkpoints running units and frees them. */
  hold(reason: string | null, opts?: { unload?: boolean }): void;
  /** The duty cycle's rest phase: pause the threads without changing the state the user sees. */
  throttle(resting: boolean): void;
  /** Units are in hand, so a change of conditions matters at once. */
  readonly busy: boolean;
}

export const FAST_POLL_MS = 250;
export const SLOW_POLL_MS = 1_000;
const SLOW_SENSORS_MS = 5_000;

export interface GovernorStatus {
  manualPause: boolean;
  decision: Decision;
  readings: { idleS: number | null; onBattery: boolean | null; tempC: number | null; otherCpu: number | null; memoryBytes: number };
  sensors: Record<string, string>;
}

export class Governor extends EventEmitter<{ decision: [Decision] }> {
  private readonly policy = new Policy();
  private timer?: NodeJS.Timeout;
  private dutyTimer?: NodeJS.Timeout;
  private dutyStart = 0;
  private running = false;
  private ticking = false;
  private again = false;
  private manual = false;
  private applied: string | null | undefined;
  private lastCpu = 0;
  private lastSlow = -Infinity;
  private readings: GovernorStatus['readings'] = { idleS: null, onBattery: null, tempC: null, otherCpu: null, memoryBytes: 0 };
  decision: Decision = { run: true, reason: null, condition: null, inUse: true };

  constructor(
    private readonly worker: Governed,
    private readonly prefs: () => Preferences,
    private readonly sensors: Sensors,
    private readonly clock: () => number = Date.now,
  ) {
    super();
  }

  /** Decide once now (so nothing computes before the first decision), then keep deciding. */
  async start(): Promise<void> {
    this.running = true;
    await this.tick();
  }

  stop(): void {
    this.running = false;
    clearTimeout(this.timer);
    clearTimeout(this.dutyTimer);
    this.sensors.idle.close?.();
  }

  /** Re-decide now: preferences changed, or a pause was asked for. */
  poke(): void {
    if (this.running) void this.tick();
  }

  pauseByUser(): void {
    this.manual = true;
    this.poke();
  }

  resumeByUser(): void {
    this.manual = false;
    this.poke();
  }

  status(): GovernorStatus {
    return { manualPause: this.manual, decision: this.decision, readings: { ...this.readings }, sensors: this.sensors.describe() };
  }

  private async tick(): Promise<void> {
    // One tick at a time; a poke during a tick runs another right after it.
    if (this.ticking) {
      this.again = true;
      return;
    }
    this.ticking = true;
    clearTimeout(this.timer);
    try {
      await this.read();
      this.apply();
    } finally {
      this.ticking = false;
    }
    if (!this.running) return;
    if (this.again) {
      this.again = false;
      return this.tick();
    }
    const p = this.prefs();
    const fast = p.idleOnly && this.decision.run && this.worker.busy;
    this.timer = setTimeout(() => void this.tick(), fast ? FAST_POLL_MS : SLOW_POLL_MS);
    this.timer.unref();
  }

  private async read(): Promise<void> {
    const now = this.clock();
    const p = this.prefs();
    const r = this.readings;
    r.idleS = await this.sensors.idle.idleSeconds();
    r.memoryBytes = this.sensors.memoryBytes();
    if (now - this.lastCpu >= 1_000) {
      this.lastCpu = now;
      const cpu = this.sensors.otherCpu();
      if (cpu !== null) this.policy.observeCpu(cpu, now, p);
      r.otherCpu = this.policy.otherCpu;
    }
    if (now - this.lastSlow >= SLOW_SENSORS_MS) {
      this.lastSlow = now;
      [r.onBattery, r.tempC] = await Promise.all([this.sensors.onBattery(), this.sensors.temperatureC()]);
    }
  }

  private apply(): void {
    const p = this.prefs();
    const d = this.policy.evaluate(p, { ...this.readings, now: this.clock(), totalMemoryBytes: this.sensors.totalMemoryBytes, idleSourceName: this.sensors.idle.name });
    const reason = this.manual ? 'by request (idlegrid ctl pause)' : d.reason;
    this.decision = { ...d, run: !this.manual && d.run, reason };
    if (reason !== this.applied) {
      const wasRunning = this.applied === null;
      this.applied = reason;
      this.worker.hold(reason, { unload: d.condition === 'memory' && !this.manual });
      if (reason === null && !wasRunning) this.dutyStart = this.clock();
      this.emit('decision', this.decision);
    }
    this.duty(p.cpuTimePercent);
  }

  /** Run the CPU-time cap's cycle while computing is allowed; timers land on the phase boundaries. */
  private duty(percent: number): void {
    clearTimeout(this.dutyTimer);
    if (this.applied !== null || percent >= 100) {
      this.worker.throttle(false);
      return;
    }
    const s = dutyState(percent, this.dutyStart, this.clock());
    this.worker.throttle(!s.on);
    this.dutyTimer = setTimeout(() => this.duty(this.prefs().cpuTimePercent), s.leftMs);
    this.dutyTimer.unref();
  }
}
