/** The preferences: one table gives defaults, validation, text parsing and layering (file < flags < ctl set). */
import { mkdtempSync, readFileSync, statSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { PreferenceStore } from './preference-store.js';
import { DEFAULT_PREFERENCES, PREFERENCE_KEYS, PreferencesSchema, parseLayer, parseValue, resolveThreads } from './preferences.js';
import { insideWindows, parseWindows } from './windows.js';

const dir = () => mkdtempSync(join(tmpdir(), 'ig-prefs-'));

describe('preferences', () => {
  it('defaults are BOINC\'s (DOMAIN.md section 1) but for the CPU-use pause (docs/worker.md says why), and pass their own schema', () => {
    expect(DEFAULT_PREFERENCES).toMatchObject({
      threads: '100%', cpuTimePercent: 100, idleOnly: false, idleAfterMinutes: 3, suspendCpuPercent: 0,
      suspendOnBattery: true, memoryInUsePercent: 50, memoryIdlePercent: 90, checkpointIntervalS: 60, hours: '',
    });
    expect(PreferencesSchema.safeParse(DEFAULT_PREFERENCES).success).toBe(true);
  });

  it('reads values from text the way flags and `ctl set` give them', () => {
    expect(parseValue('threads', '50%')).toEqual({ ok: true, value: { threads: '50%' } });
    expect(parseValue('threads', '3')).toEqual({ ok: true, value: { threads: 3 } });
    expect(parseValue('idleOnly', 'yes')).toEqual({ ok: true, value: { idleOnly: true } });
    expect(parseValue('suspendOnBattery', 'off')).toEqual({ ok: true, value: { suspendOnBattery: false } });
    expect(parseValue('cpuTimePercent', '75')).toEqual({ ok: true, value: { cpuTimePercent: 75 } });
    expect(parseValue('hours', '22:00-07:00')).toEqual({ ok: true, value: { hours: '22:00-07:00' } });
  });

  it('rejects bad values with a message that names the preference and what it accepts', () => {
    const bad: Array<[string, string, RegExp]> = [
      ['threads', '150%', /^threads: must be a whole number from 1 to 1024, or a percentage of the cores/],
      ['threads', '0', /^threads: must be a whole number from 1 to 1024/],
      ['cpuTimePercent', '0', /^cpuTimePercent: must be at least 1$/],
      ['cpuTimePercent', 'lots', /^cpuTimePercent: must be a number, got "lots"$/],
      ['idleOnly', 'maybe', /^idleOnly: must be yes or no/],
      ['hours', '25:00-07:00', /^hours: "25:00-07:00" is not a window like 22:00-07:00/],
      ['bufferUnits', '1.5', /^bufferUnits: /],
      ['nonsense', '1', /unknown preference "nonsense".*threads/],
    ];
    for (const [k, v, re] of bad) {
      const r = parseValue(k, v);
      expect(r.ok, `${k}=${v}`).toBe(false);
      if (!r.ok) expect(r.error).toMatch(re);
    }
    const r = parseLayer({ thread: 2 }, 'preferences.json');
    expect(r.ok).toBe(false);
    if (!r.ok) expect(r.error).toMatch(/^preferences\.json: .*thread.*\(known preferences: threads, /);
  });

  it('turns a percentage of the cores into a thread count, never below one', () => {
    expect(resolveThreads('100%', 8)).toBe(8);
    expect(resolveThreads('50%', 8)).toBe(4);
    expect(resolveThreads('10%', 4)).toBe(1);
    expect(resolveThreads(3, 8)).toBe(3);
  });

  it('hours: windows, including one past midnight', () => {
    const w = parseWindows('22:00-07:00,12:00-13:30');
    expect(w.ok).toBe(true);
    if (!w.ok) return;
    const at = (h: number, m = 0) => new Date(2025, 0, 1, h, m);
    expect(insideWindows(w.windows, at(23))).toBe(true);
    expect(insideWindows(w.windows, at(6, 59))).toBe(true);
    expect(insideWindows(w.windows, at(7))).toBe(false);
    expect(insideWindows(w.windows, at(12, 30))).toBe(true);
    expect(insideWindows(w.windows, at(13, 30))).toBe(false);
    expect(insideWindows([], at(3))).toBe(true);
    expect(parseWindows('12:00-12:00').ok).toBe(false);
  });

  it('layers: defaults < config file < flags; ctl set applies, persists (0600) and outranks the flag it replaces', () => {
    const d = dir();
    writeFileSync(join(d, 'preferences.json'), JSON.stringify({ cpuTimePercent: 60, idleOnly: true }));
    const store = new PreferenceStore(d, { cpuTimePercent: 80, threads: 1 });
    expect(store.get()).toMatchObject({ cpuTimePercent: 80, idleOnly: true, threads: 1, maxTempC: 90 });
    expect(store.sourceOf('cpuTimePercent')).toBe('flag');
    expect(store.sourceOf('idleOnly')).toBe('file');
    expect(store.sourceOf('hours')).toBe('default');
    const changes: string[][] = [];
    store.on('change', (_p, keys) => changes.push(keys));
    store.set({ cpuTimePercent: 40 });
    expect(store.get().cpuTimePercent).toBe(40);
    expect(changes).toEqual([['cpuTimePercent']]);
    expect(JSON.parse(readFileSync(store.path, 'utf8'))).toEqual({ cpuTimePercent: 40, idleOnly: true });
    expect(statSync(store.path).mode & 0o777).toBe(0o600);
    // The next start reads it back; a flag given then wins again.
    expect(new PreferenceStore(d).get().cpuTimePercent).toBe(40);
    expect(new PreferenceStore(d, { cpuTimePercent: 90 }).get().cpuTimePercent).toBe(90);
    expect(PREFERENCE_KEYS.map((k) => store.describe().find((x) => x.key === k)?.source)).toContain('file');
  });

  it('a bad config file stops the start with the file, the key and the fix', () => {
    const d = dir();
    writeFileSync(join(d, 'preferences.json'), JSON.stringify({ maxTempC: 'hot' }));
    expect(() => new PreferenceStore(d)).toThrow(/preferences\.json: maxTempC: must be a number|preferences\.json: maxTempC: /);
    writeFileSync(join(d, 'preferences.json'), '{ not json');
    expect(() => new PreferenceStore(d)).toThrow(/not valid JSON.*fix or delete it/);
  });
});
