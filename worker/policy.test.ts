/** The policy: every condition, the hysteresis of CPU use and temperature, with a synthetic clock. */
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { CPU_CALM_MS, CPU_WINDOW, Policy, type Readings } from './policy.js';
import { DEFAULT_PREFERENCES, type Preferences } from './preferences.js';

const GB = 2 ** 30;
const NOON = new Date(2025, 5, 1, 12, 0).getTime();
const prefs = (p: Partial<Preferences> = {}): Preferences => ({ ...DEFAULT_PREFERENCES, ...p });
const readings = (r: Partial<Readings> = {}): Readings => ({ now: NOON, idleS: 1e6, onBattery: false, tempC: 50, memoryBytes: 0.1 * GB, totalMemoryBytes: 8 * GB, ...r });

describe('policy', () => {
  it('computes when nothing stands in the way', () => {
    expect(new Policy().evaluate(prefs(), readings())).toMatchObject({ run: true, reason: null });
  });

  it('pauses for each condition with a reason a person understands', () => {
    const cases: Array<[Partial<Preferences>, Partial<Readings>, string, RegExp]> = [
      [{ hours: '22:00-07:00' }, {}, 'hours', /outside computing hours \(22:00-07:00\)/],
      [{}, { onBattery: true }, 'battery', /^on battery$/],
      [{ maxTempC: 80 }, { tempC: 85 }, 'temperature', /CPU reached 80 C \(resumes at 70 C\)/],
      [{ idleOnly: true }, { idleS: 12 }, 'user', /^user active \(computing starts after 3 min without input\)$/],
      [{ idleOnly: true }, { idleS: null, idleSourceName: 'none answered' }, 'user', /cannot tell whether someone uses this machine \(idle source: none answered\)/],
      [{}, { memoryBytes: 5 * GB, idleS: 5 }, 'memory', /worker's memory over its 50% cap \(4\.0 GB\) while in use/],
    ];
    for (const [p, r, condition, re] of cases) {
      const d = new Policy().evaluate(prefs(p), readings(r));
      expect(d.run, condition).toBe(false);
      expect(d.condition).toBe(condition);
      expect(d.reason).toMatch(re);
    }
  });

  it('honours the off switches: battery allowed, no temperature limit, no CPU limit, not idle-only', () => {
    const p = new Policy();
    expect(p.evaluate(prefs({ suspendOnBattery: false }), readings({ onBattery: true })).run).toBe(true);
    expect(p.evaluate(prefs({ maxTempC: 0 }), readings({ tempC: 140 })).run).toBe(true);
    expect(p.evaluate(prefs({ idleOnly: false }), readings({ idleS: 0 })).run).toBe(true);
    for (let i = 0; i < 5; i++) p.observeCpu(1, NOON + i * 1000, prefs({ suspendCpuPercent: 0 }));
    expect(p.evaluate(prefs({ suspendCpuPercent: 0 }), readings()).run).toBe(true);
  });

  it('the memory cap is the in-use share while someone is at the machine and the idle share otherwise', () => {
    const p = new Policy();
    const r = { memoryBytes: 6 * GB, totalMemoryBytes: 8 * GB };
    expect(p.evaluate(prefs(), readings({ ...r, idleS: 10 })).condition).toBe('memory');
    expect(p.evaluate(prefs(), readings({ ...r, idleS: 600 })).run).toBe(true);
  });

  it('temperature: pauses at the limit, stays paused until 10 degrees below it', () => {
    const p = new Policy();
    const at = (t: number) => p.evaluate(prefs({ maxTempC: 80 }), readings({ tempC: t })).run;
    expect(at(79)).toBe(true);
    expect(at(80)).toBe(false);
    expect(at(75)).toBe(false);
    expect(at(71)).toBe(false);
    expect(at(70)).toBe(true);
    expect(at(75)).toBe(true);
  });

  it('CPU use: pauses on the mean of the last samples; resumes only after 15 s under the lower mark', () => {
    const p = new Policy();
    const pr = prefs({ suspendCpuPercent: 25 });
    let t = NOON;
    const feed = (f: number) => {
      p.observeCpu(f, (t += 1000), pr);
      return p.evaluate(pr, readings({ now: t }));
    };
    // One spike does not pause: the mean of three samples decides.
    for (const f of [0.1, 0.1, 0.1, 0.5, 0.1, 0.1, 0.4]) expect(feed(f).run).toBe(true);
    const paused = feed(0.4);
    expect(paused.run).toBe(false);
    expect(paused.reason).toMatch(/^other programs use more than 25% CPU \(resumes once under 15% for 15 s\)$/);
    // Under 25% but not under 15%: still paused.
    for (let i = 0; i < 30; i++) expect(feed(0.2).run).toBe(false);
    // Under 15%, but interrupted before 15 s: the calm period starts again.
    for (let i = 0; i < 10; i++) expect(feed(0.05).run).toBe(false);
    expect(feed(0.2).run).toBe(false);
    for (let i = 0; i < CPU_CALM_MS / 1000; i++) expect(feed(0.05).run).toBe(false);
    expect(feed(0.05).run).toBe(true);
  });

  it('CPU use (property): never resumes unless every sample of the last 15 s was under the lower mark', () => {
    fc.assert(fc.property(fc.array(fc.double({ min: 0, max: 1, noNaN: true }), { minLength: 1, maxLength: 120 }), fc.integer({ min: 5, max: 90 }), (samples, limitPct) => {
      const p = new Policy();
      const pr = prefs({ suspendCpuPercent: limitPct });
      const low = Policy.cpuResumeAt(limitPct / 100);
      let paused = false;
      samples.forEach((f, i) => {
        p.observeCpu(f, NOON + i * 1000, pr);
        const run = p.evaluate(pr, readings({ now: NOON + i * 1000 })).run;
        if (paused && run) {
          const calm = samples.slice(Math.max(0, i - CPU_CALM_MS / 1000), i + 1);
          expect(calm.length).toBe(CPU_CALM_MS / 1000 + 1);
          expect(calm.every((x) => x < low)).toBe(true);
        }
        if (!paused && !run) {
          const recent = samples.slice(Math.max(0, i - CPU_WINDOW + 1), i + 1);
          expect(recent.reduce((a, b) => a + b, 0) / recent.length).toBeGreaterThan(limitPct / 100);
        }
        paused = !run;
      });
    }));
  });
});
